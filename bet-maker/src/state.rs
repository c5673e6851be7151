//! What every handler shares.

use std::sync::Arc;

use deadpool_postgres::Pool;

use crate::metrics::Metrics;
use crate::open_events::OpenEvents;
use crate::streams::Streams;

/// Shared state of one running application.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Connections to bet-maker's database.
    pub pool: Pool,
    /// The Prometheus registry.
    pub metrics: Metrics,
    /// Permits for `GET /bets` streams, which hold a connection as long as their client reads.
    pub history_streams: Arc<Streams>,
    /// `GET /events`, served from memory.
    pub open_events: Arc<OpenEvents>,
    /// Whether bettors have accounts (`ACCOUNTS`): the bets then answer by who asks.
    pub accounts: bool,
    /// Whether a bet may be placed without an account (`ANONYMOUS_BETS`).
    pub anonymous_bets: bool,
}
