//! The payout worker: takes events' results into their bettors' wallets in the background, a
//! chunk of bets at a time, round-robin over the events due, so that a finish stays O(1) for
//! the consumer and an event of a million bets never holds back the wallets of another. Safe
//! with any number of replicas (an event's place is locked `SKIP LOCKED`), and across kill -9:
//! a chunk is one transaction, and a bet records the result its wallet took.

use std::time::Duration;

use deadpool_postgres::Pool;
use tokio_util::sync::CancellationToken;

use crate::db::{self, Chunk, DbError};
use crate::metrics::Metrics;

/// Events visited per pass: each gets one chunk, then the next pass starts over.
const EVENTS_PER_PASS: i64 = 16;
/// How often an idle worker looks for a result to pay.
const POLL: Duration = Duration::from_millis(100);
/// How long it waits after a failure (the database away) before trying again.
const AFTER_FAILURE: Duration = Duration::from_secs(1);

/// The worker, with connections of its own.
#[derive(Debug, Clone)]
pub struct Payer {
    pool: Pool,
    metrics: Metrics,
    /// Bets paid per transaction (`PAYOUT_CHUNK`): long enough to pay a million bets quickly,
    /// short enough that a bettor's own read waiting for a chunk's locks waits milliseconds.
    chunk: i64,
}

impl Payer {
    /// A worker paying from `pool`'s database, `chunk` bets per transaction.
    pub fn new(pool: Pool, metrics: Metrics, chunk: i64) -> Self {
        Self {
            pool,
            metrics,
            chunk,
        }
    }

    /// Its connections.
    pub fn pool(&self) -> Pool {
        self.pool.clone()
    }

    /// Pays until `shutdown`; a chunk in hand is finished (or, if the process dies, rolled
    /// back whole).
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            let pause = match self.pass(&shutdown).await {
                Ok(true) => Duration::ZERO,
                Ok(false) => POLL,
                Err(error) => {
                    tracing::warn!(%error, "payouts paused: the database failed");
                    AFTER_FAILURE
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// One chunk for each of the events due longest unvisited; whether any was paid. The
    /// backlog's gauges are read first (a pass over an empty backlog shows it empty).
    async fn pass(&self, shutdown: &CancellationToken) -> Result<bool, DbError> {
        let mut client = self.pool.get().await?;
        let (backlog, since) = db::unpaid(&client).await?;
        self.metrics.payout_backlog.set(backlog);
        let age = since.map_or(0, |since| {
            (time::OffsetDateTime::now_utc() - since).whole_seconds()
        });
        self.metrics.payout_backlog_age.set(age.max(0));
        let due = db::due_events(&client, EVENTS_PER_PASS).await?;
        let mut worked = false;
        for event in &due {
            if shutdown.is_cancelled() {
                break;
            }
            match db::pay_chunk(&mut client, event, self.chunk).await {
                Ok(Chunk::Paid { paid, done }) => {
                    worked = true;
                    self.metrics.bets_paid.inc_by(paid.unsigned_abs());
                    if done {
                        tracing::info!(event_id = %event, "every wallet took the event's result");
                    }
                }
                Ok(Chunk::Skipped) => {}
                // One event failing holds back no other: it goes to the back of the line.
                Err(error) if error.is_caused_by_data() => {
                    tracing::error!(event_id = %event, %error, "an event's payout failed; it is tried again after the others");
                    db::postpone(&client, event).await?;
                }
                Err(error) => return Err(error),
            }
        }
        Ok(worked)
    }
}
