//! The book's limits and exposure, kept in each event's tally: 16 stripes per event, each
//! summing the bets that landed on it (how many, their stakes, what they pay if the event is
//! won), and, under a liability limit, the budget it may still fill.
//!
//! The liability limit is an escrow: an event's budgets never add up to more than its limit,
//! and a bet takes its liability from its own stripe only (one row lock, the database checking
//! the budget), so bets on different stripes never wait for each other and together can never
//! exceed the limit. When a stripe's budget runs out, [`place_bet_within_limit`] locks all 16,
//! decides against the whole remaining limit and spreads what is left evenly again.

use deadpool_postgres::GenericClient;
use rust_decimal::Decimal;
use shared_messages::EventId;
use tokio_postgres::types::ToSql;

use super::DbError;
use super::bets::bet_from_row;
use super::placement::{NewBet, Placement, event_for_bet, refusal};
use super::stakes::hold;
use crate::domain::{BetRefused, IdempotencyKey, Money};

/// Stripes per event: a bet's connection picks one (`pg_backend_pid() % 16`).
const STRIPES: i64 = 16;

/// Creates every stripe of an event that lacks one (without bets, with no room), so that a
/// limit can be spread over all 16.
async fn ensure_stripes(client: &impl GenericClient, event_id: &str) -> Result<(), DbError> {
    let statement = client
        .prepare_cached(
            "INSERT INTO event_tallies (event_id, stripe, bets, budget)
             SELECT $1, stripe, 0, 0 FROM generate_series(0, 15) AS stripe
             ON CONFLICT (event_id, stripe) DO NOTHING",
        )
        .await?;
    client.execute(&statement, &[&event_id]).await?;
    Ok(())
}

/// Locks every stripe of an event (in stripe order, as every locker does) and returns the
/// liability its bets have taken.
async fn lock_stripes(client: &impl GenericClient, event_id: &str) -> Result<Decimal, DbError> {
    let statement = client
        .prepare_cached(
            "SELECT coalesce(sum(taken), 0) FROM (
                 SELECT payout - stake AS taken FROM event_tallies WHERE event_id = $1
                 ORDER BY stripe FOR UPDATE
             ) AS stripes",
        )
        .await?;
    Ok(client
        .query_one(&statement, &[&event_id])
        .await?
        .try_get(0)?)
}

/// Adds a bet (`amount`, paying `payout` if won, whether from an account) to this connection's stripe and spreads
/// `room` (what is left of the limit after it) over the 16 budgets; `room` `None` removes
/// the budgets (no limit). The 16 stripes must exist ([`ensure_stripes`]) and be locked.
async fn spread(
    client: &impl GenericClient,
    event_id: &str,
    bet: Option<(Decimal, Decimal, bool)>,
    room: Option<Decimal>,
) -> Result<(), DbError> {
    let (amount, payout, of_account) = bet.unwrap_or_default();
    let bets = i64::from(bet.is_some());
    let account_bets = i64::from(of_account);
    // Each stripe gets an equal share to the 1/10 000 (a liability has four decimals); this
    // connection's stripe also gets what does not divide evenly.
    let share = room.map(|room| (room / Decimal::from(STRIPES)).trunc_with_scale(4));
    let rest = room
        .zip(share)
        .map(|(room, share)| room - share * Decimal::from(STRIPES));
    let statement = client
        .prepare_cached(
            "UPDATE event_tallies SET
                 bets = bets + CASE WHEN stripe = pg_backend_pid() % 16 THEN $2::bigint
                                    ELSE 0 END,
                 account_bets = account_bets + CASE WHEN stripe = pg_backend_pid() % 16
                                                    THEN $7::bigint ELSE 0 END,
                 stake = stake + CASE WHEN stripe = pg_backend_pid() % 16 THEN $3::numeric
                                      ELSE 0 END,
                 payout = payout + CASE WHEN stripe = pg_backend_pid() % 16 THEN $4::numeric
                                        ELSE 0 END,
                 budget = payout - stake + $5::numeric
                          + CASE WHEN stripe = pg_backend_pid() % 16
                                 THEN $4::numeric - $3::numeric + $6::numeric ELSE 0 END
             WHERE event_id = $1",
        )
        .await?;
    let parameters: [&(dyn ToSql + Sync); 7] = [
        &event_id,
        &bets,
        &amount,
        &payout,
        &share,
        &rest,
        &account_bets,
    ];
    client.execute(&statement, &parameters).await?;
    Ok(())
}

/// Spreads an event's liability limit over its stripes again after the event changed (a new
/// limit, new odds): called by the consumer after it applied the event, under its row lock, so
/// no bet on the event runs meanwhile. Lowering the limit below what is taken leaves no room:
/// the bets placed stay, new ones are refused.
pub async fn spread_limit(
    client: &impl GenericClient,
    event_id: &EventId,
    max_liability: Money,
) -> Result<(), DbError> {
    let id = event_id.as_str();
    ensure_stripes(client, id).await?;
    let taken = lock_stripes(client, id).await?;
    let room = (max_liability.value() - taken).max(Decimal::ZERO);
    spread(client, id, None, Some(room)).await
}

/// Places a bet whose stripe ran out of budget, against the whole limit: locks the event
/// (`FOR SHARE`, as every bet does) and all 16 stripes, refuses the bet if its liability is
/// more than the limit has left, takes the stake from the bet's account (else
/// [`Placement::Unfunded`]), and otherwise adds it and spreads what is left evenly. Its
/// own transaction; the checks of [`super::place_bet`] are made again, since the event may
/// have changed in between.
pub async fn place_bet_within_limit(
    client: &mut deadpool_postgres::Client,
    bet: &NewBet<'_>,
) -> Result<Placement, DbError> {
    let transaction = client.transaction().await?;
    let statement = transaction
        .prepare_cached(concat!(
            "SELECT id, status AS event_status, deadline AS event_deadline,
                    coefficient AS event_coefficient, min_stake, max_stake, max_liability,
                    open, stake_ok, odds_ok
             FROM (",
            event_for_bet!("$1", "$2", "$3", "$4"),
            ") AS event"
        ))
        .await?;
    let accept = bet.consent.map(|consent| consent.accept.as_str());
    let seen = bet.consent.and_then(|consent| consent.coefficient);
    let event_id = bet.event_id.as_str();
    let amount = bet.amount.value();
    let parameters: [&(dyn ToSql + Sync); 4] = [&event_id, &amount, &accept, &seen];
    let Some(event) = transaction.query_opt(&statement, &parameters).await? else {
        return Ok(Placement::Refused(BetRefused::UnknownEvent(
            bet.event_id.clone(),
        )));
    };
    if let Some(refused) = refusal(&event, bet)? {
        return Ok(Placement::Refused(refused));
    }
    let coefficient: Decimal = event.try_get("event_coefficient")?;
    let limit: Option<Decimal> = event.try_get("max_liability")?;
    let liability = amount * (coefficient - Decimal::ONE);
    ensure_stripes(&transaction, event_id).await?;
    let taken = lock_stripes(&transaction, event_id).await?;
    let room = match limit {
        None => None,
        Some(limit) => {
            let free = limit - taken;
            if liability > Decimal::ZERO && liability > free {
                let max_amount = crate::domain::liability::max_amount(
                    free,
                    coefficient,
                    event.try_get("min_stake")?,
                    event.try_get("max_stake")?,
                );
                return Ok(Placement::Refused(BetRefused::LiabilityLimit {
                    event_id: bet.event_id.clone(),
                    max_amount,
                }));
            }
            Some((free - liability).max(Decimal::ZERO))
        }
    };
    if let Some(account) = bet.account
        && !hold(&transaction, bet.id, event_id, amount, account).await?
    {
        return Ok(Placement::Unfunded);
    }
    spread(
        &transaction,
        event_id,
        Some((amount, amount * coefficient, bet.account.is_some())),
        room,
    )
    .await?;
    let placed = insert_bet(&transaction, bet, coefficient).await?;
    transaction.commit().await?;
    Ok(Placement::Placed(placed))
}

async fn insert_bet(
    client: &impl GenericClient,
    bet: &NewBet<'_>,
    coefficient: Decimal,
) -> Result<crate::domain::Bet, DbError> {
    let statement = client
        .prepare_cached(
            "WITH bet AS (
                 INSERT INTO bets (id, event_id, amount, coefficient, idempotency_key,
                                   accept_odds, accepted_coefficient, account_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 RETURNING id, event_id, amount, coefficient, created_at, account_id,
                           NULL::timestamptz AS paid_at
             )
             SELECT bet.*, 'new' AS event_status, NULL::timestamptz AS settled_at FROM bet",
        )
        .await?;
    let key = bet.idempotency_key.map(IdempotencyKey::as_str);
    let accept = bet.consent.map(|consent| consent.accept.as_str());
    let seen = bet.consent.and_then(|consent| consent.coefficient);
    let parameters: [&(dyn ToSql + Sync); 8] = [
        &bet.id,
        &bet.event_id.as_str(),
        &bet.amount.value(),
        &coefficient,
        &key,
        &accept,
        &seen,
        &bet.account,
    ];
    bet_from_row(&client.query_one(&statement, &parameters).await?)
}
