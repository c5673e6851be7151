//! The consumer: applies line-provider's messages to bet-maker's events table (a finish settles
//! every bet of its event by storing the result on the event).
//!
//! It supervises its own AMQP connection (lapin does not reconnect by itself): on any broker
//! error it drops the connection, waits with exponential backoff, reconnects, re-declares the
//! topology and consumes again. Deliveries are acknowledged only after their transaction
//! committed; a delivery that can never be applied is rejected into the dead-letter queue; a
//! database outage is waited out, never turned into a rejection.

mod decode;

pub use decode::{DecodeError, IncomingMessage, decode};

use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use deadpool_postgres::Pool;
use futures_util::{FutureExt, StreamExt};
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicRejectOptions};
use lapin::types::FieldTable;
use shared_messages::Topology;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::domain::IncomingEvent;
use crate::metrics::Metrics;
use crate::open_events::OpenEvents;
use crate::state::BrokerState;
use crate::{amqp, service};

/// Deliveries the broker may push ahead of the acknowledgements.
const PREFETCH: u16 = 64;
/// How long connecting, acknowledging and closing may take before the broker counts as lost
/// (a stalled broker would otherwise hold the consumer until heartbeats notice, minutes later).
const BROKER_TIMEOUT: Duration = Duration::from_secs(10);

/// The consumer task's state.
#[derive(Debug)]
pub struct Consumer {
    pool: Pool,
    amqp_url: String,
    topology: Topology,
    metrics: Metrics,
    broker: BrokerState,
    open_events: Arc<OpenEvents>,
}

/// Why consuming stopped.
#[derive(Debug, thiserror::Error)]
enum Stop {
    #[error("broker error: {0}")]
    Broker(#[from] lapin::Error),
    #[error("the broker closed the consumer")]
    Closed,
    #[error("the broker did not answer within {BROKER_TIMEOUT:?}")]
    Timeout,
}

impl Consumer {
    /// A consumer of `topology.queue` at `amqp_url`, applying to `pool`.
    pub fn new(
        pool: Pool,
        amqp_url: String,
        topology: Topology,
        metrics: Metrics,
        broker: BrokerState,
        open_events: Arc<OpenEvents>,
    ) -> Self {
        Self {
            pool,
            amqp_url,
            topology,
            metrics,
            broker,
            open_events,
        }
    }

    /// Runs until `shutdown`: connect, consume, and on a broker failure reconnect with backoff.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut backoff = reconnect_backoff();
        let mut connected_before = false;
        while !shutdown.is_cancelled() {
            let connecting = bounded(amqp::connect(&self.amqp_url, &self.topology, PREFETCH));
            let (connection, channel) = tokio::select! {
                result = connecting => match result {
                    Ok(pair) => pair,
                    Err(error) => {
                        let delay = backoff.next().unwrap_or(Duration::from_secs(5));
                        tracing::warn!(%error, retry_in = ?delay, "cannot reach the broker");
                        tokio::select! {
                            () = tokio::time::sleep(delay) => continue,
                            () = shutdown.cancelled() => break,
                        }
                    }
                },
                () = shutdown.cancelled() => break,
            };
            let consuming = bounded(channel.basic_consume(
                self.topology.queue.as_str().into(),
                "bet-maker".into(),
                BasicConsumeOptions {
                    no_local: false,
                    no_ack: false,    // acknowledged after the commit
                    exclusive: false, // replicas share the queue
                    nowait: false,
                },
                FieldTable::default(),
            ));
            let mut consumer = match consuming.await {
                Ok(consumer) => consumer,
                Err(error) => {
                    let delay = backoff.next().unwrap_or(Duration::from_secs(5));
                    tracing::warn!(%error, retry_in = ?delay, "cannot start consuming; reconnecting");
                    close(&connection).await;
                    tokio::select! {
                        () = tokio::time::sleep(delay) => continue,
                        () = shutdown.cancelled() => break,
                    }
                }
            };
            if connected_before {
                self.metrics.consumer_reconnects.inc();
            }
            connected_before = true;
            backoff = reconnect_backoff();
            self.set_broker_up(true);
            tracing::info!(queue = %self.topology.queue, "connected to the broker; consuming");

            let outcome = self.consume(&mut consumer, &shutdown).await;
            self.set_broker_up(false);
            match outcome {
                Ok(()) => {
                    // Closing hands unacknowledged deliveries back to the queue.
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
        tracing::info!("consumer stopped");
    }

    fn set_broker_up(&self, up: bool) {
        self.broker.set_up(up);
        self.metrics.broker_connected.set(i64::from(up));
    }

    /// Takes each delivery with every other one already at hand (up to the prefetch) and
    /// handles them as one batch.
    async fn consume(
        &self,
        consumer: &mut lapin::Consumer,
        shutdown: &CancellationToken,
    ) -> Result<(), Stop> {
        loop {
            let next = tokio::select! {
                next = consumer.next() => next,
                () = shutdown.cancelled() => return Ok(()),
            };
            let mut batch = vec![next.ok_or(Stop::Closed)??];
            while batch.len() < usize::from(PREFETCH)
                && let Some(Some(delivery)) = consumer.next().now_or_never()
            {
                batch.push(delivery?);
            }
            if !self.handle(batch, shutdown).await? {
                return Ok(());
            }
        }
    }

    /// Dead-letters the deliveries that cannot be decoded and applies the others: together in
    /// one transaction when there are several, one at a time when that fails because of one of
    /// them. Returns `false` when it stopped because of shutdown.
    async fn handle(
        &self,
        batch: Vec<Delivery>,
        shutdown: &CancellationToken,
    ) -> Result<bool, Stop> {
        let mut decoded = Vec::with_capacity(batch.len());
        for delivery in batch {
            match decode(&delivery) {
                Ok(message) => decoded.push((delivery, message)),
                Err(reason) => self.dead_letter(&delivery, &reason.to_string()).await?,
            }
        }
        if decoded.len() > 1 {
            match self.apply_batch(&decoded, shutdown).await? {
                Batch::Applied => return Ok(true),
                Batch::Stopped => return Ok(false),
                Batch::OneByOne => {}
            }
        }
        for (delivery, message) in &decoded {
            if !self
                .apply(delivery, message, shutdown)
                .instrument(span(message))
                .await?
            {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Applies several messages in one transaction, retrying while the database is
    /// unreachable; on success acknowledges them all with one frame.
    async fn apply_batch(
        &self,
        decoded: &[(Delivery, IncomingMessage)],
        shutdown: &CancellationToken,
    ) -> Result<Batch, Stop> {
        let messages: Vec<&IncomingMessage> = decoded.iter().map(|(_, message)| message).collect();
        let events: Vec<&IncomingEvent> = messages.iter().map(|message| &message.event).collect();
        let mut retry = retry_backoff();
        loop {
            let started = Instant::now();
            match service::apply_events(&self.pool, &events).await {
                Ok(outcomes) => {
                    if outcomes.iter().any(|outcome| outcome.applied) {
                        self.open_events.invalidate();
                    }
                    // Every earlier delivery of this channel is handled: `multiple` acknowledges
                    // exactly this batch.
                    if let Some((last, _)) = decoded.last() {
                        acknowledged(bounded(last.ack(BasicAckOptions { multiple: true })).await?)?;
                    }
                    self.metrics.batch_messages.observe(messages.len() as f64);
                    let share = started.elapsed() / u32::try_from(messages.len()).unwrap_or(1);
                    for (message, outcome) in messages.iter().zip(&outcomes) {
                        span(message).in_scope(|| self.record(message, outcome, share));
                    }
                    return Ok(Batch::Applied);
                }
                Err(error) if !error.is_caused_by_message() => {
                    let delay = retry.next().unwrap_or(Duration::from_secs(5));
                    self.metrics.message_retries.inc();
                    tracing::warn!(error = format!("{error:#}"), retry_in = ?delay, messages = messages.len(),
                        "cannot apply the messages yet; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        // Unacknowledged: the broker delivers them again after the restart.
                        () = shutdown.cancelled() => return Ok(Batch::Stopped),
                    }
                }
                // One of them is at fault: find it by applying them one at a time.
                Err(_) => return Ok(Batch::OneByOne),
            }
        }
    }

    /// Applies a decoded message, retrying while the database is unreachable.
    async fn apply(
        &self,
        delivery: &Delivery,
        message: &IncomingMessage,
        shutdown: &CancellationToken,
    ) -> Result<bool, Stop> {
        let mut retry = retry_backoff();
        loop {
            let started = Instant::now();
            match service::apply_event(&self.pool, &message.event).await {
                Ok(outcome) => {
                    self.metrics.batch_messages.observe(1.0);
                    if outcome.applied {
                        self.open_events.invalidate();
                    }
                    acknowledged(
                        bounded(delivery.ack(BasicAckOptions { multiple: false })).await?,
                    )?;
                    self.record(message, &outcome, started.elapsed());
                    return Ok(true);
                }
                Err(error) if !error.is_caused_by_message() => {
                    let delay = retry.next().unwrap_or(Duration::from_secs(5));
                    self.metrics.message_retries.inc();
                    tracing::warn!(error = format!("{error:#}"), retry_in = ?delay,
                        "cannot apply the message yet; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        // Unacknowledged: the broker delivers it again after the restart.
                        () = shutdown.cancelled() => return Ok(false),
                    }
                }
                Err(error) => {
                    self.dead_letter(delivery, &format!("cannot be applied: {error}"))
                        .await?;
                    return Ok(true);
                }
            }
        }
    }

    async fn dead_letter(&self, delivery: &Delivery, reason: &str) -> Result<(), Stop> {
        let message_id = delivery
            .properties
            .message_id()
            .as_ref()
            .map(|id| id.to_string());
        tracing::warn!(reason, message_id = message_id.as_deref().unwrap_or("-"),
            routing_key = %delivery.routing_key, "dead-lettering a message");
        delivery
            .reject(BasicRejectOptions { requeue: false })
            .await?;
        self.metrics.messages_dead_lettered.inc();
        Ok(())
    }

    fn record(&self, message: &IncomingMessage, outcome: &service::Applied, took: Duration) {
        let key = message.change.routing_key();
        self.metrics
            .apply_seconds
            .with_label_values(&[key])
            .observe(took.as_secs_f64());
        // From the change at line-provider to its commit here; a clock behind line-provider's
        // counts as no lag rather than a negative one.
        let lag = time::OffsetDateTime::now_utc() - message.occurred_at;
        self.metrics
            .consumer_lag_seconds
            .observe(lag.as_seconds_f64().max(0.0));
        if !outcome.applied {
            self.metrics.messages_stale.inc();
            tracing::debug!(
                "ignored: bet-maker already holds this version, a newer one, or the result"
            );
            return;
        }
        self.metrics.messages_applied.inc();
        if let Some(result) = outcome.settled_as {
            self.metrics
                .bets_settled
                .with_label_values(&[result.as_str()])
                .inc_by(outcome.settled);
            tracing::info!(
                settled = outcome.settled,
                outcome = result.as_str(),
                took_ms = took.as_millis() as u64,
                lag_ms = lag.whole_milliseconds().max(0) as i64,
                "event finished; bets settled"
            );
        } else {
            tracing::info!("event applied");
        }
    }
}

/// How a batch went.
enum Batch {
    /// Applied and acknowledged.
    Applied,
    /// To be applied one message at a time.
    OneByOne,
    /// Shutdown came while waiting for the database.
    Stopped,
}

/// The span of one message's log lines.
fn span(message: &IncomingMessage) -> tracing::Span {
    tracing::info_span!("delivery", message_id = %message.message_id,
        routing_key = %message.change, event_id = %message.event.id, version = message.event.version)
}

/// `ack`/`reject` answer `false` when the channel was already gone: the broker will deliver the
/// message again, so the consumer must start over rather than count it as handled.
fn acknowledged(done: bool) -> Result<(), Stop> {
    if done { Ok(()) } else { Err(Stop::Closed) }
}

/// A broker operation that gives up after [`BROKER_TIMEOUT`].
async fn bounded<T>(
    operation: impl std::future::Future<Output = lapin::Result<T>>,
) -> Result<T, Stop> {
    match tokio::time::timeout(BROKER_TIMEOUT, operation).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(Stop::Timeout),
    }
}

/// Closes a connection without waiting long for a broker that may be gone.
async fn close(connection: &lapin::Connection) {
    let _ = tokio::time::timeout(
        Duration::from_secs(2),
        connection.close(200, "closing".into()),
    )
    .await;
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

/// 50 ms doubling to at most 5 s, forever: the database may be down for long.
fn retry_backoff() -> impl Iterator<Item = Duration> {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(50))
        .with_max_delay(Duration::from_secs(5))
        .with_jitter()
        .without_max_times()
        .build()
}
