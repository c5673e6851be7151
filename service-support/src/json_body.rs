//! Reading a JSON request body into a wire type, with the status the contract asks for:
//! 415 when it is not declared as JSON, 400 when it is not JSON, 422 when it has the wrong shape.

use actix_web::HttpRequest;
use actix_web::http::header;
use serde::de::{DeserializeOwned, IgnoredAny};
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

/// Parses `body` as `T` after checking the request declares a JSON body. Syntax is judged
/// before shape: a body that is not JSON is 400 even when `T` refuses it first (an unknown
/// first member of `{"a":}`), checked again only on that error path.
pub fn parse<T: DeserializeOwned>(request: &HttpRequest, body: &[u8]) -> Result<T, BodyError> {
    check_content_type(request)?;
    serde_json::from_slice(body).map_err(|error| match error.classify() {
        Category::Data => match serde_json::from_slice::<IgnoredAny>(body) {
            Ok(_) => BodyError::Unprocessable(error.to_string()),
            Err(syntax) => malformed(&syntax),
        },
        Category::Syntax | Category::Eof | Category::Io => malformed(&error),
    })
}

fn malformed(error: &serde_json::Error) -> BodyError {
    BodyError::Malformed(format!("the body is not valid JSON: {error}"))
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

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Bet {
        amount: u32,
    }

    fn read(body: &str) -> Result<Bet, BodyError> {
        let request = TestRequest::default()
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .to_http_request();
        parse(&request, body.as_bytes())
    }

    #[test]
    fn a_body_that_is_not_json_is_malformed_whatever_its_first_member() {
        for body in [r#"{"a":}"#, r#"{"a":1,}"#, "{} x", r#"{"amount":}"#, "{"] {
            assert!(matches!(read(body), Err(BodyError::Malformed(_))), "{body}");
        }
    }

    #[test]
    fn json_of_the_wrong_shape_is_unprocessable() {
        for body in [r#"{"a":1}"#, "{}", r#"{"amount":"x"}"#, "[]"] {
            assert!(
                matches!(read(body), Err(BodyError::Unprocessable(_))),
                "{body}"
            );
        }
        assert!(read(r#"{"amount":5}"#).is_ok());
    }
}
