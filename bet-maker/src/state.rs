//! What every handler shares.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use deadpool_postgres::Pool;
use tokio::sync::Semaphore;

use crate::metrics::Metrics;
use crate::open_events::OpenEvents;

/// Shared state of one running application.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Connections to bet-maker's database.
    pub pool: Pool,
    /// The Prometheus registry.
    pub metrics: Metrics,
    /// Whether the consumer holds a working broker connection.
    pub broker: BrokerState,
    /// Permits for `GET /bets` streams, which hold a connection as long as their client reads.
    pub history_streams: Arc<Semaphore>,
    /// `GET /events`, served from memory.
    pub open_events: Arc<OpenEvents>,
}

/// Whether the consumer is connected, shared between it and the readiness check.
#[derive(Debug, Clone, Default)]
pub struct BrokerState(Arc<AtomicBool>);

impl BrokerState {
    /// Records whether the consumer holds a working connection.
    pub fn set_up(&self, up: bool) {
        self.0.store(up, Ordering::Relaxed);
    }

    /// Whether the consumer holds a working connection.
    pub fn is_up(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}
