//! Prometheus metrics, one registry per application instance (so tests in one process do not
//! share counters).

use prometheus::{
    Histogram, HistogramVec, IntCounter, IntCounterVec, IntGauge, Registry,
    register_histogram_with_registry, register_int_counter_vec_with_registry,
    register_int_counter_with_registry, register_int_gauge_with_registry,
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
        let http_requests = service_support::http::request_histogram()?;
        registry.register(Box::new(http_requests.clone()))?;
        Ok(Self {
            event_changes: register_int_counter_vec_with_registry!(
                "event_changes_total",
                "Committed changes of events, by routing key",
                &["routing_key"],
                registry,
            )?,
            change_retries: register_int_counter_with_registry!(
                "event_change_retries_total",
                "Changes decided again after another change of the same event committed first",
                registry,
            )?,
            commit_batch_changes: register_histogram_with_registry!(
                "commit_batch_changes",
                "New events and changes of concurrent requests done in one batch",
                vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0],
                registry,
            )?,
            commit_batch_seconds: register_histogram_with_registry!(
                "commit_batch_seconds",
                "Time to write one batch of changes, commit included",
                prometheus::exponential_buckets(0.0005, 2.0, 12)?,
                registry,
            )?,
            commit_waiting: register_int_gauge_with_registry!(
                "commit_waiting",
                "Work waiting for the writer to take it into a batch",
                registry,
            )?,
            commit_handed_back: register_int_counter_vec_with_registry!(
                "commit_handed_back_total",
                "Work handed back by the writer to be done alone, by reason (held_or_changed, \
                 not_found, batch_failed)",
                &["reason"],
                registry,
            )?,
            outbox_published: register_int_counter_with_registry!(
                "outbox_published_total",
                "Messages confirmed by the broker",
                registry,
            )?,
            outbox_batch_messages: register_histogram_with_registry!(
                "outbox_batch_messages",
                "Messages the relay read from the outbox and published in one batch",
                vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 500.0],
                registry,
            )?,
            outbox_publish_failures: register_int_counter_with_registry!(
                "outbox_publish_failures_total",
                "Failed publish attempts",
                registry,
            )?,
            outbox_pending: register_int_gauge_with_registry!(
                "outbox_pending",
                "Messages waiting in the outbox, as the relay last saw them",
                registry,
            )?,
            broker_connected: register_int_gauge_with_registry!(
                "broker_connected",
                "1 while connected to the broker",
                registry,
            )?,
            broker_reconnects: register_int_counter_with_registry!(
                "broker_reconnects_total",
                "Reconnections to the broker",
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

    /// The relay's connection metrics, for its supervisor.
    pub fn broker(&self) -> BrokerMetrics {
        BrokerMetrics {
            reconnects: self.broker_reconnects.clone(),
            connected: self.broker_connected.clone(),
        }
    }
}
