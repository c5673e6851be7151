//! What every handler shares.

use deadpool_postgres::Pool;

use crate::commits::Committer;
use crate::metrics::Metrics;

/// Shared state of one running application.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Connections to line-provider's database.
    pub pool: Pool,
    /// Writes events and their messages (the changes of concurrent requests together).
    pub commits: Committer,
    /// The Prometheus registry.
    pub metrics: Metrics,
    /// bet-maker's origin, which the console's page calls for exposure.
    pub bet_maker_url: String,
}
