//! Figure 11's baselines, under the same load as the payout: a bare `UPDATE` of the event's
//! bets, and every write a payout makes as three set-based statements.

use std::time::{Duration, Instant};

use anyhow::ensure;

use crate::load::{self, MakeCall};
use crate::sizes::Sizes;
use crate::system::System;

/// Under the same load as the payout: a bare `UPDATE` of `event`'s bets, and every
/// write a payout makes as three set-based statements.
pub async fn baselines(
    system: &System,
    sizes: &Sizes,
    event: &str,
    bets: usize,
    spend: MakeCall,
) -> anyhow::Result<(Duration, Duration)> {
    system.bet_maker_db.batch_execute("CHECKPOINT").await?;
    let background = load::Load::start(system.bet_maker_address, 8, 201, spend).await?;
    tokio::time::sleep(sizes.warmup).await;
    let started = Instant::now();
    let updated = system
        .bet_maker_db
        .execute(
            "UPDATE bets SET paid_at = paid_at WHERE event_id = $1",
            &[&event],
        )
        .await?;
    let bare = started.elapsed();
    ensure!(
        updated == bets as u64,
        "the bare UPDATE wrote {updated} rows"
    );
    system.bet_maker_db.batch_execute("BEGIN").await?;
    let floor = bare_writes(system, event).await;
    system.bet_maker_db.batch_execute("ROLLBACK").await?;
    background.finish().await?;
    Ok((bare, floor?))
}

/// The writes of a payout of `event`, as three set-based statements in the caller's
/// transaction: every bet marked, every account updated once, one ledger line per bet. What a
/// payout cannot do with less, before chunks, locks and running balances.
async fn bare_writes(system: &System, event: &str) -> anyhow::Result<Duration> {
    let db = &system.bet_maker_db;
    let started = Instant::now();
    db.execute(
        "UPDATE bets SET paid_result = 'finished_win', paid_at = now() WHERE event_id = $1",
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
