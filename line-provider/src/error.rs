//! The one error type of the HTTP API; its problem+json rendering (RFC 9457) is
//! `service-support`'s.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use service_support::problem::{self, Described, RequestError};

use crate::domain::StateConflict;

pub use service_support::problem::{Problem, shown};

/// Everything a request can fail with; each variant maps to one status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// What any request can fail with: a malformed or invalid body or query, the database
    /// unavailable, an internal error.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// No event with this id (404).
    #[error("no event with id {0:?}")]
    EventNotFound(String),
    /// An event with this id already exists (409).
    #[error("an event with id {0:?} already exists")]
    EventExists(String),
    /// The event's state forbids the change (409).
    #[error(transparent)]
    Conflict(#[from] StateConflict),
    /// No or a wrong operator token (401).
    #[error("this route needs the operator token: send \"Authorization: Bearer <ADMIN_TOKEN>\"")]
    Unauthorized,
    /// Other changes of the event kept committing first, however often this one was decided
    /// again (503); the client may retry.
    #[error("event {0:?} is being changed by other requests all the time; retry shortly")]
    EventBusy(String),
}

service_support::from_request_errors!(ApiError);

impl ApiError {
    /// Anything else (500); the cause goes to the log, never to the client.
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        RequestError::Internal(error.into()).into()
    }
}

impl Described for ApiError {
    const SERVICE: &'static str = "line-provider";

    fn status(&self) -> StatusCode {
        match self {
            Self::Request(error) => error.status(),
            Self::EventNotFound(_) => StatusCode::NOT_FOUND,
            Self::EventExists(_) | Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::EventBusy(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            Self::Request(error) => error.kind(),
            Self::EventNotFound(_) => ("event-not-found", "Event not found"),
            Self::EventExists(_) => ("event-exists", "Event already exists"),
            Self::Conflict(_) => ("event-finished", "Event is finished"),
            Self::Unauthorized => ("unauthorized", "Unauthorized"),
            Self::EventBusy(_) => ("event-busy", "Event busy"),
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
