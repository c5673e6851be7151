//! Typed configuration, read from the environment once at start: the variables every service
//! reads (`service-support`'s) and line-provider's own.

use serde::Deserialize;
use service_support::config::{self, Defaults, ServiceSettings};

pub use service_support::LogFormat;
pub use service_support::config::ConfigError;

/// Every environment variable the service reads; deployment files are checked against this
/// list.
pub fn variables() -> Vec<&'static str> {
    config::variables(&OWN)
}

/// The variables only line-provider reads.
const OWN: [&str; 1] = ["BET_MAKER_URL"];

/// What line-provider defaults to on a developer machine.
const DEFAULTS: Defaults = Defaults {
    database_url: "postgres://postgres@127.0.0.1:5432/line_provider",
    port: 8080,
};

/// Everything the service can be told; see the README for the variables. Its `Debug` shows no
/// secret (`ServiceSettings` hides the token and the passwords).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where it listens, its database (events and outbox) and the broker the relay publishes to.
    pub service: ServiceSettings,
    /// Where the operator's browser reaches bet-maker, for the console's exposure column (an
    /// origin; bet-maker must allow this service's origin in `CORS_ALLOWED_ORIGINS`).
    pub bet_maker_url: String,
}

/// line-provider's own variables as they arrive.
#[derive(Debug, Deserialize)]
struct Own {
    bet_maker_url: Option<String>,
}

impl Settings {
    /// Reads `DATABASE_URL`, `AMQP_URL`, `BIND_ADDRESS`, `PORT`, `LOG_FORMAT`,
    /// `AMQP_NAME_PREFIX`, `AMQP_QUEUE_TYPE`, `ADMIN_TOKEN` and `BET_MAKER_URL`, with defaults
    /// that fit a developer machine.
    pub fn from_env() -> Result<Self, ConfigError> {
        let (service, own) = config::load::<Own>(DEFAULTS, &OWN)?;
        Ok(Self {
            bet_maker_url: bet_maker_url(own.bet_maker_url)?,
            service,
        })
    }
}

/// `BET_MAKER_URL`: one origin; bet-maker's default port on this host when unset.
fn bet_maker_url(value: Option<String>) -> Result<String, ConfigError> {
    let value = value.unwrap_or_else(|| "http://localhost:8081".to_owned());
    let mut origins = config::origins("BET_MAKER_URL", Some(value))?;
    match (origins.pop(), origins.is_empty()) {
        (Some(origin), true) => Ok(origin),
        _ => Err(ConfigError(
            "BET_MAKER_URL must be one origin, such as http://localhost:8081".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's own error type
    fn the_admin_token_is_read_and_never_appears_in_debug_output() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("ADMIN_TOKEN", "s3cret-token");
            jail.set_env("AMQP_NAME_PREFIX", "t1");
            let settings = Settings::from_env().unwrap();
            assert!(settings.service.admin_token.is_some());
            assert!(!format!("{settings:?}").contains("s3cret-token"));
            assert_eq!(
                settings.service.topology,
                shared_messages::Topology::with_prefix("t1")
            );
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's own error type
    fn an_empty_admin_token_is_refused_rather_than_leaving_routes_open() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("ADMIN_TOKEN", "  ");
            let error = Settings::from_env().unwrap_err().to_string();
            assert!(error.contains("ADMIN_TOKEN"), "{error}");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's own error type
    fn the_queue_type_is_quorum_unless_set_and_anything_else_is_refused() {
        use shared_messages::topology::QueueType;
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            assert_eq!(
                Settings::from_env().unwrap().service.topology.queue_type,
                QueueType::Quorum
            );
            jail.set_env("AMQP_QUEUE_TYPE", "classic");
            assert_eq!(
                Settings::from_env().unwrap().service.topology.queue_type,
                QueueType::Classic
            );
            jail.set_env("AMQP_QUEUE_TYPE", "mirrored");
            let error = Settings::from_env().unwrap_err().to_string();
            assert!(error.contains("AMQP_QUEUE_TYPE"), "{error}");
            Ok(())
        });
    }
}
