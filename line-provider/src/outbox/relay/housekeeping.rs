//! The relay's housekeeping: the final drain on shutdown, the pending gauge, pruning
//! published rows.

use std::sync::PoisonError;
use std::time::{Duration, Instant};

use lapin::Channel;

use super::{BATCH, FINAL_DRAIN, KEEP_PUBLISHED, POLL_INTERVAL, Publisher, RelayError};
use crate::db;

impl Publisher {
    /// On shutdown: publishes what committed meanwhile, retrying for a few seconds while
    /// another transaction holds the relay lock.
    pub(super) async fn final_drain(&self, channel: &Channel) {
        let attempts = async {
            loop {
                self.drain(channel).await?;
                let client = self.pool.get().await?;
                if db::count_pending(&client).await? == 0 {
                    return Ok::<(), RelayError>(());
                }
                drop(client);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        match tokio::time::timeout(FINAL_DRAIN, attempts).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "stopping with messages left in the outbox"),
            Err(_) => tracing::warn!("stopping with messages left in the outbox (timeout)"),
        }
    }

    /// Sets the pending gauge by a count of the outbox.
    pub(super) async fn refresh_pending_gauge(&self) {
        if let Ok(client) = self.pool.get().await
            && let Ok(pending) = db::count_pending(&client).await
        {
            self.metrics.outbox_pending.set(pending);
            *self.counted.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
        }
    }

    /// The pending gauge after a batch that read `read` rows and had `confirmed` confirmed,
    /// with no count of the outbox (its index of pending rows holds every published row until
    /// a vacuum: a count per batch cost Postgres more than the batch under load). A batch that
    /// is not full read every row pending when it began, so what it left unconfirmed is the
    /// gauge; a full one that failed left at least that many.
    pub(super) fn pending_after_batch(&self, read: usize, confirmed: usize, failed: bool) {
        if read < BATCH || failed {
            self.metrics.outbox_pending.set((read - confirmed) as i64);
        }
    }

    /// While another replica relays, this one's pending gauge is a count of the outbox, at
    /// most once a [`POLL_INTERVAL`].
    pub(super) async fn another_replica_relays(&self) {
        let last = *self.counted.lock().unwrap_or_else(PoisonError::into_inner);
        if last.is_none_or(|last| last.elapsed() >= POLL_INTERVAL) {
            self.refresh_pending_gauge().await;
        }
    }

    pub(super) async fn prune(&self) {
        let Ok(client) = self.pool.get().await else {
            return;
        };
        match db::prune_published(&client, KEEP_PUBLISHED).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "pruned published outbox rows"),
            Err(error) => tracing::warn!(%error, "cannot prune the outbox"),
        }
    }
}
