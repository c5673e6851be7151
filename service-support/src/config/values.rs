//! The variables as the environment holds them, then one value at a time: an operator token,
//! the queue type, a switch, a list of origins, and a URL with its password hidden for the logs.

use std::collections::BTreeMap;

use secrecy::SecretString;
use shared_messages::topology::QueueType;

use super::ConfigError;

/// The URLs (one, or several separated by commas) with their passwords replaced, for logs.
pub(super) fn redact(urls: &str) -> String {
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

/// The variables that are set (their names in any case), each as the text it holds without
/// the spaces around it, by lower-case name. Not figment's `Env`, which reads a value as TOML
/// would: `ADMIN_TOKEN=12345678` became a number a token could not be read from.
pub(super) fn environment(variables: &[&str]) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut set = BTreeMap::new();
    for (name, value) in std::env::vars_os() {
        let Some(name) = name
            .to_str()
            .filter(|name| variables.iter().any(|v| v.eq_ignore_ascii_case(name)))
        else {
            continue;
        };
        let value = value
            .into_string()
            .map_err(|_| ConfigError(format!("{} is not valid UTF-8", name.to_uppercase())))?;
        set.insert(name.to_lowercase(), value.trim().to_owned());
    }
    Ok(set)
}

/// An operator token as set in `variable`: unset is `None`; set but empty, or with spaces no
/// client could send, is refused rather than leaving routes open.
pub(super) fn token(
    variable: &str,
    value: Option<String>,
) -> Result<Option<SecretString>, ConfigError> {
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

/// `AMQP_QUEUE_TYPE`: `quorum` (also when unset or blank) or `classic`.
pub(super) fn queue_type(value: Option<&str>) -> Result<QueueType, ConfigError> {
    match value.map(str::trim) {
        None | Some("") => Ok(QueueType::default()),
        Some(text) => text
            .parse()
            .map_err(|error| ConfigError(format!("AMQP_QUEUE_TYPE holds {error}"))),
    }
}

/// An on/off setting as `variable` gives it: `true` or `false` (any case, spaces around
/// ignored), `default` when unset or blank; anything else is refused rather than guessed.
pub fn switch(variable: &str, value: Option<&str>, default: bool) -> Result<bool, ConfigError> {
    match value
        .map(|text| text.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("") => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => Err(ConfigError(format!(
            "{variable} is {other:?}; it takes true or false"
        ))),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_switch_takes_true_or_false_and_its_default_when_unset() {
        assert!(switch("ACCOUNTS", Some(" TRUE "), false).unwrap());
        assert!(!switch("ACCOUNTS", Some("false"), true).unwrap());
        assert!(switch("ACCOUNTS", None, true).unwrap());
        assert!(!switch("ACCOUNTS", Some(""), false).unwrap());
        let error = switch("ACCOUNTS", Some("yes"), false).unwrap_err();
        assert!(error.to_string().contains("ACCOUNTS"), "{error}");
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
    fn the_queue_type_is_quorum_unless_classic_is_asked_for() {
        for unset in [None, Some(""), Some("  ")] {
            assert_eq!(queue_type(unset).unwrap(), QueueType::Quorum, "{unset:?}");
        }
        assert_eq!(queue_type(Some(" classic ")).unwrap(), QueueType::Classic);
        let error = queue_type(Some("mirrored")).unwrap_err().to_string();
        assert!(error.contains("AMQP_QUEUE_TYPE"), "{error}");
    }
}
