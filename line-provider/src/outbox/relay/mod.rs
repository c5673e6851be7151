//! The relay: publishes outbox rows in order, with publisher confirms, and marks them
//! published only after the broker confirmed them.
//!
//! It runs on `service-support`'s supervised broker connection: on any broker error the
//! supervisor drops the connection, waits with exponential backoff, reconnects, and the relay
//! re-declares the topology and goes on from the oldest unconfirmed row. Only one replica
//! publishes at a time (a transaction-scoped advisory lock), so messages leave in outbox order
//! whatever the number of replicas.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;
use lapin::Channel;
use service_support::broker::{
    BrokerStatus, ChannelMode, Link, Session, Supervisor, unless_stopped,
};
use shared_messages::Topology;
use shared_messages::topology::APP_ID;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::db::{self, DbError};
use crate::metrics::Metrics;

mod housekeeping;
mod publishing;

/// Rows published per transaction.
const BATCH: usize = 500;
/// How often the relay looks for rows when nobody woke it (rows of other replicas, retries).
const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Published rows are kept this long (for inspection), then deleted.
const KEEP_PUBLISHED: Duration = Duration::from_secs(24 * 3600);
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// How long a stopping relay keeps trying to publish what is still waiting.
const FINAL_DRAIN: Duration = Duration::from_secs(5);
/// How long one batch may take from the first publish to the last confirm. A broker that
/// stalls longer (a resource alarm, a half-open connection) is treated as lost.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(15);
/// A batch whose confirms take this long is logged: messages wait, and the broker says why
/// (an alarm, a queue's disk) in its own log.
const SLOW_CONFIRMS: Duration = Duration::from_secs(1);

/// What the rest of the service holds of the relay: a way to wake it.
#[derive(Debug, Clone, Default)]
pub struct RelayHandle {
    wake: Arc<Notify>,
}

impl RelayHandle {
    /// Tells the relay a transaction with outbox rows just committed.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// The relay task: a supervised broker connection and the publisher that runs on it.
#[derive(Debug)]
pub struct Relay {
    supervisor: Supervisor,
    publisher: Publisher,
}

/// The work on one connection.
#[derive(Debug)]
struct Publisher {
    pool: Pool,
    topology: Topology,
    handle: RelayHandle,
    metrics: Metrics,
    /// When the pending gauge was last set by a count of the outbox.
    counted: Mutex<Option<Instant>>,
    /// Whether this replica held the relay lock at its last batch.
    relaying: AtomicBool,
}

#[derive(Debug, thiserror::Error)]
enum RelayError {
    #[error("broker error: {0}")]
    Broker(#[from] lapin::Error),
    #[error("cannot declare the topology: {0}")]
    Topology(lapin::Error),
    #[error("the broker returned message {0} as unroutable; re-declaring the topology")]
    Unroutable(uuid::Uuid),
    #[error("the broker connection is closed")]
    Disconnected,
    #[error("the broker did not confirm a batch within {0:?}")]
    Timeout(Duration),
    #[error("the broker refused message {0} (nack)")]
    Nacked(uuid::Uuid),
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<deadpool_postgres::PoolError> for RelayError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        Self::Database(error.into())
    }
}

impl From<tokio_postgres::Error> for RelayError {
    fn from(error: tokio_postgres::Error) -> Self {
        Self::Database(error.into())
    }
}

impl Relay {
    /// A relay publishing `pool`'s outbox to `topology.exchange` at `amqp_url`.
    pub fn new(pool: Pool, amqp_url: String, topology: Topology, metrics: Metrics) -> Self {
        let supervisor = Supervisor::new(amqp_url, APP_ID, ChannelMode::Confirms, metrics.broker());
        Self {
            supervisor,
            publisher: Publisher {
                pool,
                topology,
                handle: RelayHandle::default(),
                metrics,
                counted: Mutex::default(),
                relaying: AtomicBool::new(true),
            },
        }
    }

    /// The handle to give the HTTP handlers.
    pub fn handle(&self) -> RelayHandle {
        self.publisher.handle.clone()
    }

    /// Whether the relay holds a working broker connection, for the readiness check.
    pub fn broker_status(&self) -> BrokerStatus {
        self.supervisor.status()
    }

    /// Runs until `shutdown`: connect, publish, and on a broker failure reconnect with backoff.
    pub async fn relay(self, shutdown: CancellationToken) {
        self.supervisor
            .run(self.publisher, "messages wait in the outbox", shutdown)
            .await;
        tracing::info!("outbox relay stopped");
    }
}

impl Session for Publisher {
    type Error = RelayError;

    async fn run(
        &mut self,
        link: &Link<'_>,
        shutdown: &CancellationToken,
    ) -> Result<(), RelayError> {
        let Some(declared) = unless_stopped(shutdown, self.topology.declare(link.connection)).await
        else {
            return Ok(());
        };
        let declared = declared.map_err(RelayError::Topology)?;
        if !declared.as_asked() {
            // A queue's type cannot change in place: bet-maker, their consumer, moves them.
            tracing::warn!(queues = ?declared.otherwise, queue_type = self.topology.queue_type.as_str(),
                "bet-maker's queues are declared otherwise (by another version?); bet-maker moves them when it starts, and messages reach them meanwhile");
        }
        link.ready();
        tracing::info!(exchange = %self.topology.exchange, "connected to the broker; relaying the outbox");
        self.relay_until_broken(link, shutdown).await?;
        self.final_drain(link.channel).await;
        Ok(())
    }

    async fn unreachable(&mut self) {
        self.refresh_pending_gauge().await;
    }
}

impl Publisher {
    /// Publishes whatever waits, then sleeps until woken or polled; returns `Ok` on shutdown
    /// and an error when the broker connection is no longer usable.
    async fn relay_until_broken(
        &self,
        link: &Link<'_>,
        shutdown: &CancellationToken,
    ) -> Result<(), RelayError> {
        let mut last_prune = Instant::now();
        loop {
            match self.drain(link.channel).await {
                Ok(()) => {}
                Err(RelayError::Database(error)) => {
                    tracing::warn!(%error, "cannot read the outbox; will retry");
                }
                Err(error) => return Err(error),
            }
            if !link.is_open() {
                return Err(RelayError::Disconnected);
            }
            if last_prune.elapsed() >= PRUNE_EVERY {
                last_prune = Instant::now();
                self.prune().await;
            }
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = self.handle.wake.notified() => {}
                () = tokio::time::sleep(POLL_INTERVAL) => {}
            }
        }
    }

    /// Publishes batches until none is full.
    async fn drain(&self, channel: &Channel) -> Result<(), RelayError> {
        loop {
            let published = self.publish_batch(channel).await?;
            if published < BATCH {
                return Ok(());
            }
        }
    }

    /// Publishes up to [`BATCH`] rows in one transaction; returns how many were confirmed.
    ///
    /// Every confirmed row is marked, even when another row of the batch failed; the failed
    /// one is retried later (consumers ignore a version older than one they hold).
    async fn publish_batch(&self, channel: &Channel) -> Result<usize, RelayError> {
        let mut client = self.pool.get().await?;
        let transaction = client.transaction().await?;
        // The replica that relayed last time takes the lock and reads in one round trip; one
        // that did not asks for the lock alone first, so as not to read rows for nothing.
        let read = if self.relaying.load(Ordering::Relaxed) {
            db::try_lock_relay_and_read_pending(&transaction, BATCH as i64).await?
        } else if db::try_lock_relay(&transaction).await? {
            Some(db::pending_messages(&transaction, BATCH as i64).await?)
        } else {
            None
        };
        self.relaying.store(read.is_some(), Ordering::Relaxed);
        let Some(messages) = read else {
            transaction.rollback().await?;
            drop(client);
            self.another_replica_relays().await;
            return Ok(0);
        };
        if messages.is_empty() {
            // End the transaction now: a dropped one releases the relay lock only when its
            // ROLLBACK gets through, and the next batch could find the lock still taken.
            transaction.rollback().await?;
            self.metrics.outbox_pending.set(0);
            return Ok(0);
        }
        self.metrics
            .outbox_batch_messages
            .observe(messages.len() as f64);
        let started = Instant::now();
        let (confirmed, failure) =
            match tokio::time::timeout(PUBLISH_TIMEOUT, self.publish_all(channel, &messages)).await
            {
                Ok(outcome) => outcome,
                Err(_) => (Vec::new(), Some(RelayError::Timeout(PUBLISH_TIMEOUT))),
            };
        let took = started.elapsed();
        if took >= SLOW_CONFIRMS && !matches!(failure, Some(RelayError::Timeout(_))) {
            tracing::warn!(
                messages = messages.len(),
                confirmed = confirmed.len(),
                ?took,
                "publishing a batch and its confirms was slow"
            );
        }
        db::mark_published(&transaction, &confirmed).await?;
        transaction.commit().await?;
        self.pending_after_batch(messages.len(), confirmed.len(), failure.is_some());
        self.metrics.outbox_published.inc_by(confirmed.len() as u64);
        match failure {
            Some(error) => {
                self.metrics.outbox_publish_failures.inc();
                Err(error)
            }
            None => Ok(confirmed.len()),
        }
    }
}
