//! What every handler shares.

use deadpool_postgres::Pool;
use secrecy::SecretString;

use crate::commits::Committer;
use crate::metrics::Metrics;
use crate::outbox::RelayHandle;

/// Shared state of one running application.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Connections to line-provider's database.
    pub pool: Pool,
    /// Writes the changes of concurrent requests together.
    pub commits: Committer,
    /// Wakes the outbox relay after a commit.
    pub relay: RelayHandle,
    /// The Prometheus registry.
    pub metrics: Metrics,
    /// The operator token, when the admin routes are protected.
    pub admin_token: Option<SecretString>,
    /// bet-maker's origin, which the console's page calls for exposure.
    pub bet_maker_url: String,
}
