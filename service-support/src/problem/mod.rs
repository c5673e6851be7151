//! Every error answer is a problem+json document (RFC 9457): the document ([`Problem`]), how an
//! error type describes itself ([`Described`]) and is answered ([`respond`]), the failures any
//! request of any service can meet ([`RequestError`]) and their OpenAPI answers (`responses`),
//! and the rewriting of actix-web's own errors (no route, wrong method, body too large).

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbError;
use crate::json::ValidationError;
use crate::json_body::BodyError;

mod responses;
mod unhandled;
mod values;

pub use responses::{DatabaseUnavailable, JsonBodyRefused, OperatorTokenMissing};
pub use unhandled::{no_route, rewrite_unhandled};
pub use values::{money, shown};

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:problem:<service>:<kind>`.
    #[schema(example = "urn:problem:service:invalid-value")]
    pub r#type: String,
    /// A short summary of the kind of problem.
    #[schema(example = "Invalid value")]
    pub title: String,
    /// The HTTP status.
    #[schema(example = 422)]
    pub status: u16,
    /// What went wrong with this request and what to send instead.
    #[schema(example = "amount must have at most two decimals")]
    pub detail: String,
    /// The request field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Members of this kind of problem beyond the standard ones (RFC 9457 "extension
    /// members"), such as the bounds a refused value had to keep to.
    #[serde(flatten)]
    #[schema(ignore)]
    pub members: serde_json::Map<String, serde_json::Value>,
}

impl Problem {
    /// A document of kind `slug` of `service`, for no field in particular.
    pub fn new(service: &str, slug: &str, title: &str, status: StatusCode, detail: String) -> Self {
        Self {
            r#type: format!("urn:problem:{service}:{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            field: None,
            members: serde_json::Map::new(),
        }
    }
}

/// A problem document as a response with its status.
pub fn problem_response(status: StatusCode, problem: &Problem) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((
            header::CONTENT_TYPE,
            header::HeaderValue::from_static(PROBLEM_JSON),
        ))
        .json(problem)
}

/// How an error is answered: its status, its kind (the end of the problem type) and title,
/// and the request field at fault when there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: StatusCode,
    /// The end of the problem type (`urn:problem:<service>:<kind>`).
    pub kind: &'static str,
    /// The problem's title.
    pub title: &'static str,
    /// The request field at fault.
    pub field: Option<&'static str>,
}

impl Answer {
    /// An answer naming no field.
    pub const fn new(status: StatusCode, kind: &'static str, title: &'static str) -> Self {
        Self {
            status,
            kind,
            title,
            field: None,
        }
    }
}

/// An error that knows its answer; its `Display` is the document's `detail`.
pub trait Described: std::error::Error {
    /// The service named in the problem types.
    const SERVICE: &'static str;
    /// How this error is answered.
    fn answer(&self) -> Answer;

    /// The members this error adds to its document; none unless the kind has some.
    fn members(&self) -> serde_json::Map<String, serde_json::Value> {
        serde_json::Map::new()
    }
}

/// The problem document of `error`.
pub fn problem<E: Described>(error: &E) -> Problem {
    let answer = error.answer();
    Problem {
        field: answer.field.map(str::to_owned),
        members: error.members(),
        ..Problem::new(
            E::SERVICE,
            answer.kind,
            answer.title,
            answer.status,
            error.to_string(),
        )
    }
}

/// The answer to a request that failed with `error`: its document, `Retry-After` on a 503,
/// `WWW-Authenticate` on a 401. A 500, and a 503 with a cause (the database away), are logged
/// with their causes, which never reach the client; a 503 that only says "busy" is not.
pub fn respond<E: Described>(error: &E) -> HttpResponse {
    let status = error.answer().status;
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(error = %chain(error), "request failed");
    } else if status.is_server_error() && error.source().is_some() {
        tracing::warn!(error = %chain(error), "request failed");
    }
    let mut response = problem_response(status, &problem(error));
    let headers = response.headers_mut();
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        headers.insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    }
    response
}

/// An error and its causes, outermost first.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let said = inner.to_string();
        // An error that shows its cause in its own text need not show it again.
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        cause = inner.source();
    }
    text
}

/// What a request of any service can fail with, before its own rules are reached.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
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
    /// Postgres is unreachable right now (503); the client may retry.
    #[error("the database is unavailable, retry shortly")]
    Unavailable(#[source] DbError),
    /// Anything else (500); the cause goes to the log, never to the client.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl RequestError {
    /// How this failure is answered.
    pub fn answer(&self) -> Answer {
        use StatusCode as S;
        match self {
            Self::MalformedBody(_) => {
                Answer::new(S::BAD_REQUEST, "malformed-body", "Malformed request body")
            }
            Self::UnsupportedMediaType(_) => Answer::new(
                S::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
            ),
            Self::BadQuery(_) => {
                Answer::new(S::BAD_REQUEST, "bad-query", "Invalid query parameter")
            }
            Self::Invalid(error) => Answer {
                field: Some(error.field),
                ..Answer::new(S::UNPROCESSABLE_ENTITY, "invalid-value", "Invalid value")
            },
            Self::Unprocessable(_) => Answer::new(
                S::UNPROCESSABLE_ENTITY,
                "invalid-body",
                "Invalid request body",
            ),
            Self::Unavailable(_) => {
                Answer::new(S::SERVICE_UNAVAILABLE, "unavailable", "Service unavailable")
            }
            Self::Internal(_) => {
                Answer::new(S::INTERNAL_SERVER_ERROR, "internal", "Internal error")
            }
        }
    }
}

impl From<BodyError> for RequestError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::UnsupportedMediaType(detail) => Self::UnsupportedMediaType(detail),
            BodyError::Malformed(detail) => Self::MalformedBody(detail),
            BodyError::Unprocessable(detail) => Self::Unprocessable(detail),
        }
    }
}

impl From<DbError> for RequestError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Unavailable(_) | DbError::LockTimeout => Self::Unavailable(error),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<deadpool_postgres::PoolError> for RequestError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        DbError::from(error).into()
    }
}

impl From<tokio_postgres::Error> for RequestError {
    fn from(error: tokio_postgres::Error) -> Self {
        DbError::from(error).into()
    }
}

/// The plumbing of a service's error type `$error`, which must have a variant
/// `Request(#[from] RequestError)` and implement [`Described`]: `?` on every failure a
/// [`RequestError`] comes from, `$error::internal` for anything else, and actix-web's
/// `ResponseError` through [`respond`].
#[macro_export]
macro_rules! api_error {
    ($error:ty) => {
        $crate::api_error!(@from $error: $crate::json::ValidationError,
            $crate::json_body::BodyError, $crate::db::DbError, $crate::db::PoolError,
            $crate::db::PgError);

        impl $error {
            /// Anything else (500); the cause goes to the log, never to the client.
            pub fn internal(error: impl Into<$crate::anyhow::Error>) -> Self {
                $crate::problem::RequestError::Internal(error.into()).into()
            }
        }

        impl $crate::actix_web::ResponseError for $error {
            fn status_code(&self) -> $crate::actix_web::http::StatusCode {
                $crate::problem::Described::answer(self).status
            }

            fn error_response(&self) -> $crate::actix_web::HttpResponse {
                $crate::problem::respond(self)
            }
        }
    };
    (@from $error:ty: $($source:ty),+) => {
        $(
            impl From<$source> for $error {
                fn from(error: $source) -> Self {
                    $crate::problem::RequestError::from(error).into()
                }
            }
        )+
    };
}
