//! The one error type of the HTTP API; its problem+json rendering (RFC 9457) is
//! `service-support`'s.

use actix_web::http::StatusCode;
use serde_json::{Map, Value};
use service_support::auth::NotOperator;
use service_support::problem::{Answer, Described, RequestError, money};

use crate::domain::{BetRefused, MoneyRefused};
use crate::service::{MoveError, PlaceError};

pub use service_support::problem::{Problem, shown};

/// Everything a request can fail with; each variant maps to one status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// What any request can fail with: a malformed or invalid body or query, the database
    /// unavailable, an internal error.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// bet-maker knows no event with this id (404).
    #[error("no event with id {0:?}")]
    EventNotFound(String),
    /// No bet with this id (404).
    #[error("no bet with id {0:?}")]
    BetNotFound(String),
    /// The bet is refused (404, 409 or 422 by why).
    #[error(transparent)]
    Bet(#[from] BetRefused),
    /// No operator token, or a wrong one, on an operator route (401).
    #[error("this route needs the operator token: send Authorization: Bearer <ADMIN_TOKEN>")]
    Unauthorized,
    /// The Idempotency-Key was used for a different bet (422).
    #[error(
        "Idempotency-Key {0:?} was already used for a different bet; use a new key for a new bet"
    )]
    IdempotencyKeyReused(String),
    /// Too much of one kind of work in progress (503); the client may retry.
    #[error("{0}")]
    Busy(String),
    /// No bettor token, or one that opens no account, on a bettor route (401).
    #[error(
        "this route needs a bettor's token: send Authorization: Bearer <token>, the token POST /accounts gave (or POST /account/token since)"
    )]
    NotSignedIn,
    /// No account with this id (404).
    #[error("no account with id {0:?}")]
    AccountNotFound(String),
    /// The account cannot give the money (403 or 409 by why).
    #[error(transparent)]
    Money(#[from] MoneyRefused),
    /// A route that moves money was sent without an Idempotency-Key (400).
    #[error(
        "this route moves money: send an Idempotency-Key header (1 to 255 printable characters), the same one when you retry"
    )]
    IdempotencyKeyMissing,
    /// The Idempotency-Key was used for a different deposit or withdrawal (422).
    #[error(
        "Idempotency-Key {0:?} was already used for a different request; use a new key for a new one"
    )]
    TransferKeyReused(String),
}

service_support::api_error!(ApiError);

impl From<NotOperator> for ApiError {
    fn from(_: NotOperator) -> Self {
        Self::Unauthorized
    }
}

/// The one way a refused deposit or withdrawal becomes an answer.
impl From<MoveError> for ApiError {
    fn from(error: MoveError) -> Self {
        match error {
            MoveError::NoAccount(id) => Self::AccountNotFound(id.to_string()),
            MoveError::Refused(refused) => Self::Money(refused),
            MoveError::KeyReused(key) => Self::TransferKeyReused(key),
            MoveError::Database(error) => error.into(),
        }
    }
}

/// The one way a bet's refusal becomes an answer.
impl From<PlaceError> for ApiError {
    fn from(error: PlaceError) -> Self {
        match error {
            PlaceError::Refused(refused) => Self::Bet(refused),
            PlaceError::KeyReused(key) => Self::IdempotencyKeyReused(key),
            PlaceError::Database(error) => error.into(),
        }
    }
}

impl Described for ApiError {
    const SERVICE: &'static str = "bet-maker";

    fn answer(&self) -> Answer {
        use StatusCode as S;
        match self {
            Self::EventNotFound(_) => {
                Answer::new(S::NOT_FOUND, "event-not-found", "Event not found")
            }
            Self::BetNotFound(_) => Answer::new(S::NOT_FOUND, "bet-not-found", "Bet not found"),
            Self::IdempotencyKeyReused(_) => Answer::new(
                S::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency-Key reused",
            ),
            Self::Bet(refused) => bet_answer(refused),
            Self::Unauthorized => Answer::new(S::UNAUTHORIZED, "unauthorized", "Unauthorized"),
            Self::NotSignedIn => Answer::new(S::UNAUTHORIZED, "unauthorized", "Unauthorized"),
            Self::AccountNotFound(_) => {
                Answer::new(S::NOT_FOUND, "account-not-found", "Account not found")
            }
            Self::Money(refused) => money_answer(refused),
            Self::IdempotencyKeyMissing => Answer {
                field: Some("Idempotency-Key"),
                ..Answer::new(
                    S::BAD_REQUEST,
                    "idempotency-key-missing",
                    "Idempotency-Key missing",
                )
            },
            Self::TransferKeyReused(_) => Answer::new(
                S::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency-Key reused",
            ),
            Self::Busy(_) => {
                Answer::new(S::SERVICE_UNAVAILABLE, "unavailable", "Service unavailable")
            }
            Self::Request(error) => error.answer(),
        }
    }

    fn members(&self) -> Map<String, Value> {
        let mut members = Map::new();
        match self {
            Self::Bet(BetRefused::StakeOutOfRange {
                min_stake,
                max_stake,
                ..
            }) => {
                members.insert("min_stake".into(), money(*min_stake));
                members.insert("max_stake".into(), money(*max_stake));
            }
            Self::Bet(BetRefused::OddsChanged { coefficient, .. }) => {
                members.insert("coefficient".into(), money(Some(*coefficient)));
            }
            Self::Bet(BetRefused::LiabilityLimit { max_amount, .. }) => {
                members.insert("max_amount".into(), money(Some(*max_amount)));
            }
            Self::Money(MoneyRefused::InsufficientFunds { available })
            | Self::Bet(BetRefused::Funds(MoneyRefused::InsufficientFunds { available })) => {
                members.insert("available".into(), money(Some(*available)));
            }
            _ => {}
        }
        members
    }
}

/// A refused bet's status, kind and title, and the request member at fault.
fn bet_answer(refused: &BetRefused) -> Answer {
    use StatusCode as S;
    match refused {
        BetRefused::UnknownEvent(_) => {
            Answer::new(S::NOT_FOUND, "event-not-found", "Event not found")
        }
        BetRefused::Closed { .. } => {
            Answer::new(S::CONFLICT, "event-closed", "Event closed for betting")
        }
        BetRefused::StakeOutOfRange { .. } => Answer {
            field: Some("amount"),
            ..Answer::new(
                S::UNPROCESSABLE_ENTITY,
                "stake-out-of-range",
                "Stake out of range",
            )
        },
        BetRefused::OddsChanged { .. } => Answer {
            field: Some("coefficient"),
            ..Answer::new(S::CONFLICT, "odds-changed", "Odds changed")
        },
        BetRefused::LiabilityLimit { .. } => Answer {
            field: Some("amount"),
            ..Answer::new(S::CONFLICT, "liability-limit", "Liability limit reached")
        },
        BetRefused::Funds(refused) => money_answer(refused),
    }
}

/// Money refused to a withdrawal or a bet: its status, kind and title.
fn money_answer(refused: &MoneyRefused) -> Answer {
    use StatusCode as S;
    match refused {
        MoneyRefused::Blocked => Answer::new(S::FORBIDDEN, "account-blocked", "Account blocked"),
        MoneyRefused::InsufficientFunds { .. } => Answer {
            field: Some("amount"),
            ..Answer::new(S::CONFLICT, "insufficient-funds", "Insufficient funds")
        },
    }
}
