//! The relay: publishes outbox rows in order, with publisher confirms, and marks them
//! published only after the broker confirmed them.
//!
//! It supervises its own AMQP connection (lapin does not reconnect by itself): on any broker
//! error it drops the connection, waits with exponential backoff, reconnects, re-declares the
//! topology and goes on from the oldest unconfirmed row. Only one replica publishes at a time
//! (a transaction-scoped advisory lock), so messages leave in outbox order whatever the number
//! of replicas.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use deadpool_postgres::Pool;
use lapin::{Channel, Confirmation, Connection};
use shared_messages::Topology;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::db::{self, DbError, OutboxMessage};
use crate::{amqp, metrics::Metrics};

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
/// How long connecting, and closing a connection, may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// What the rest of the service holds of the relay: a way to wake it and its broker state.
#[derive(Debug, Clone, Default)]
pub struct RelayHandle {
    wake: Arc<Notify>,
    broker_up: Arc<AtomicBool>,
}

impl RelayHandle {
    /// Tells the relay a transaction with outbox rows just committed.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Whether the relay holds a working broker connection.
    pub fn broker_up(&self) -> bool {
        self.broker_up.load(Ordering::Relaxed)
    }
}

/// The relay task's state.
#[derive(Debug)]
pub struct Relay {
    pool: Pool,
    amqp_url: String,
    topology: Topology,
    handle: RelayHandle,
    metrics: Metrics,
}

#[derive(Debug, thiserror::Error)]
enum RelayError {
    #[error("broker error: {0}")]
    Broker(#[from] lapin::Error),
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
        Self {
            pool,
            amqp_url,
            topology,
            handle: RelayHandle::default(),
            metrics,
        }
    }

    /// The handle to give the HTTP handlers and the health check.
    pub fn handle(&self) -> RelayHandle {
        self.handle.clone()
    }

    /// Runs until `shutdown`: connect, publish, and on a broker failure reconnect with backoff.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut backoff = reconnect_backoff();
        let mut connected_before = false;
        while !shutdown.is_cancelled() {
            let connecting = tokio::time::timeout(
                CONNECT_TIMEOUT,
                amqp::connect(&self.amqp_url, &self.topology),
            );
            let (connection, channel) = tokio::select! {
                result = connecting => match result.unwrap_or_else(|_| Err(lapin::ErrorKind::IOError(
                    std::io::Error::new(std::io::ErrorKind::TimedOut, "connecting timed out").into()).into())) {
                    Ok(pair) => pair,
                    Err(error) => {
                        let delay = backoff.next().unwrap_or(Duration::from_secs(5));
                        tracing::warn!(%error, retry_in = ?delay, "cannot reach the broker; messages wait in the outbox");
                        self.refresh_pending_gauge().await;
                        tokio::select! {
                            () = tokio::time::sleep(delay) => continue,
                            () = shutdown.cancelled() => break,
                        }
                    }
                },
                () = shutdown.cancelled() => break,
            };
            if connected_before {
                self.metrics.broker_reconnects.inc();
            }
            connected_before = true;
            backoff = reconnect_backoff();
            self.set_broker_up(true);
            tracing::info!(exchange = %self.topology.exchange, "connected to the broker; relaying the outbox");

            let outcome = self
                .relay_until_broken(&connection, &channel, &shutdown)
                .await;
            self.set_broker_up(false);
            match outcome {
                Ok(()) => {
                    self.final_drain(&channel).await;
                    close(&connection).await;
                    break;
                }
                Err(error) => {
                    tracing::warn!(%error, "lost the broker; reconnecting");
                    close(&connection).await;
                }
            }
        }
        self.set_broker_up(false);
        tracing::info!("outbox relay stopped");
    }

    fn set_broker_up(&self, up: bool) {
        self.handle.broker_up.store(up, Ordering::Relaxed);
        self.metrics.broker_connected.set(i64::from(up));
    }

    /// Publishes whatever waits, then sleeps until woken or polled; returns `Ok` on shutdown
    /// and an error when the broker connection is no longer usable.
    async fn relay_until_broken(
        &self,
        connection: &Connection,
        channel: &Channel,
        shutdown: &CancellationToken,
    ) -> Result<(), RelayError> {
        let mut last_prune = Instant::now();
        loop {
            match self.drain(channel).await {
                Ok(()) => {}
                Err(RelayError::Database(error)) => {
                    tracing::warn!(%error, "cannot read the outbox; will retry");
                }
                Err(error) => return Err(error),
            }
            if !connection.status().connected() || !channel.status().connected() {
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
                self.refresh_pending_gauge().await;
                return Ok(());
            }
        }
    }

    /// On shutdown: publishes what committed meanwhile, retrying for a few seconds while
    /// another transaction holds the relay lock.
    async fn final_drain(&self, channel: &Channel) {
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

    /// Publishes up to [`BATCH`] rows in one transaction; returns how many were confirmed.
    ///
    /// Every confirmed row is marked, even when another row of the batch failed; the failed
    /// one is retried later (consumers ignore a version older than one they hold).
    async fn publish_batch(&self, channel: &Channel) -> Result<usize, RelayError> {
        let mut client = self.pool.get().await?;
        let transaction = client.transaction().await?;
        if !db::try_lock_relay(&transaction).await? {
            transaction.rollback().await?;
            return Ok(0); // another replica is relaying
        }
        let messages = db::pending_messages(&transaction, BATCH as i64).await?;
        if messages.is_empty() {
            // End the transaction now: a dropped one releases the relay lock only when its
            // ROLLBACK gets through, and the next batch could find the lock still taken.
            transaction.rollback().await?;
            return Ok(0);
        }
        let (confirmed, failure) =
            match tokio::time::timeout(PUBLISH_TIMEOUT, self.publish_all(channel, &messages)).await
            {
                Ok(outcome) => outcome,
                Err(_) => (Vec::new(), Some(RelayError::Timeout(PUBLISH_TIMEOUT))),
            };
        db::mark_published(&transaction, &confirmed).await?;
        transaction.commit().await?;
        self.metrics.outbox_published.inc_by(confirmed.len() as u64);
        match failure {
            Some(error) => {
                self.metrics.outbox_publish_failures.inc();
                Err(error)
            }
            None => Ok(confirmed.len()),
        }
    }

    /// Publishes `messages` in order, then waits for every confirm; returns the confirmed
    /// rows and the first failure.
    async fn publish_all(
        &self,
        channel: &Channel,
        messages: &[OutboxMessage],
    ) -> (Vec<i64>, Option<RelayError>) {
        let mut failure = None;
        let mut in_flight = Vec::with_capacity(messages.len());
        for message in messages {
            match amqp::publish(channel, &self.topology.exchange, message).await {
                Ok(confirm) => in_flight.push((message, confirm)),
                Err(error) => {
                    failure = Some(error.into());
                    break;
                }
            }
        }
        let mut confirmed = Vec::with_capacity(in_flight.len());
        for (message, confirm) in in_flight {
            match confirm.await {
                Ok(Confirmation::Ack(None)) => {
                    confirmed.push(message.seq);
                    tracing::debug!(message_id = %message.message_id, routing_key = %message.routing_key,
                        event_id = %message.event_id, "published");
                }
                Ok(Confirmation::Ack(Some(_returned))) => {
                    failure.get_or_insert(RelayError::Unroutable(message.message_id));
                }
                Ok(Confirmation::Nack(_) | Confirmation::NotRequested) => {
                    failure.get_or_insert(RelayError::Nacked(message.message_id));
                }
                Err(error) => {
                    failure.get_or_insert(error.into());
                }
            }
        }
        (confirmed, failure)
    }

    async fn refresh_pending_gauge(&self) {
        if let Ok(client) = self.pool.get().await
            && let Ok(pending) = db::count_pending(&client).await
        {
            self.metrics.outbox_pending.set(pending);
        }
    }

    async fn prune(&self) {
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

/// Closes a connection without waiting long for a broker that may be gone.
async fn close(connection: &Connection) {
    let closing = connection.close(200, "closing".into());
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, closing).await;
}

/// 100 ms doubling to at most 5 s (each delay with random jitter of up to as much again),
/// forever: the broker may be down for long.
fn reconnect_backoff() -> impl Iterator<Item = Duration> {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(100))
        .with_max_delay(Duration::from_secs(5))
        .with_jitter()
        .without_max_times()
        .build()
}
