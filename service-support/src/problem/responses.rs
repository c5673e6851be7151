//! The problem answers that routes of every service document alike, because this crate gives
//! them: a route's `responses(...)` names these sets next to the rows that are its own.
//!
//! ```text
//! responses(
//!     (status = 201, description = "Created", body = EventBody),
//!     (status = 409, description = "The id is taken", body = Problem, content_type = ...),
//!     JsonBodyRefused, OperatorTokenMissing, DatabaseUnavailable,
//! )
//! ```

use utoipa::IntoResponses;

use super::Problem;

/// What a JSON body is refused with before the route reads it (`json_body` and the server's
/// body limit).
#[derive(Debug, IntoResponses)]
pub enum JsonBodyRefused {
    /// The body is not JSON at all.
    #[response(
        status = 400,
        description = "Not JSON",
        content_type = "application/problem+json"
    )]
    NotJson(Problem),
    /// The body is larger than the server takes.
    #[response(
        status = 413,
        description = "Body over 64 KiB",
        content_type = "application/problem+json"
    )]
    TooLarge(Problem),
    /// The body is not declared as JSON.
    #[response(
        status = 415,
        description = "Body not declared as JSON",
        content_type = "application/problem+json"
    )]
    NotDeclaredAsJson(Problem),
}

/// An operator route's refusal of a request without the operator token (`auth::Operator`).
#[derive(Debug, IntoResponses)]
#[response(
    status = 401,
    description = "Missing or wrong operator token",
    content_type = "application/problem+json"
)]
pub struct OperatorTokenMissing(pub Problem);

/// The database cannot be reached right now (`RequestError::Unavailable`); the client may
/// retry.
#[derive(Debug, IntoResponses)]
#[response(
    status = 503,
    description = "Database unavailable, retry shortly",
    content_type = "application/problem+json"
)]
pub struct DatabaseUnavailable(pub Problem);
