//! The one error type of the HTTP API; its problem+json rendering (RFC 9457) is
//! `service-support`'s.

use actix_web::http::StatusCode;
use service_support::auth::NotOperator;
use service_support::problem::{Answer, Described, RequestError};

use crate::commits::WriteError;
use crate::domain::{ChangeRefused, Refused, StateConflict};

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
    Conflict(StateConflict),
    /// No or a wrong operator token (401).
    #[error("this route needs the operator token: send \"Authorization: Bearer <ADMIN_TOKEN>\"")]
    Unauthorized,
    /// Other changes of the event kept committing first, however often this one was decided
    /// again (503); the client may retry.
    #[error("event {0:?} is being changed by other requests all the time; retry shortly")]
    EventBusy(String),
}

service_support::api_error!(ApiError);

impl From<NotOperator> for ApiError {
    fn from(_: NotOperator) -> Self {
        Self::Unauthorized
    }
}

/// The one way a write's outcome becomes an answer.
impl From<WriteError> for ApiError {
    fn from(error: WriteError) -> Self {
        match error {
            WriteError::Refused(Refused::NotFound(id)) => Self::EventNotFound(id.to_string()),
            WriteError::Refused(Refused::Exists(id)) => Self::EventExists(id.to_string()),
            WriteError::Refused(Refused::Busy(id)) => Self::EventBusy(id.to_string()),
            WriteError::Refused(Refused::Change(ChangeRefused::Conflict(conflict))) => {
                Self::Conflict(conflict)
            }
            WriteError::Refused(Refused::Change(ChangeRefused::Invalid(invalid))) => invalid.into(),
            WriteError::Database(error) => error.into(),
            WriteError::Message(error) => Self::internal(error),
        }
    }
}

impl Described for ApiError {
    const SERVICE: &'static str = "line-provider";

    fn answer(&self) -> Answer {
        use StatusCode as S;
        match self {
            Self::EventNotFound(_) => {
                Answer::new(S::NOT_FOUND, "event-not-found", "Event not found")
            }
            Self::EventExists(_) => {
                Answer::new(S::CONFLICT, "event-exists", "Event already exists")
            }
            Self::Conflict(StateConflict::NotFinal(_)) => Answer::new(
                S::CONFLICT,
                "event-not-final",
                "Event has no result to correct",
            ),
            Self::Conflict(_) => Answer::new(S::CONFLICT, "event-finished", "Event is finished"),
            Self::Unauthorized => Answer::new(S::UNAUTHORIZED, "unauthorized", "Unauthorized"),
            Self::EventBusy(_) => Answer::new(S::SERVICE_UNAVAILABLE, "event-busy", "Event busy"),
            Self::Request(error) => error.answer(),
        }
    }
}
