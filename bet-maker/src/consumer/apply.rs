//! Applying decoded messages: a batch in one transaction or one message at a time, retrying
//! while the database is unreachable, acknowledging only after the commit.

use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use lapin::message::Delivery;
use lapin::options::BasicAckOptions;
use service_support::broker::bounded;
use tokio_util::sync::CancellationToken;

use super::record::span;
use super::{Applier, IncomingMessage, Stop, acknowledged};
use crate::domain::IncomingEvent;
use crate::service;

impl Applier {
    /// Applies several messages in one transaction, retrying while the database is
    /// unreachable; on success acknowledges them all with one frame.
    pub(super) async fn apply_batch(
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
                Err(error) if !error.is_caused_by_data() => {
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
    pub(super) async fn apply(
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
                Err(error) if !error.is_caused_by_data() => {
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
}

/// How a batch went.
pub(super) enum Batch {
    /// Applied and acknowledged.
    Applied,
    /// To be applied one message at a time.
    OneByOne,
    /// Shutdown came while waiting for the database.
    Stopped,
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
