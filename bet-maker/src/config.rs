//! Typed configuration, read from the environment once at start: the variables every service
//! reads (`service-support`'s) and bet-maker's own.

use secrecy::SecretString;
use serde::Deserialize;
use service_support::config::{self, Defaults, ServiceSettings};
use shared_messages::Topology;

pub use service_support::LogFormat;
pub use service_support::config::ConfigError;

/// Every environment variable the service reads; deployment files are checked against this
/// list.
pub fn variables() -> Vec<&'static str> {
    config::VARIABLES.into_iter().chain(OWN).collect()
}

/// The variables only bet-maker reads.
const OWN: [&str; 2] = ["ADMIN_TOKEN", "CORS_ALLOWED_ORIGINS"];

/// What bet-maker defaults to on a developer machine.
const DEFAULTS: Defaults = Defaults {
    database_url: "postgres://postgres@127.0.0.1:5432/bet_maker",
    port: 8081,
};

/// Everything the service can be told; see the README for the variables.
#[derive(Clone)]
pub struct Settings {
    /// Where it listens, its database (events and bets) and the broker it consumes from.
    pub service: ServiceSettings,
    /// The operator token required by the exposure routes; `None` leaves them open (a
    /// developer machine) and logs a warning at start.
    pub admin_token: Option<SecretString>,
    /// The names of the exchange and queues; the contract's names unless a test isolates itself.
    pub topology: Topology,
    /// Origins of other services' pages allowed to call bet-maker from a browser (the
    /// operator console of line-provider, for exposure).
    pub cors_allowed_origins: Vec<String>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("service", &self.service)
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "[redacted]"),
            )
            .field("topology", &self.topology)
            .field("cors_allowed_origins", &self.cors_allowed_origins)
            .finish()
    }
}

/// bet-maker's own variables as they arrive.
#[derive(Debug, Deserialize)]
struct Own {
    admin_token: Option<String>,
    amqp_name_prefix: Option<String>,
    amqp_queue_type: Option<String>,
    cors_allowed_origins: Option<String>,
}

impl Settings {
    /// Reads `DATABASE_URL`, `AMQP_URL`, `BIND_ADDRESS`, `PORT`, `LOG_FORMAT`,
    /// `AMQP_NAME_PREFIX`, `AMQP_QUEUE_TYPE`, `ADMIN_TOKEN` and `CORS_ALLOWED_ORIGINS`, with
    /// defaults that fit a developer machine.
    pub fn from_env() -> Result<Self, ConfigError> {
        let (service, own) = config::load::<Own>(DEFAULTS, &OWN)?;
        Ok(Self {
            service,
            admin_token: config::token("ADMIN_TOKEN", own.admin_token)?,
            topology: config::topology(
                own.amqp_name_prefix.as_deref(),
                own.amqp_queue_type.as_deref(),
            )?,
            cors_allowed_origins: config::origins(
                "CORS_ALLOWED_ORIGINS",
                own.cors_allowed_origins,
            )?,
        })
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
            let settings = Settings::from_env().unwrap();
            assert!(settings.admin_token.is_some());
            assert!(!format!("{settings:?}").contains("s3cret-token"));
            assert!(variables().contains(&"ADMIN_TOKEN"));
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's own error type
    fn allowed_origins_are_a_comma_separated_list_of_origins() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env(
                "CORS_ALLOWED_ORIGINS",
                "http://localhost:8080, https://console.example:8443",
            );
            let settings = Settings::from_env().unwrap();
            assert_eq!(
                settings.cors_allowed_origins,
                ["http://localhost:8080", "https://console.example:8443"]
            );
            jail.set_env("CORS_ALLOWED_ORIGINS", "localhost:8080");
            let error = Settings::from_env().unwrap_err().to_string();
            assert!(error.contains("CORS_ALLOWED_ORIGINS"), "{error}");
            Ok(())
        });
    }
}
