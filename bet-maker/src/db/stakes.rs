//! A bet's stake taken from its account: the CTEs that move it from `available` to `held` with
//! its ledger line, inside the bet's own statement ([`super::PLACE_BET`]) or its transaction
//! ([`super::place_bet_within_limit`]).

use deadpool_postgres::GenericClient;
use rust_decimal::Decimal;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::DbError;

/// The stake of a bet from an account moved from its `available` to its `held`, with its
/// ledger line and the totals' stripe of this connection (one of 64, 32–95, so that a bet
/// rarely waits for another's stripe): only when the account is not blocked and has the stake
/// available (one conditional `UPDATE`, so concurrent bets and withdrawals never take more
/// than there is), and only when the CTE or table `$gate` has a row. The arguments name
/// the parameters of the bet's id, its event, the stake and the account (null: no account,
/// nothing happens). Defines the CTEs `held` (the account after, when the stake was taken),
/// `stake_line` and `stake_totals`.
macro_rules! hold_stake {
    ($bet:literal, $event:literal, $amount:literal, $account:literal, $gate:literal) => {
        concat!(
            "held AS (
                 UPDATE accounts SET available = accounts.available - ",
            $amount,
            ",
                                     held = accounts.held + ",
            $amount,
            "
                 FROM ",
            $gate,
            "
                 WHERE accounts.id = ",
            $account,
            " AND NOT accounts.blocked
                   AND accounts.available >= ",
            $amount,
            "
                 RETURNING accounts.id, accounts.available, accounts.stripe
             ), stake_line AS (
                 INSERT INTO ledger (account_id, kind, available_leg, held_leg, book_leg,
                                     outside_leg, available, bet_id, event_id)
                 SELECT id, 'stake', -",
            $amount,
            ", ",
            $amount,
            ", 0, 0, available, ",
            $bet,
            ", ",
            $event,
            "
                 FROM held
             ), stake_totals AS (
                 UPDATE ledger_totals AS totals
                 SET available = totals.available - ",
            $amount,
            ", held = totals.held + ",
            $amount,
            "
                 FROM held WHERE totals.stripe = 32 + pg_backend_pid() % 64
             )"
        )
    };
}
pub(super) use hold_stake;

/// Takes the stake `amount` of bet `bet` on `event` from `account` ([`hold_stake!`]); false
/// when the account cannot give it.
pub(super) async fn hold(
    client: &impl GenericClient,
    bet: Uuid,
    event: &str,
    amount: Decimal,
    account: Uuid,
) -> Result<bool, DbError> {
    let statement = client
        .prepare_cached(concat!(
            "WITH ",
            hold_stake!("$1", "$2", "$3", "$4::uuid", "(SELECT) AS gate"),
            " SELECT count(*) FROM held"
        ))
        .await?;
    let parameters: [&(dyn ToSql + Sync); 4] = [&bet, &event, &amount, &account];
    let held: i64 = client
        .query_one(&statement, &parameters)
        .await?
        .try_get(0)?;
    Ok(held == 1)
}
