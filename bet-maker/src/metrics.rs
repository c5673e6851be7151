//! Prometheus metrics, one registry per application instance (so tests in one process do not
//! share counters).

use prometheus::{
    Histogram, HistogramVec, IntCounter, IntCounterVec, IntGauge, Registry,
    register_histogram_vec_with_registry, register_histogram_with_registry,
    register_int_counter_vec_with_registry, register_int_counter_with_registry,
    register_int_gauge_with_registry,
};
use service_support::broker::BrokerMetrics;

/// Every metric bet-maker exposes on `/metrics`.
#[derive(Clone, Debug)]
pub struct Metrics {
    registry: Registry,
    /// Bets accepted.
    pub bets_placed: IntCounter,
    /// Bets refused, by reason (`closed`, `stake_out_of_range`, `odds_changed`,
    /// `liability_limit`, `unknown_event`, `idempotency_key_reused`).
    pub bets_refused: IntCounterVec,
    /// Bets whose stripe of their event's liability limit ran out, placed (or refused) against
    /// the whole limit, which is then spread over the stripes again.
    pub limit_spreads: IntCounter,
    /// Bets settled, by outcome (`won`, `lost`, `void`): at an event's first final status
    /// (a finish or a cancellation), every bet of the event, counted from the event's tally.
    pub bets_settled: IntCounterVec,
    /// Bets settled again by a correction of their event's final status, by the new outcome.
    pub bets_resettled: IntCounterVec,
    /// Messages that changed the events table.
    pub messages_applied: IntCounter,
    /// Messages ignored because bet-maker already held that version or a newer one.
    pub messages_stale: IntCounter,
    /// Messages sent to the dead-letter queue.
    pub messages_dead_lettered: IntCounter,
    /// Attempts to apply a message that failed for a reason not the message's (the database
    /// unreachable or refusing), each followed by a retry.
    pub message_retries: IntCounter,
    /// Reconnections of the consumer after a lost broker connection.
    pub consumer_reconnects: IntCounter,
    /// 1 while the consumer holds a broker connection.
    pub broker_connected: IntGauge,
    /// Seconds spent applying one message, settlement included (a batch's time is shared
    /// evenly among its messages).
    pub apply_seconds: HistogramVec,
    /// Messages applied per transaction: the consumer applies the deliveries at hand together.
    pub batch_messages: Histogram,
    /// The consumer's lag: seconds from a change at line-provider (the message's `occurred_at`)
    /// to its commit here. A re-published message counts from its event's last change.
    pub consumer_lag_seconds: Histogram,
    /// Accounts opened.
    pub accounts_opened: IntCounter,
    /// Lines written to the ledger, by kind (`deposit`, `withdrawal`, ...).
    pub ledger_lines: IntCounterVec,
    /// Account bets whose wallet took their event's result (a correction counts again).
    pub bets_paid: IntCounter,
    /// Account bets whose event's current result some wallet has not taken yet.
    pub payout_backlog: IntGauge,
    /// Seconds since the oldest result some wallet has not taken yet became known (0: none).
    pub payout_backlog_age: IntGauge,
    /// HTTP requests by method, route pattern and status, with their duration.
    pub http_requests: HistogramVec,
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("bet_maker".into()), None)?;
        let http_requests = service_support::http::request_histogram()?;
        registry.register(Box::new(http_requests.clone()))?;
        Ok(Self {
            bets_placed: register_int_counter_with_registry!(
                "bets_placed_total",
                "Bets accepted",
                registry,
            )?,
            bets_refused: register_int_counter_vec_with_registry!(
                "bets_refused_total",
                "Bets refused, by reason",
                &["reason"],
                registry,
            )?,
            limit_spreads: register_int_counter_with_registry!(
                "liability_limit_spreads_total",
                "Bets decided against an event's whole liability limit after their stripe ran out",
                registry,
            )?,
            bets_settled: register_int_counter_vec_with_registry!(
                "bets_settled_total",
                "Bets settled, by outcome",
                &["outcome"],
                registry,
            )?,
            bets_resettled: register_int_counter_vec_with_registry!(
                "bets_resettled_total",
                "Bets settled again by a correction, by their new outcome",
                &["outcome"],
                registry,
            )?,
            accounts_opened: register_int_counter_with_registry!(
                "accounts_opened_total",
                "Accounts opened",
                registry,
            )?,
            ledger_lines: register_int_counter_vec_with_registry!(
                "ledger_lines_total",
                "Lines written to the ledger, by kind",
                &["kind"],
                registry,
            )?,
            bets_paid: register_int_counter_with_registry!(
                "bets_paid_total",
                "Account bets whose wallet took their event's result, by the worker or on touch",
                registry,
            )?,
            payout_backlog: register_int_gauge_with_registry!(
                "payout_backlog_bets",
                "Account bets whose event's current result some wallet has not taken yet",
                registry,
            )?,
            payout_backlog_age: register_int_gauge_with_registry!(
                "payout_backlog_age_seconds",
                "Seconds since the oldest result a wallet has not taken yet became known",
                registry,
            )?,
            messages_applied: register_int_counter_with_registry!(
                "messages_applied_total",
                "Messages applied to the events table",
                registry,
            )?,
            messages_stale: register_int_counter_with_registry!(
                "messages_stale_total",
                "Messages ignored: an equal or newer version was already held",
                registry,
            )?,
            messages_dead_lettered: register_int_counter_with_registry!(
                "messages_dead_lettered_total",
                "Messages sent to the dead-letter queue",
                registry,
            )?,
            message_retries: register_int_counter_with_registry!(
                "message_retries_total",
                "Failed attempts to apply a message, retried (database unreachable or refusing)",
                registry,
            )?,
            consumer_reconnects: register_int_counter_with_registry!(
                "consumer_reconnects_total",
                "Reconnections to the broker",
                registry,
            )?,
            broker_connected: register_int_gauge_with_registry!(
                "broker_connected",
                "1 while connected to the broker",
                registry,
            )?,
            apply_seconds: register_histogram_vec_with_registry!(
                "message_apply_duration_seconds",
                "Time to apply one message",
                &["routing_key"],
                vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1.0, 5.0, 30.0
                ],
                registry,
            )?,
            batch_messages: register_histogram_with_registry!(
                "consumer_batch_messages",
                "Messages applied in one transaction",
                vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0],
                registry,
            )?,
            consumer_lag_seconds: register_histogram_with_registry!(
                "consumer_lag_seconds",
                "Seconds from a change at line-provider to its commit in bet-maker",
                vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0, 30.0, 300.0
                ],
                registry,
            )?,
            http_requests,
            registry,
        })
    }

    /// The registry every metric is in, for `/metrics`.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The consumer's connection metrics, for its supervisor.
    pub fn broker(&self) -> BrokerMetrics {
        BrokerMetrics {
            reconnects: self.consumer_reconnects.clone(),
            connected: self.broker_connected.clone(),
        }
    }
}
