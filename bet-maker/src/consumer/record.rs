//! What the consumer records of each applied message: its metrics and its log lines.

use std::time::Duration;

use super::{Applier, IncomingMessage};
use crate::service;

impl Applier {
    /// Counts the message applied or stale, observes its time and lag, and logs what it did.
    pub(super) fn record(
        &self,
        message: &IncomingMessage,
        outcome: &service::Applied,
        took: Duration,
    ) {
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
            let (counter, what) = if outcome.resettled {
                (
                    &self.metrics.bets_resettled,
                    "final status corrected; bets settled again",
                )
            } else {
                (
                    &self.metrics.bets_settled,
                    "event finished or cancelled; bets settled",
                )
            };
            counter
                .with_label_values(&[result.as_str()])
                .inc_by(outcome.settled);
            tracing::info!(
                settled = outcome.settled,
                outcome = result.as_str(),
                took_ms = took.as_millis() as u64,
                lag_ms = lag.whole_milliseconds().max(0) as i64,
                "{what}"
            );
        } else {
            tracing::info!("event applied");
        }
    }
}

/// The span of one message's log lines.
pub(super) fn span(message: &IncomingMessage) -> tracing::Span {
    tracing::info_span!("delivery", message_id = %message.message_id,
        routing_key = %message.change, event_id = %message.event.id, version = message.event.version)
}
