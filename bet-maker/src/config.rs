//! Typed configuration, read from the environment once at start: the variables every service
//! reads (`service-support`'s) and bet-maker's own.

use serde::Deserialize;
use service_support::config::{self, Defaults, ServiceSettings};

pub use service_support::LogFormat;
pub use service_support::config::ConfigError;

/// Every environment variable the service reads; deployment files are checked against this
/// list.
pub fn variables() -> Vec<&'static str> {
    config::variables(&OWN)
}

/// The variables only bet-maker reads.
const OWN: [&str; 4] = [
    "CORS_ALLOWED_ORIGINS",
    "ACCOUNTS",
    "ANONYMOUS_BETS",
    "PAYOUT_CHUNK",
];

/// What bet-maker defaults to on a developer machine.
const DEFAULTS: Defaults = Defaults {
    database_url: "postgres://postgres@127.0.0.1:5432/bet_maker",
    port: 8081,
};

/// Everything the service can be told; see the README for the variables. Its `Debug` shows no
/// secret (`ServiceSettings` hides the token and the passwords).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where it listens, its database (events and bets) and the broker it consumes from.
    pub service: ServiceSettings,
    /// Origins of other services' pages allowed to call bet-maker from a browser (the
    /// operator console of line-provider, for exposure).
    pub cors_allowed_origins: Vec<String>,
    /// `ACCOUNTS`: whether the routes of bettors' accounts and money are served, and the
    /// payout worker runs (default false: a book without accounts, as the first contract; true
    /// needs `ADMIN_TOKEN`, since deposits are the operator's).
    pub accounts: bool,
    /// `ANONYMOUS_BETS`: whether `POST /bet` takes a bet without a bettor's token (default
    /// true; false makes every bet an account's).
    pub anonymous_bets: bool,
    /// `PAYOUT_CHUNK`: how many bets the payout worker pays per transaction (1–10 000,
    /// default 250).
    pub payout_chunk: i64,
}

/// bet-maker's own variables as they arrive.
#[derive(Debug, Deserialize)]
struct Own {
    cors_allowed_origins: Option<String>,
    accounts: Option<String>,
    anonymous_bets: Option<String>,
    payout_chunk: Option<String>,
}

impl Settings {
    /// Reads `DATABASE_URL`, `AMQP_URL`, `BIND_ADDRESS`, `PORT`, `LOG_FORMAT`,
    /// `AMQP_NAME_PREFIX`, `AMQP_QUEUE_TYPE`, `ADMIN_TOKEN`, `CORS_ALLOWED_ORIGINS`,
    /// `ACCOUNTS`, `ANONYMOUS_BETS` and `PAYOUT_CHUNK`, with defaults that fit a developer
    /// machine.
    pub fn from_env() -> Result<Self, ConfigError> {
        let (service, own) = config::load::<Own>(DEFAULTS, &OWN)?;
        Self {
            cors_allowed_origins: config::origins(
                "CORS_ALLOWED_ORIGINS",
                own.cors_allowed_origins,
            )?,
            accounts: config::switch("ACCOUNTS", own.accounts.as_deref(), false)?,
            anonymous_bets: config::switch("ANONYMOUS_BETS", own.anonymous_bets.as_deref(), true)?,
            payout_chunk: payout_chunk(own.payout_chunk.as_deref())?,
            service,
        }
        .checked()
    }
}

/// `PAYOUT_CHUNK`, a whole number from 1 to 10 000 (a chunk well within the statement
/// timeout); 250 when unset.
fn payout_chunk(value: Option<&str>) -> Result<i64, ConfigError> {
    let Some(text) = value else {
        return Ok(250);
    };
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|chunk| (1..=10_000).contains(chunk))
        .ok_or_else(|| {
            ConfigError(format!(
                "PAYOUT_CHUNK must be a whole number from 1 to 10000, not {text:?}"
            ))
        })
}

impl Settings {
    /// Accounts move money on the operator's word (deposits): never with the operator routes
    /// open to anyone.
    fn checked(self) -> Result<Self, ConfigError> {
        if self.accounts && self.service.admin_token.is_none() {
            return Err(ConfigError(
                "ACCOUNTS=true needs ADMIN_TOKEN: without it anyone could deposit money".into(),
            ));
        }
        if !self.anonymous_bets && !self.accounts {
            return Err(ConfigError(
                "ANONYMOUS_BETS=false needs ACCOUNTS=true: without accounts no bet could be placed"
                    .into(),
            ));
        }
        Ok(self)
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
            assert!(settings.service.admin_token.is_some());
            assert!(!format!("{settings:?}").contains("s3cret-token"));
            assert!(variables().contains(&"ADMIN_TOKEN"));
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's own error type
    fn accounts_are_served_only_when_accounts_is_true() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            assert!(!Settings::from_env().unwrap().accounts);
            jail.set_env("ACCOUNTS", "true");
            let error = Settings::from_env().unwrap_err().to_string();
            assert!(error.contains("ADMIN_TOKEN"), "{error}");
            jail.set_env("ADMIN_TOKEN", "s3cret-token");
            assert!(Settings::from_env().unwrap().accounts);
            jail.set_env("ACCOUNTS", "maybe");
            let error = Settings::from_env().unwrap_err().to_string();
            assert!(error.contains("ACCOUNTS"), "{error}");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's own error type
    fn anonymous_bets_are_taken_unless_turned_off_on_a_book_with_accounts() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            assert!(Settings::from_env().unwrap().anonymous_bets);
            jail.set_env("ANONYMOUS_BETS", "false");
            let error = Settings::from_env().unwrap_err().to_string();
            assert!(error.contains("ACCOUNTS=true"), "{error}");
            jail.set_env("ACCOUNTS", "true");
            jail.set_env("ADMIN_TOKEN", "s3cret-token");
            assert!(!Settings::from_env().unwrap().anonymous_bets);
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's own error type
    fn the_payout_chunk_is_250_bets_unless_told_otherwise_within_bounds() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            assert_eq!(Settings::from_env().unwrap().payout_chunk, 250);
            jail.set_env("PAYOUT_CHUNK", "2");
            assert_eq!(Settings::from_env().unwrap().payout_chunk, 2);
            for wrong in ["0", "10001", "ten", "-5"] {
                jail.set_env("PAYOUT_CHUNK", wrong);
                let error = Settings::from_env().unwrap_err().to_string();
                assert!(error.contains("PAYOUT_CHUNK"), "{error}");
            }
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
