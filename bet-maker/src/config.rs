//! Typed configuration, read from the environment once at start.

use std::net::IpAddr;

use figment::Figment;
use figment::providers::{Env, Serialized};
use serde::{Deserialize, Serialize};
use shared_messages::Topology;

/// Every environment variable the service reads (`RUST_LOG` by the log filter, the others
/// here); deployment files are checked against this list.
pub const VARIABLES: [&str; 7] = [
    "DATABASE_URL",
    "AMQP_URL",
    "BIND_ADDRESS",
    "PORT",
    "LOG_FORMAT",
    "RUST_LOG",
    "AMQP_NAME_PREFIX",
];

/// Everything the service can be told; see the README for the variables.
#[derive(Clone)]
pub struct Settings {
    /// Where bet-maker keeps its events and bets; the database is created if missing.
    pub database_url: String,
    /// The RabbitMQ broker the consumer reads line-provider's messages from.
    pub amqp_url: String,
    /// The address the HTTP server binds to.
    pub bind_address: IpAddr,
    /// The HTTP port; 0 picks a free one (tests).
    pub port: u16,
    /// `text` for people, `json` for log collectors.
    pub log_format: LogFormat,
    /// The names of the exchange and queues; the contract's names unless a test isolates itself.
    pub topology: Topology,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &redact(&self.database_url))
            .field("amqp_url", &redact(&self.amqp_url))
            .field("bind_address", &self.bind_address)
            .field("port", &self.port)
            .field("log_format", &self.log_format)
            .field("topology", &self.topology)
            .finish()
    }
}

/// The URL with its password replaced, for logs.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:[redacted]@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

pub use service_support::LogFormat;

/// The variables as they arrive, before checks.
#[derive(Debug, Serialize, Deserialize)]
struct Raw {
    database_url: String,
    amqp_url: String,
    bind_address: IpAddr,
    port: u16,
    log_format: LogFormat,
    amqp_name_prefix: Option<String>,
}

impl Default for Raw {
    fn default() -> Self {
        Self {
            database_url: "postgres://postgres@127.0.0.1:5432/bet_maker".to_owned(),
            amqp_url: "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned(),
            bind_address: IpAddr::from([0, 0, 0, 0]),
            port: 8081,
            log_format: LogFormat::Text,
            amqp_name_prefix: None,
        }
    }
}

/// A variable that is set but unusable; the message names it and never echoes a secret.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl Settings {
    /// Reads `DATABASE_URL`, `AMQP_URL`, `BIND_ADDRESS`, `PORT` and `LOG_FORMAT`, with
    /// defaults that fit a developer machine.
    pub fn from_env() -> Result<Self, ConfigError> {
        let raw: Raw = Figment::from(Serialized::defaults(Raw::default()))
            .merge(Env::raw().only(&VARIABLES))
            .extract()
            .map_err(|e| ConfigError(describe(e)))?;
        raw.validate()
    }
}

impl Raw {
    fn validate(self) -> Result<Settings, ConfigError> {
        self.database_url
            .parse::<tokio_postgres::Config>()
            .map_err(|e| ConfigError(format!("DATABASE_URL is not a Postgres URL: {e}")))?;
        if !self.amqp_url.starts_with("amqp://") && !self.amqp_url.starts_with("amqps://") {
            return Err(ConfigError(
                "AMQP_URL must start with amqp:// or amqps://".into(),
            ));
        }
        Ok(Settings {
            database_url: self.database_url,
            amqp_url: self.amqp_url,
            bind_address: self.bind_address,
            port: self.port,
            log_format: self.log_format,
            topology: match self.amqp_name_prefix.as_deref() {
                Some(prefix) if !prefix.is_empty() => Topology::with_prefix(prefix),
                _ => Topology::default(),
            },
        })
    }
}

/// Names the variable at fault in upper case, as the operator wrote it.
fn describe(error: figment::Error) -> String {
    error
        .into_iter()
        .map(|e| match e.path.first() {
            Some(key) => format!("{}: {}", key.to_uppercase(), e.kind),
            None => e.kind.to_string(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_never_appear_in_debug_output() {
        let raw = Raw {
            database_url: "postgres://app:pg-secret@db:5432/x".into(),
            amqp_url: "amqp://app:mq-secret@mq:5672/%2f".into(),
            ..Raw::default()
        };
        let shown = format!("{:?}", raw.validate().unwrap());
        assert!(
            !shown.contains("pg-secret") && !shown.contains("mq-secret"),
            "{shown}"
        );
        assert!(
            shown.contains("postgres://app:[redacted]@db:5432/x"),
            "{shown}"
        );
    }

    #[test]
    fn the_defaults_fit_a_developer_machine() {
        let settings = Raw::default().validate().unwrap();
        assert_eq!(settings.port, 8081);
        assert_eq!(
            settings.database_url,
            "postgres://postgres@127.0.0.1:5432/bet_maker"
        );
        assert_eq!(settings.amqp_url, "amqp://guest:guest@127.0.0.1:5672/%2f");
        assert_eq!(settings.topology, Topology::default());
    }

    #[test]
    fn a_bad_amqp_url_names_the_variable() {
        let raw = Raw {
            amqp_url: "http://x".into(),
            ..Raw::default()
        };
        assert!(raw.validate().unwrap_err().to_string().contains("AMQP_URL"));
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's own error type
    fn a_port_that_is_not_a_number_names_the_variable() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("PORT", "eighty");
            let error = Settings::from_env().unwrap_err().to_string();
            assert!(error.contains("PORT"), "{error}");
            Ok(())
        });
    }
}
