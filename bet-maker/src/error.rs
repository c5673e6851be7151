//! The one error type of the HTTP API; its problem+json rendering (RFC 9457) is
//! `service-support`'s.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use service_support::problem::{self, Described, RequestError};

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

service_support::from_request_errors!(ApiError);

impl ApiError {
    /// Anything else (500); the cause goes to the log, never to the client.
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        RequestError::Internal(error.into()).into()
    }
}

impl Described for ApiError {
    const SERVICE: &'static str = "bet-maker";

    fn status(&self) -> StatusCode {
        match self {
            Self::Request(error) => error.status(),
            Self::IdempotencyKeyReused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::EventNotFound(_) | Self::BetNotFound(_) => StatusCode::NOT_FOUND,
            Self::EventClosed(_) => StatusCode::CONFLICT,
            Self::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            Self::Request(error) => error.kind(),
            Self::EventNotFound(_) => ("event-not-found", "Event not found"),
            Self::BetNotFound(_) => ("bet-not-found", "Bet not found"),
            Self::EventClosed(_) => ("event-closed", "Event closed for betting"),
            Self::IdempotencyKeyReused(_) => ("idempotency-key-reused", "Idempotency-Key reused"),
            Self::Busy(_) => ("unavailable", "Service unavailable"),
        }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            Self::Request(error) => error.field(),
            _ => None,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        Described::status(self)
    }

    fn error_response(&self) -> HttpResponse {
        problem::respond(self)
    }
}
