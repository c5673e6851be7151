//! The operator token: `Authorization: Bearer <token>` compared in constant time with the
//! `ADMIN_TOKEN` a service was started with. Each service turns a refusal into its own 401.

use actix_web::HttpRequest;
use actix_web::http::header;
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

/// Whether `request` may use an operator route: it carries `expected` as its bearer token, or
/// no token is configured (a developer machine; the service warns at start).
pub fn is_operator(request: &HttpRequest, expected: Option<&SecretString>) -> bool {
    let Some(expected) = expected else {
        return true;
    };
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(bearer_token)
        .is_some_and(|token| {
            bool::from(token.as_bytes().ct_eq(expected.expose_secret().as_bytes()))
        })
}

/// The token of an `Authorization: Bearer <token>` value; the scheme is case-insensitive.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim_start())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("BEARER  abc"), Some("abc"));
    }

    #[test]
    fn other_schemes_carry_no_bearer_token() {
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token("abc"), None);
    }

    #[test]
    fn only_the_configured_token_is_an_operator() {
        let token = SecretString::from("s3cret");
        let with = |value: &str| {
            TestRequest::default()
                .insert_header((header::AUTHORIZATION, value))
                .to_http_request()
        };
        assert!(is_operator(&with("Bearer s3cret"), Some(&token)));
        assert!(!is_operator(&with("Bearer s3cre"), Some(&token)));
        assert!(!is_operator(&with("Basic s3cret"), Some(&token)));
        assert!(!is_operator(
            &TestRequest::default().to_http_request(),
            Some(&token)
        ));
        assert!(is_operator(&TestRequest::default().to_http_request(), None));
    }
}
