//! Accounts, deposits and account bets written straight into bet-maker's database, as its own
//! statements write them (the account's row, its ledger lines with running balances, the
//! totals, the event's tally), for figures whose sizes the API would take too long to build.
//! Account `i` of a group `name` is named `{name} {i}`; its token is `{name}-{i}`.

use anyhow::ensure;

use crate::baseline::TIME_ORDERED_UUID;
use crate::system::System;

/// The id of account `i` of group `name`, in SQL (`$1` is the name).
fn account_id(i: &str) -> String {
    format!("md5($1 || '-' || {i})::uuid")
}

/// The bearer token of account `i` of group `name`, kept for the whole run (the load's calls
/// borrow it).
pub fn token(name: &str, i: usize) -> &'static str {
    Box::leak(format!("{name}-{i}").into_boxed_str())
}

/// Opens accounts 1 … `count` of group `name`, each with one deposit of `amount`.
pub async fn accounts(
    system: &System,
    name: &str,
    count: usize,
    amount: &str,
) -> anyhow::Result<()> {
    let id = account_id("i");
    let amount: rust_decimal::Decimal = amount.parse()?;
    system
        .bet_maker_db
        .execute(
            &format!(
                "WITH opened AS (
                     INSERT INTO accounts (id, name, token_hash, stripe, available)
                     SELECT {id}, $1 || ' ' || i, sha256(convert_to($1 || '-' || i, 'UTF8')),
                            get_byte(uuid_send({id}), 15) & 15, $3
                     FROM generate_series(1, $2::bigint) AS i
                     RETURNING id, stripe
                 ), lines AS (
                     INSERT INTO ledger (account_id, kind, available_leg, held_leg, book_leg,
                                         outside_leg, available, idempotency_key)
                     SELECT id, 'deposit', $3, 0, 0, -$3, $3, 'seed-' || id FROM opened
                 )
                 UPDATE ledger_totals AS totals
                 SET deposits = totals.deposits + counted.total,
                     available = totals.available + counted.total
                 FROM (SELECT stripe, count(*) * $3 AS total FROM opened GROUP BY stripe) AS counted
                 WHERE totals.stripe = counted.stripe"
            ),
            &[&name, &(count as i64), &amount],
        )
        .await?;
    Ok(())
}

/// `bets` bets of 10.00 at 1.85 on `event` from accounts 1 … `count` of group `name` (opened
/// with `deposit` each), in turn: bet `j` is account `(j − 1) mod count + 1`'s, so that every
/// chunk of a payout meets as many accounts as it can.
pub async fn account_bets(
    system: &System,
    event: &str,
    name: &str,
    count: usize,
    deposit: &str,
    bets: usize,
) -> anyhow::Result<()> {
    ensure!(
        bets.is_multiple_of(count),
        "{bets} bets do not spread evenly over {count} accounts"
    );
    let db = &system.bet_maker_db;
    let deposit: rust_decimal::Decimal = deposit.parse()?;
    let each = (bets / count) as i64;
    let (count, bets) = (count as i64, bets as i64);
    let owner = account_id("((j - 1) % $3 + 1)");
    db.execute(
        &format!(
            "WITH placed AS (
                 INSERT INTO bets (id, event_id, amount, coefficient, account_id)
                 SELECT {TIME_ORDERED_UUID}, $2, 10.00, 1.85, {owner}
                 FROM generate_series(1, $4::bigint) AS j ORDER BY j
                 RETURNING id, seq, account_id
             )
             INSERT INTO ledger (account_id, kind, available_leg, held_leg, book_leg, outside_leg,
                                 available, bet_id, event_id)
             SELECT account_id, 'stake', -10.00, 10.00, 0, 0,
                    $5 - 10.00 * ((row_number() OVER (ORDER BY seq) - 1) / $3 + 1), id, $2
             FROM placed ORDER BY seq"
        ),
        &[&name, &event, &count, &bets, &deposit],
    )
    .await?;
    let id = account_id("i");
    db.execute(
        &format!(
            "UPDATE accounts SET available = available - 10.00 * $3::bigint, held = held + 10.00 * $3::bigint
             WHERE id IN (SELECT {id} FROM generate_series(1, $2::bigint) AS i)"
        ),
        &[&name, &count, &each],
    )
    .await?;
    db.execute(
        "UPDATE ledger_totals SET available = available - 10.00 * $1::bigint, held = held + 10.00 * $1::bigint
         WHERE stripe = 0",
        &[&bets],
    )
    .await?;
    db.execute(
        "INSERT INTO event_tallies (event_id, stripe, bets, stake, payout, account_bets)
         VALUES ($1, 0, $2::bigint, 10.00 * $2::bigint, 18.50 * $2::bigint, $2::bigint)",
        &[&event, &bets],
    )
    .await?;
    Ok(())
}

/// `lines` deposits of 0.01 into account `i` of group `name` (opened with a deposit of 0.01),
/// one line each: a long statement.
pub async fn deposits(system: &System, name: &str, i: usize, lines: usize) -> anyhow::Result<()> {
    let id = account_id("$2::bigint");
    let (i, lines) = (i as i64, lines as i64);
    system
        .bet_maker_db
        .execute(
            &format!(
                "WITH lines AS (
                     INSERT INTO ledger (account_id, kind, available_leg, held_leg, book_leg,
                                         outside_leg, available, idempotency_key)
                     SELECT {id}, 'deposit', 0.01, 0, 0, -0.01, 0.01 * (n + 1), 'line-' || n
                     FROM generate_series(1, $3::bigint) AS n ORDER BY n
                 ), totals AS (
                     UPDATE ledger_totals
                     SET deposits = deposits + 0.01 * $3::bigint, available = available + 0.01 * $3::bigint
                     WHERE stripe = 0
                 )
                 UPDATE accounts SET available = available + 0.01 * $3::bigint WHERE id = {id}"
            ),
            &[&name, &i, &lines],
        )
        .await?;
    Ok(())
}
