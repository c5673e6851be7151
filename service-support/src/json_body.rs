//! Reading a JSON request body into a wire type, with the status the contract asks for:
//! 415 when it is not declared as JSON, 400 when it is not JSON, 422 when it has the wrong shape.

use actix_web::HttpRequest;
use actix_web::http::header;
use serde::de::DeserializeOwned;
use serde_json::error::Category;

/// Why a body was not read; each service answers it with its problem+json.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Not declared as JSON (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Not JSON at all (400).
    #[error("{0}")]
    Malformed(String),
    /// JSON of the wrong shape: a missing or unknown field, a wrong type (422).
    #[error("{0}")]
    Unprocessable(String),
}

/// Parses `body` as `T` after checking the request declares a JSON body.
pub fn parse<T: DeserializeOwned>(request: &HttpRequest, body: &[u8]) -> Result<T, BodyError> {
    check_content_type(request)?;
    serde_json::from_slice(body).map_err(|error| match error.classify() {
        Category::Data => BodyError::Unprocessable(error.to_string()),
        Category::Syntax | Category::Eof | Category::Io => {
            BodyError::Malformed(format!("the body is not valid JSON: {error}"))
        }
    })
}

fn check_content_type(request: &HttpRequest) -> Result<(), BodyError> {
    let declared = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<mime::Mime>().ok());
    match declared {
        Some(mime) if is_json(&mime) => Ok(()),
        Some(mime) => Err(BodyError::UnsupportedMediaType(format!(
            "the body must be JSON, sent as Content-Type: application/json (got {mime})"
        ))),
        None => Err(BodyError::UnsupportedMediaType(
            "the body must be JSON, sent as Content-Type: application/json".into(),
        )),
    }
}

fn is_json(mime: &mime::Mime) -> bool {
    mime.type_() == mime::APPLICATION
        && (mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON))
}
