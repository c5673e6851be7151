//! The one error type of the HTTP API; its problem+json rendering (RFC 9457) is
//! `service-support`'s.

use actix_web::http::StatusCode;
use service_support::problem::{Answer, Described, RequestError};

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
    /// The event is finished or its deadline passed (409).
    #[error("{0}")]
    EventClosed(String),
    /// The Idempotency-Key was used for a different bet (422).
    #[error(
        "Idempotency-Key {0:?} was already used for a different bet; use a new key for a new bet"
    )]
    IdempotencyKeyReused(String),
    /// Too much of one kind of work in progress (503); the client may retry.
    #[error("{0}")]
    Busy(String),
}

service_support::api_error!(ApiError);

impl Described for ApiError {
    const SERVICE: &'static str = "bet-maker";

    fn answer(&self) -> Answer {
        use StatusCode as S;
        match self {
            Self::EventNotFound(_) => {
                Answer::new(S::NOT_FOUND, "event-not-found", "Event not found")
            }
            Self::BetNotFound(_) => Answer::new(S::NOT_FOUND, "bet-not-found", "Bet not found"),
            Self::EventClosed(_) => {
                Answer::new(S::CONFLICT, "event-closed", "Event closed for betting")
            }
            Self::IdempotencyKeyReused(_) => Answer::new(
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
}
