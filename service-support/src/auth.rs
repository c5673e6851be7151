//! The operator token: `Authorization: Bearer <token>` compared in constant time with the
//! `ADMIN_TOKEN` a service was started with. A handler of an operator route takes an
//! [`Operator`]; each service turns the refusal, [`NotOperator`], into its own 401. The
//! OpenAPI documents name the token with [`OperatorTokenScheme`].

use std::future::{Ready, ready};
use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, ResponseError, web};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;
use utoipa::Modify;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::problem::RequestError;

/// Proof that the request carries the operator token (or that none is configured). A request
/// without it is refused with the service's error `E`, made from [`NotOperator`].
#[derive(Debug)]
pub struct Operator<E>(PhantomData<fn() -> E>);

/// A request without the operator token, or with a wrong one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotOperator;

/// The token the HTTP server compares with, in its app data (`http::serve` puts it there from
/// the service's settings).
#[derive(Clone)]
pub(crate) struct ExpectedToken(pub(crate) Option<SecretString>);

impl<E> FromRequest for Operator<E>
where
    E: From<NotOperator> + From<RequestError> + ResponseError + 'static,
{
    type Error = E;
    type Future = Ready<Result<Self, E>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authorize(request))
    }
}

fn authorize<E>(request: &HttpRequest) -> Result<Operator<E>, E>
where
    E: From<NotOperator> + From<RequestError>,
{
    let expected = request
        .app_data::<web::Data<ExpectedToken>>()
        .ok_or_else(|| {
            RequestError::Internal(anyhow::anyhow!("the operator token is not in the app data"))
        })?;
    if is_operator(request, expected.0.as_ref()) {
        Ok(Operator(PhantomData))
    } else {
        Err(NotOperator.into())
    }
}

/// Whether `request` may use an operator route: it carries `expected` as its bearer token, or
/// no token is configured (a developer machine; the service warns at start).
pub fn is_operator(request: &HttpRequest, expected: Option<&SecretString>) -> bool {
    let Some(expected) = expected else {
        return true;
    };
    request_token(request).is_some_and(|token| {
        bool::from(token.as_bytes().ct_eq(expected.expose_secret().as_bytes()))
    })
}

/// Whether `request` carries the operator token that is configured (never when none is): for a
/// route open to everyone that shows the operator more.
pub fn carries_operator_token(request: &HttpRequest) -> bool {
    request
        .app_data::<web::Data<ExpectedToken>>()
        .and_then(|expected| expected.0.as_ref())
        .is_some_and(|expected| is_operator(request, Some(expected)))
}

/// The OpenAPI security scheme `operator_token` (a bearer token), which an operator route names
/// with `security(("operator_token" = []))`; a service's document adds it with `modifiers`.
#[derive(Debug, Clone, Copy)]
pub struct OperatorTokenScheme {
    name: &'static str,
    description: &'static str,
}

impl OperatorTokenScheme {
    /// The scheme, described to the document's reader as `description`.
    pub const fn new(description: &'static str) -> Self {
        Self::named("operator_token", description)
    }

    /// Another bearer scheme of the service's own, `name` in the routes' `security`.
    pub const fn named(name: &'static str, description: &'static str) -> Self {
        Self { name, description }
    }
}

impl Modify for OperatorTokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            self.name,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(self.description))
                    .build(),
            ),
        );
    }
}

/// The bearer token a request carries in its `Authorization` header, if any.
pub fn request_token(request: &HttpRequest) -> Option<&str> {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(bearer_token)
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

    /// A service's error, as `Operator` meets it.
    #[derive(Debug, thiserror::Error)]
    enum ServiceError {
        #[error("needs the operator token")]
        Unauthorized,
        #[error(transparent)]
        Request(#[from] RequestError),
    }

    impl From<NotOperator> for ServiceError {
        fn from(_: NotOperator) -> Self {
            Self::Unauthorized
        }
    }

    #[test]
    fn a_request_without_the_token_is_refused_with_the_service_s_own_error() {
        let token = web::Data::new(ExpectedToken(Some(SecretString::from("s3cret"))));
        let request = |value: &str| {
            TestRequest::default()
                .app_data(token.clone())
                .insert_header((header::AUTHORIZATION, value))
                .to_http_request()
        };
        assert!(authorize::<ServiceError>(&request("Bearer s3cret")).is_ok());
        assert!(matches!(
            authorize::<ServiceError>(&request("Bearer other")),
            Err(ServiceError::Unauthorized)
        ));
    }

    #[test]
    fn a_server_that_holds_no_token_refuses_rather_than_opening_the_route() {
        let request = TestRequest::default().to_http_request();
        assert!(matches!(
            authorize::<ServiceError>(&request),
            Err(ServiceError::Request(RequestError::Internal(_)))
        ));
    }
}
