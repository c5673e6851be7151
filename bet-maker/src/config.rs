//! Typed configuration, read from the environment once at start: the variables every service
//! reads (`service-support`'s) and bet-maker's own.

use serde::Deserialize;
use service_support::config::{self, Defaults, ServiceSettings};
use shared_messages::Topology;

pub use service_support::LogFormat;
pub use service_support::config::ConfigError;

/// Every environment variable the service reads; deployment files are checked against this
/// list.
pub fn variables() -> Vec<&'static str> {
    config::VARIABLES.to_vec()
}

/// What bet-maker defaults to on a developer machine.
const DEFAULTS: Defaults = Defaults {
    database_url: "postgres://postgres@127.0.0.1:5432/bet_maker",
    port: 8081,
};

/// Everything the service can be told; see the README for the variables.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where it listens, its database (events and bets) and the broker it consumes from.
    pub service: ServiceSettings,
    /// The names of the exchange and queues; the contract's names unless a test isolates itself.
    pub topology: Topology,
}

/// bet-maker's own variables as they arrive.
#[derive(Debug, Deserialize)]
struct Own {
    amqp_name_prefix: Option<String>,
}

impl Settings {
    /// Reads `DATABASE_URL`, `AMQP_URL`, `BIND_ADDRESS`, `PORT`, `LOG_FORMAT` and
    /// `AMQP_NAME_PREFIX`, with defaults that fit a developer machine.
    pub fn from_env() -> Result<Self, ConfigError> {
        let (service, own) = config::load::<Own>(DEFAULTS, &[])?;
        Ok(Self {
            service,
            topology: Topology::with_optional_prefix(own.amqp_name_prefix.as_deref()),
        })
    }
}
