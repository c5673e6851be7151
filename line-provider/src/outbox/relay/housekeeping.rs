//! The relay's housekeeping: the final drain on shutdown, the pending gauge, pruning
//! published rows.

use std::sync::PoisonError;
use std::time::{Duration, Instant};

use lapin::Channel;

use super::{FINAL_DRAIN, KEEP_PUBLISHED, Publisher, RelayError};
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

    /// [`Self::refresh_pending_gauge`] unless it was done less than `every` ago.
    pub(super) async fn refresh_pending_gauge_at_most_every(&self, every: Duration) {
        let last = *self.counted.lock().unwrap_or_else(PoisonError::into_inner);
        if last.is_none_or(|last| last.elapsed() >= every) {
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
