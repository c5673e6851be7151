//! Settings read from the environment once at start: the variables every service reads
//! ([`ServiceSettings`]) and, from the same read, a service's own ([`load`]).

use std::net::IpAddr;

use figment::Figment;
use figment::providers::Serialized;
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use shared_messages::Topology;

use crate::telemetry::LogFormat;

mod values;

pub use values::{origins, switch};

/// The variables every service reads (`RUST_LOG` by the log filter, the others here).
pub const VARIABLES: [&str; 9] = [
    "DATABASE_URL",
    "AMQP_URL",
    "BIND_ADDRESS",
    "PORT",
    "LOG_FORMAT",
    "RUST_LOG",
    "ADMIN_TOKEN",
    "AMQP_NAME_PREFIX",
    "AMQP_QUEUE_TYPE",
];

/// Where a service listens, what it connects to, its operator token and the topology it
/// declares.
#[derive(Clone)]
pub struct ServiceSettings {
    /// The service's own Postgres database; created if missing.
    pub database_url: String,
    /// The RabbitMQ broker.
    pub amqp_url: String,
    /// The address the HTTP server binds to.
    pub bind_address: IpAddr,
    /// The HTTP port; 0 picks a free one (tests).
    pub port: u16,
    /// `text` for people, `json` for log collectors.
    pub log_format: LogFormat,
    /// `ADMIN_TOKEN`, which the service's operator routes require; `None` leaves them open (a
    /// developer machine; the service warns at start). Never printed.
    pub admin_token: Option<SecretString>,
    /// The names of the exchange and queues: the contract's, with `AMQP_NAME_PREFIX` before
    /// them when it is set and not empty (so that tests, or several deployments, share one
    /// broker), and queues of `AMQP_QUEUE_TYPE`.
    pub topology: Topology,
}

/// What a service defaults to on a developer machine.
#[derive(Debug, Clone, Copy)]
pub struct Defaults {
    /// `DATABASE_URL` when unset.
    pub database_url: &'static str,
    /// `PORT` when unset.
    pub port: u16,
}

impl std::fmt::Debug for ServiceSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceSettings")
            .field("database_url", &values::redact(&self.database_url))
            .field("amqp_url", &values::redact(&self.amqp_url))
            .field("bind_address", &self.bind_address)
            .field("port", &self.port)
            .field("log_format", &self.log_format)
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "[redacted]"),
            )
            .field("topology", &self.topology)
            .finish()
    }
}

/// A variable that is set but unusable; the message names it and never echoes a secret.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(pub String);

/// The common variables as they arrive, before checks (no `Debug`: it holds the token).
#[derive(Serialize, Deserialize)]
struct Raw {
    database_url: String,
    amqp_url: String,
    bind_address: IpAddr,
    port: u16,
    log_format: LogFormat,
    admin_token: Option<String>,
    amqp_name_prefix: Option<String>,
    amqp_queue_type: Option<String>,
}

impl Raw {
    fn defaults(defaults: Defaults) -> Self {
        Self {
            database_url: defaults.database_url.to_owned(),
            amqp_url: "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned(),
            bind_address: IpAddr::from([0, 0, 0, 0]),
            port: defaults.port,
            log_format: LogFormat::Text,
            admin_token: None,
            amqp_name_prefix: None,
            amqp_queue_type: None,
        }
    }

    fn validate(self) -> Result<ServiceSettings, ConfigError> {
        self.database_url
            .parse::<tokio_postgres::Config>()
            .map_err(|e| ConfigError(format!("DATABASE_URL is not a Postgres URL: {e}")))?;
        // One broker, or the nodes of a cluster separated by commas: each must be an AMQP URL.
        for url in self.amqp_url.split(',') {
            let url = url.trim();
            if !url.starts_with("amqp://") && !url.starts_with("amqps://") {
                return Err(ConfigError(
                    "AMQP_URL must be amqp:// or amqps:// URLs, separated by commas for the nodes of a cluster".into(),
                ));
            }
            url.parse::<lapin::uri::AMQPUri>()
                .map_err(|e| ConfigError(format!("AMQP_URL holds a URL lapin cannot read: {e}")))?;
        }
        Ok(ServiceSettings {
            admin_token: values::token("ADMIN_TOKEN", self.admin_token)?,
            topology: Topology::with_optional_prefix(self.amqp_name_prefix.as_deref())
                .with_queue_type(values::queue_type(self.amqp_queue_type.as_deref())?),
            database_url: self.database_url,
            amqp_url: self.amqp_url,
            bind_address: self.bind_address,
            port: self.port,
            log_format: self.log_format,
        })
    }
}

/// Every variable a service reads: the common ones and its own `own`; deployment files are
/// checked against this list.
pub fn variables(own: &[&'static str]) -> Vec<&'static str> {
    VARIABLES.iter().chain(own).copied().collect()
}

/// Reads the common variables (with `defaults`) and, from the same environment, the service's
/// own variables `own` into `E` (lower-case field names, `Option` for the optional ones).
pub fn load<E: DeserializeOwned>(
    defaults: Defaults,
    own: &[&str],
) -> Result<(ServiceSettings, E), ConfigError> {
    let variables: Vec<&str> = VARIABLES.iter().chain(own).copied().collect();
    let figment = Figment::from(Serialized::defaults(Raw::defaults(defaults)))
        .merge(Serialized::defaults(values::environment(&variables)?));
    // Lossy: a number (`PORT`) is read from its text; text stays text.
    let common: Raw = figment
        .extract_lossy()
        .map_err(|e| ConfigError(describe(e)))?;
    let service: E = figment
        .extract_lossy()
        .map_err(|e| ConfigError(describe(e)))?;
    Ok((common.validate()?, service))
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

    const DEFAULTS: Defaults = Defaults {
        database_url: "postgres://postgres@127.0.0.1:5432/service",
        port: 8080,
    };

    #[test]
    fn passwords_in_urls_never_appear_in_debug_output() {
        let raw = Raw {
            database_url: "postgres://app:pg-secret@db:5432/x".into(),
            amqp_url: "amqp://app:mq-secret@mq:5672/%2f".into(),
            ..Raw::defaults(DEFAULTS)
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
    fn the_operator_token_never_appears_in_debug_output() {
        let raw = Raw {
            admin_token: Some("s3cret-token".into()),
            ..Raw::defaults(DEFAULTS)
        };
        let settings = raw.validate().unwrap();
        assert!(settings.admin_token.is_some());
        let shown = format!("{settings:?}");
        assert!(!shown.contains("s3cret-token"), "{shown}");
    }

    #[test]
    fn the_broker_defaults_to_a_developer_machine() {
        let settings = Raw::defaults(DEFAULTS).validate().unwrap();
        assert_eq!(settings.amqp_url, "amqp://guest:guest@127.0.0.1:5672/%2f");
        assert_eq!(settings.port, 8080);
    }

    #[test]
    fn several_brokers_are_comma_separated_urls_each_redacted() {
        let raw = Raw {
            amqp_url: "amqp://a:s1@mq1:5672/%2f,amqp://a:s2@mq2:5672/%2f".into(),
            ..Raw::defaults(DEFAULTS)
        };
        let settings = raw.validate().unwrap();
        let shown = format!("{settings:?}");
        assert!(!shown.contains("s1") && !shown.contains("s2"), "{shown}");
        assert!(
            shown.contains("mq1:5672") && shown.contains("mq2:5672"),
            "{shown}"
        );
        let raw = Raw {
            amqp_url: "amqp://a:s1@mq1:5672/%2f,mq2:5672".into(),
            ..Raw::defaults(DEFAULTS)
        };
        assert!(raw.validate().is_err());
    }

    #[test]
    fn a_bad_amqp_url_names_the_variable() {
        let raw = Raw {
            amqp_url: "http://x".into(),
            ..Raw::defaults(DEFAULTS)
        };
        assert!(raw.validate().unwrap_err().to_string().contains("AMQP_URL"));
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's own error type
    fn a_value_is_read_as_the_text_it_holds() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("ADMIN_TOKEN", "0012345678");
            jail.set_env("PORT", "9090");
            let (settings, _) = load::<serde::de::IgnoredAny>(DEFAULTS, &[]).unwrap();
            let token = settings.admin_token.unwrap();
            assert_eq!(secrecy::ExposeSecret::expose_secret(&token), "0012345678");
            assert_eq!(settings.port, 9090);
            jail.set_env("ADMIN_TOKEN", "[abc]");
            let (settings, _) = load::<serde::de::IgnoredAny>(DEFAULTS, &[]).unwrap();
            let token = settings.admin_token.unwrap();
            assert_eq!(secrecy::ExposeSecret::expose_secret(&token), "[abc]");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's own error type
    fn a_port_that_is_not_a_number_names_the_variable() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("PORT", "eighty");
            let error = load::<serde::de::IgnoredAny>(DEFAULTS, &[])
                .unwrap_err()
                .to_string();
            assert!(error.contains("PORT"), "{error}");
            Ok(())
        });
    }
}
