//! Figure 11's check of every wallet after the payout, and its baselines, under the same load
//! as the payout: a bare `UPDATE` of the event's bets, and every write a payout makes as three
//! set-based statements.

use std::time::{Duration, Instant};

use anyhow::ensure;

use crate::load::{self, MakeCall, Measured};
use crate::sizes::Sizes;
use crate::system::System;

/// What the baselines took, and the load's latencies while the bare `UPDATE` ran.
pub struct Floors {
    pub bare: Duration,
    pub bare_load: Measured,
    pub writes: Duration,
}

/// Under the same load as the payout: a bare `UPDATE` of `event`'s bets (the load measured
/// meanwhile: what any write of that size does to other bets on this machine), and every
/// write a payout makes as three set-based statements.
pub async fn baselines(
    system: &System,
    sizes: &Sizes,
    event: &str,
    bets: usize,
    spend: MakeCall,
) -> anyhow::Result<Floors> {
    system.bet_maker_db.batch_execute("CHECKPOINT").await?;
    let mut background = load::Load::start(system.bet_maker_address, 8, 201, spend.clone()).await?;
    tokio::time::sleep(sizes.warmup).await;
    background.measure();
    let started = Instant::now();
    let updated = system
        .bet_maker_db
        .execute(
            "UPDATE bets SET amount = amount WHERE event_id = $1",
            &[&event],
        )
        .await?;
    let bare = started.elapsed();
    let bare_load = background.finish().await?;
    ensure!(
        updated == bets as u64,
        "the bare UPDATE wrote {updated} rows"
    );
    let background = load::Load::start(system.bet_maker_address, 8, 201, spend).await?;
    system.bet_maker_db.batch_execute("BEGIN").await?;
    let writes = bare_writes(system, event).await;
    system.bet_maker_db.batch_execute("ROLLBACK").await?;
    background.finish().await?;
    Ok(Floors {
        bare,
        bare_load,
        writes: writes?,
    })
}

/// The writes of a payout of `event`, as three set-based statements in the caller's
/// transaction: every bet's result taken, every account updated once, one ledger line per bet.
/// What a payout cannot do with less, before chunks, locks and running balances. The results
/// go to an empty copy of `paid_bets` (the payout has filled the table itself), made in the
/// transaction before the clock starts.
async fn bare_writes(system: &System, event: &str) -> anyhow::Result<Duration> {
    let db = &system.bet_maker_db;
    db.batch_execute("CREATE TABLE floor_paid_bets (LIKE paid_bets INCLUDING ALL)")
        .await?;
    let started = Instant::now();
    db.execute(
        "INSERT INTO floor_paid_bets (bet_id, result, paid_at)
         SELECT id, 'finished_win', now() FROM bets WHERE event_id = $1",
        &[&event],
    )
    .await?;
    db.execute(
        "UPDATE accounts a SET available = a.available + 0, held = a.held - 0
         WHERE a.id IN (SELECT account_id FROM bets WHERE event_id = $1)",
        &[&event],
    )
    .await?;
    db.execute(
        "INSERT INTO ledger (account_id, kind, available_leg, held_leg, book_leg, outside_leg,
                             available, bet_id, event_id)
         SELECT account_id, 'won', 18.50, -10.00, -8.50, 0, 0, id, event_id
         FROM bets WHERE event_id = $1",
        &[&event],
    )
    .await?;
    Ok(started.elapsed())
}

/// Every owner's wallet holds every win, once, and the ledger balances.
pub async fn check_wallets(
    system: &System,
    owners: &str,
    deposit: &str,
    accounts: usize,
    bets: usize,
) -> anyhow::Result<()> {
    let right = system
        .bet_maker_count(&format!(
            "SELECT count(*) FROM accounts WHERE name LIKE '{owners} %'
             AND held = 0 AND available = {deposit} + 8.50 * {}",
            bets / accounts
        ))
        .await?;
    ensure!(
        right == accounts as i64,
        "{right} of {accounts} wallets hold every win"
    );
    let balanced = system
        .bet_maker_count(
            "SELECT (sum(deposits) - sum(withdrawals) = sum(available) + sum(held) + sum(book)
                     AND sum(available) = (SELECT sum(available) FROM accounts)
                     AND sum(held) = (SELECT sum(held) FROM accounts))::int::bigint
             FROM ledger_totals",
        )
        .await?;
    ensure!(
        balanced == 1,
        "the ledger does not balance after the payout"
    );
    Ok(())
}
