//! Settings read from the environment once at start: the variables every service reads
//! ([`ServiceSettings`]) and, from the same read, a service's own ([`load`]).

use std::net::IpAddr;

use figment::Figment;
use figment::providers::{Env, Serialized};
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::telemetry::LogFormat;

/// The variables every service reads (`RUST_LOG` by the log filter, `AMQP_NAME_PREFIX` and
/// `AMQP_QUEUE_TYPE` by the service's topology, [`topology`], the others here).
pub const VARIABLES: [&str; 8] = [
    "DATABASE_URL",
    "AMQP_URL",
    "BIND_ADDRESS",
    "PORT",
    "LOG_FORMAT",
    "RUST_LOG",
    "AMQP_NAME_PREFIX",
    "AMQP_QUEUE_TYPE",
];

/// Where a service listens and what it connects to.
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
            .field("database_url", &redact(&self.database_url))
            .field("amqp_url", &redact(&self.amqp_url))
            .field("bind_address", &self.bind_address)
            .field("port", &self.port)
            .field("log_format", &self.log_format)
            .finish()
    }
}

/// The URL with its password replaced, for logs.
fn redact(urls: &str) -> String {
    urls.split(',')
        .map(redact_one)
        .collect::<Vec<_>>()
        .join(",")
}

fn redact_one(url: &str) -> String {
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

/// A variable that is set but unusable; the message names it and never echoes a secret.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(pub String);

/// The common variables as they arrive, before checks.
#[derive(Debug, Serialize, Deserialize)]
struct Raw {
    database_url: String,
    amqp_url: String,
    bind_address: IpAddr,
    port: u16,
    log_format: LogFormat,
}

impl Raw {
    fn defaults(defaults: Defaults) -> Self {
        Self {
            database_url: defaults.database_url.to_owned(),
            amqp_url: "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned(),
            bind_address: IpAddr::from([0, 0, 0, 0]),
            port: defaults.port,
            log_format: LogFormat::Text,
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
            database_url: self.database_url,
            amqp_url: self.amqp_url,
            bind_address: self.bind_address,
            port: self.port,
            log_format: self.log_format,
        })
    }
}

/// Reads the common variables (with `defaults`) and, from the same environment, the service's
/// own variables `own` into `E` (lower-case field names, `Option` for the optional ones).
pub fn load<E: DeserializeOwned>(
    defaults: Defaults,
    own: &[&str],
) -> Result<(ServiceSettings, E), ConfigError> {
    let variables: Vec<&str> = VARIABLES.iter().chain(own).copied().collect();
    let figment = Figment::from(Serialized::defaults(Raw::defaults(defaults)))
        .merge(Env::raw().only(&variables));
    let common: Raw = figment.extract().map_err(|e| ConfigError(describe(e)))?;
    let service: E = figment.extract().map_err(|e| ConfigError(describe(e)))?;
    Ok((common.validate()?, service))
}

/// An operator token as set in `variable`: unset is `None`; set but empty, or with spaces no
/// client could send, is refused rather than leaving routes open.
pub fn token(variable: &str, value: Option<String>) -> Result<Option<SecretString>, ConfigError> {
    match value {
        Some(token) if token.trim().is_empty() => {
            Err(ConfigError(format!("{variable} is set but empty")))
        }
        Some(token) if token.trim() != token => Err(ConfigError(format!(
            "{variable} starts or ends with whitespace; no client could send it"
        ))),
        token => Ok(token.map(SecretString::from)),
    }
}

/// The topology of `AMQP_NAME_PREFIX` and `AMQP_QUEUE_TYPE` (`quorum`, the default, or
/// `classic`).
pub fn topology(
    prefix: Option<&str>,
    queue_type: Option<&str>,
) -> Result<shared_messages::Topology, ConfigError> {
    let queue_type = match queue_type.map(str::trim) {
        None | Some("") => shared_messages::topology::QueueType::default(),
        Some(text) => text
            .parse()
            .map_err(|error| ConfigError(format!("AMQP_QUEUE_TYPE holds {error}")))?,
    };
    Ok(shared_messages::Topology::with_optional_prefix(prefix).with_queue_type(queue_type))
}

/// A comma-separated list of origins (`scheme://host[:port]`, no path) as `variable` gives it;
/// empty when unset.
pub fn origins(variable: &str, value: Option<String>) -> Result<Vec<String>, ConfigError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    value
        .split(',')
        .map(str::trim)
        .filter(|origin| !origin.is_empty())
        .map(|origin| {
            let rest = origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"));
            let host_chars = |host: &str| {
                host.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
            };
            match rest {
                Some(host) if !host.is_empty() && host_chars(host) => {
                    Ok(origin.to_ascii_lowercase())
                }
                _ => Err(ConfigError(format!(
                    "{variable} holds {origin:?}: an origin is scheme://host[:port], such as http://localhost:8080"
                ))),
            }
        })
        .collect()
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
    fn an_empty_token_is_refused_rather_than_leaving_routes_open() {
        for value in ["  ", " padded"] {
            let error = token("ADMIN_TOKEN", Some(value.into())).unwrap_err();
            assert!(error.to_string().contains("ADMIN_TOKEN"), "{error}");
        }
        assert!(token("ADMIN_TOKEN", None).unwrap().is_none());
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

    #[test]
    fn the_queue_type_is_quorum_unless_classic_is_asked_for() {
        use shared_messages::topology::QueueType;
        for unset in [None, Some(""), Some("  ")] {
            let topology = topology(None, unset).unwrap();
            assert_eq!(topology.queue_type, QueueType::Quorum, "{unset:?}");
        }
        let topology = topology(Some("t1"), Some(" classic ")).unwrap();
        assert_eq!(topology.queue_type, QueueType::Classic);
        assert_eq!(topology.queue, "t1.bet-maker.events");
        let error = super::topology(None, Some("mirrored"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("AMQP_QUEUE_TYPE"), "{error}");
    }
}
