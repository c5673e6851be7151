//! The one error type of the HTTP API and its problem+json rendering (RFC 9457).

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbError;
use crate::domain::{StateConflict, ValidationError};

/// Everything a request can fail with; each variant maps to one status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON at all (400).
    #[error("{0}")]
    MalformedBody(String),
    /// The body is not declared as JSON (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A query parameter cannot be read (400).
    #[error("{0}")]
    BadQuery(String),
    /// Well-formed, but a value breaks a rule (422).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// Well-formed JSON of the wrong shape: a missing or unknown field, a wrong type (422).
    #[error("{0}")]
    Unprocessable(String),
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
    /// Postgres is unreachable right now (503); the client may retry.
    #[error("the database is unavailable, retry shortly")]
    Unavailable(#[source] DbError),
    /// Other changes of the event kept committing first, however often this one was decided
    /// again (503); the client may retry.
    #[error("event {0:?} is being changed by other requests all the time; retry shortly")]
    EventBusy(String),
    /// Anything else (500); the cause goes to the log, never to the client.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// A client-supplied id, shortened for an error message (ids in paths are not checked first).
pub fn shown(id: &str) -> String {
    const MAX: usize = 64;
    match id.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &id[..cut]),
        None => id.to_owned(),
    }
}

impl From<service_support::json_body::BodyError> for ApiError {
    fn from(error: service_support::json_body::BodyError) -> Self {
        use service_support::json_body::BodyError;
        match error {
            BodyError::UnsupportedMediaType(detail) => Self::UnsupportedMediaType(detail),
            BodyError::Malformed(detail) => Self::MalformedBody(detail),
            BodyError::Unprocessable(detail) => Self::Unprocessable(detail),
        }
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Unavailable(_) => Self::Unavailable(error),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<deadpool_postgres::PoolError> for ApiError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        DbError::from(error).into()
    }
}

impl From<tokio_postgres::Error> for ApiError {
    fn from(error: tokio_postgres::Error) -> Self {
        DbError::from(error).into()
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[schema(example = "urn:problem:line-provider:invalid-value")]
    pub r#type: String,
    /// A short summary of the kind of problem.
    #[schema(example = "Invalid value")]
    pub title: String,
    /// The HTTP status.
    #[schema(example = 422)]
    pub status: u16,
    /// What went wrong with this request and what to send instead.
    #[schema(example = "coefficient must have at most two decimals")]
    pub detail: String,
    /// The request field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            Self::MalformedBody(_) => ("malformed-body", "Malformed request body"),
            Self::UnsupportedMediaType(_) => ("unsupported-media-type", "Unsupported media type"),
            Self::BadQuery(_) => ("bad-query", "Invalid query parameter"),
            Self::Invalid(_) => ("invalid-value", "Invalid value"),
            Self::Unprocessable(_) => ("invalid-body", "Invalid request body"),
            Self::EventNotFound(_) => ("event-not-found", "Event not found"),
            Self::EventExists(_) => ("event-exists", "Event already exists"),
            Self::Conflict(_) => ("event-finished", "Event is finished"),
            Self::Unauthorized => ("unauthorized", "Unauthorized"),
            Self::Unavailable(_) => ("unavailable", "Service unavailable"),
            Self::EventBusy(_) => ("event-busy", "Event busy"),
            Self::Internal(_) => ("internal", "Internal error"),
        }
    }

    /// The problem document of this error.
    pub fn problem(&self) -> Problem {
        let (slug, title) = self.slug_and_title();
        let field = match self {
            Self::Invalid(error) => Some(error.field.to_owned()),
            _ => None,
        };
        Problem {
            r#type: format!("urn:problem:line-provider:{slug}"),
            title: title.to_owned(),
            status: self.status_code().as_u16(),
            detail: self.to_string(),
            field,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::MalformedBody(_) | Self::BadQuery(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Invalid(_) | Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::EventNotFound(_) => StatusCode::NOT_FOUND,
            Self::EventExists(_) | Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Unavailable(_) | Self::EventBusy(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "request failed")
            }
            Self::Unavailable(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "request failed: database unavailable"
                );
            }
            Self::EventBusy(id) => {
                tracing::warn!(event_id = %id, "request failed: the event kept changing");
            }
            _ => {}
        }
        let mut response = problem_response(self.status_code(), &self.problem());
        if matches!(self, Self::Unauthorized) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        if matches!(self, Self::Unavailable(_) | Self::EventBusy(_)) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        response
    }
}

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem document as a response with its status.
pub fn problem_response(status: StatusCode, problem: &Problem) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((
            header::CONTENT_TYPE,
            header::HeaderValue::from_static(PROBLEM_JSON),
        ))
        .json(problem)
}
