//! Prometheus metrics, one registry per application instance (so tests in one process do not
//! share counters).

use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
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
    /// HTTP requests by method, route pattern and status, with their duration.
    pub http_requests: HistogramVec,
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("bet_maker".into()), None)?;
        let bets_placed = IntCounter::new("bets_placed_total", "Bets accepted")?;
        let bets_refused = IntCounterVec::new(
            Opts::new("bets_refused_total", "Bets refused, by reason"),
            &["reason"],
        )?;
        let limit_spreads = IntCounter::new(
            "liability_limit_spreads_total",
            "Bets decided against an event's whole liability limit after their stripe ran out",
        )?;
        let bets_settled = IntCounterVec::new(
            Opts::new("bets_settled_total", "Bets settled, by outcome"),
            &["outcome"],
        )?;
        let bets_resettled = IntCounterVec::new(
            Opts::new(
                "bets_resettled_total",
                "Bets settled again by a correction, by their new outcome",
            ),
            &["outcome"],
        )?;
        let messages_applied = IntCounter::new(
            "messages_applied_total",
            "Messages applied to the events table",
        )?;
        let messages_stale = IntCounter::new(
            "messages_stale_total",
            "Messages ignored: an equal or newer version was already held",
        )?;
        let messages_dead_lettered = IntCounter::new(
            "messages_dead_lettered_total",
            "Messages sent to the dead-letter queue",
        )?;
        let message_retries = IntCounter::new(
            "message_retries_total",
            "Failed attempts to apply a message, retried (database unreachable or refusing)",
        )?;
        let consumer_reconnects =
            IntCounter::new("consumer_reconnects_total", "Reconnections to the broker")?;
        let broker_connected =
            IntGauge::new("broker_connected", "1 while connected to the broker")?;
        let apply_seconds = HistogramVec::new(
            HistogramOpts::new(
                "message_apply_duration_seconds",
                "Time to apply one message",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1.0, 5.0, 30.0,
            ]),
            &["routing_key"],
        )?;
        let batch_messages = Histogram::with_opts(
            HistogramOpts::new(
                "consumer_batch_messages",
                "Messages applied in one transaction",
            )
            .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]),
        )?;
        let consumer_lag_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "consumer_lag_seconds",
                "Seconds from a change at line-provider to its commit in bet-maker",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0, 30.0, 300.0,
            ]),
        )?;
        let http_requests = service_support::http::request_histogram()?;
        for collector in [
            Box::new(bets_placed.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(bets_refused.clone()),
            Box::new(limit_spreads.clone()),
            Box::new(bets_settled.clone()),
            Box::new(bets_resettled.clone()),
            Box::new(messages_applied.clone()),
            Box::new(messages_stale.clone()),
            Box::new(messages_dead_lettered.clone()),
            Box::new(message_retries.clone()),
            Box::new(consumer_reconnects.clone()),
            Box::new(broker_connected.clone()),
            Box::new(apply_seconds.clone()),
            Box::new(batch_messages.clone()),
            Box::new(consumer_lag_seconds.clone()),
            Box::new(http_requests.clone()),
        ] {
            registry.register(collector)?;
        }
        Ok(Self {
            registry,
            bets_placed,
            bets_refused,
            limit_spreads,
            bets_settled,
            bets_resettled,
            messages_applied,
            messages_stale,
            messages_dead_lettered,
            message_retries,
            consumer_reconnects,
            broker_connected,
            apply_seconds,
            batch_messages,
            consumer_lag_seconds,
            http_requests,
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
