//! Prometheus metrics, one registry per application instance (so tests in one process do not
//! share counters).

use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
};
use service_support::broker::BrokerMetrics;

/// Every metric line-provider exposes on `/metrics`.
#[derive(Clone, Debug)]
pub struct Metrics {
    registry: Registry,
    /// Changes committed, by routing key (`event.created`, ...).
    pub event_changes: IntCounterVec,
    /// Changes decided again because another change of the same event committed first.
    pub change_retries: IntCounter,
    /// Pieces of work (new events, changes) done in one batch of the group commit.
    pub commit_batch_changes: Histogram,
    /// How long a batch took, from waiting for a connection to the last commit.
    pub commit_batch_seconds: Histogram,
    /// Work handed to the writer and not yet taken into a batch.
    pub commit_waiting: IntGauge,
    /// Work the writer handed back to its request to be done alone, by why.
    pub commit_handed_back: IntCounterVec,
    /// Messages confirmed by the broker.
    pub outbox_published: IntCounter,
    /// Messages the relay read and published in one batch.
    pub outbox_batch_messages: Histogram,
    /// Publish attempts that failed (nack, unroutable, broker error).
    pub outbox_publish_failures: IntCounter,
    /// Messages waiting in the outbox, as of the relay's last look.
    pub outbox_pending: IntGauge,
    /// 1 while the relay holds a broker connection.
    pub broker_connected: IntGauge,
    /// Reconnections to the broker after a lost connection.
    pub broker_reconnects: IntCounter,
    /// HTTP requests by method, route pattern and status, with their duration.
    pub http_requests: HistogramVec,
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("line_provider".into()), None)?;
        let event_changes = IntCounterVec::new(
            Opts::new(
                "event_changes_total",
                "Committed changes of events, by routing key",
            ),
            &["routing_key"],
        )?;
        let change_retries = IntCounter::new(
            "event_change_retries_total",
            "Changes decided again after another change of the same event committed first",
        )?;
        let commit_batch_changes = Histogram::with_opts(
            HistogramOpts::new(
                "commit_batch_changes",
                "New events and changes of concurrent requests done in one batch",
            )
            .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0]),
        )?;
        let commit_batch_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "commit_batch_seconds",
                "Time to write one batch of changes, commit included",
            )
            .buckets(prometheus::exponential_buckets(0.0005, 2.0, 12)?),
        )?;
        let commit_waiting = IntGauge::new(
            "commit_waiting",
            "Work waiting for the writer to take it into a batch",
        )?;
        let commit_handed_back = IntCounterVec::new(
            Opts::new(
                "commit_handed_back_total",
                "Work handed back by the writer to be done alone, by reason (held_or_changed, \
                 not_found, batch_failed)",
            ),
            &["reason"],
        )?;
        let outbox_published =
            IntCounter::new("outbox_published_total", "Messages confirmed by the broker")?;
        let outbox_batch_messages = Histogram::with_opts(
            HistogramOpts::new(
                "outbox_batch_messages",
                "Messages the relay read from the outbox and published in one batch",
            )
            .buckets(vec![
                1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 500.0,
            ]),
        )?;
        let outbox_publish_failures =
            IntCounter::new("outbox_publish_failures_total", "Failed publish attempts")?;
        let outbox_pending = IntGauge::new(
            "outbox_pending",
            "Messages waiting in the outbox, as the relay last saw them",
        )?;
        let broker_connected =
            IntGauge::new("broker_connected", "1 while connected to the broker")?;
        let broker_reconnects =
            IntCounter::new("broker_reconnects_total", "Reconnections to the broker")?;
        let http_requests = service_support::http::request_histogram()?;
        registry.register(Box::new(event_changes.clone()))?;
        registry.register(Box::new(change_retries.clone()))?;
        registry.register(Box::new(commit_batch_changes.clone()))?;
        registry.register(Box::new(commit_batch_seconds.clone()))?;
        registry.register(Box::new(commit_waiting.clone()))?;
        registry.register(Box::new(commit_handed_back.clone()))?;
        registry.register(Box::new(outbox_published.clone()))?;
        registry.register(Box::new(outbox_batch_messages.clone()))?;
        registry.register(Box::new(outbox_publish_failures.clone()))?;
        registry.register(Box::new(outbox_pending.clone()))?;
        registry.register(Box::new(broker_connected.clone()))?;
        registry.register(Box::new(broker_reconnects.clone()))?;
        registry.register(Box::new(http_requests.clone()))?;
        Ok(Self {
            registry,
            event_changes,
            change_retries,
            commit_batch_changes,
            commit_batch_seconds,
            commit_waiting,
            commit_handed_back,
            outbox_published,
            outbox_batch_messages,
            outbox_publish_failures,
            outbox_pending,
            broker_connected,
            broker_reconnects,
            http_requests,
        })
    }

    /// The registry every metric is in, for `/metrics`.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The relay's connection metrics, for its supervisor.
    pub fn broker(&self) -> BrokerMetrics {
        BrokerMetrics {
            reconnects: self.broker_reconnects.clone(),
            connected: self.broker_connected.clone(),
        }
    }
}
