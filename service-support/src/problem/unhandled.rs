//! actix-web's own errors (no route, wrong method, body too large, a failed extractor) as
//! problem+json documents.

use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse};

use super::{PROBLEM_JSON, Problem, problem_response};

/// 404 for a path no route of `service` matches.
pub fn no_route(service: &'static str, request: &HttpRequest) -> HttpResponse {
    let detail = format!(
        "no route matches {} {}; see /docs",
        request.method(),
        request.path()
    );
    problem_response(
        StatusCode::NOT_FOUND,
        &by_status(service, StatusCode::NOT_FOUND, detail),
    )
}

/// Rewrites an error response that is not already problem+json into one; `max_body_bytes` is
/// the limit a 413 names.
pub fn rewrite_unhandled<B>(
    service: &'static str,
    max_body_bytes: usize,
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let already_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if already_problem {
        return Ok(ErrorHandlerResponse::Response(
            response.map_into_left_body(),
        ));
    }
    let status = response.status();
    let detail = match status {
        StatusCode::METHOD_NOT_ALLOWED => format!(
            "{} is not allowed on {}; see /docs",
            response.request().method(),
            response.request().path()
        ),
        StatusCode::PAYLOAD_TOO_LARGE => {
            format!("the request body exceeds {} KiB", max_body_bytes / 1024)
        }
        status if status.is_server_error() => "the request could not be completed".to_owned(),
        // What actix-web or a middleware said, which names the cause (a refused origin, a
        // body that does not decode); the status's phrase when it said nothing.
        status => response
            .response()
            .error()
            .map(ToString::to_string)
            .filter(|said| !said.is_empty())
            .unwrap_or_else(|| {
                status
                    .canonical_reason()
                    .unwrap_or("request refused")
                    .to_owned()
            }),
    };
    let allow = response.headers().get(header::ALLOW).cloned();
    let (request, _) = response.into_parts();
    let mut rewritten = problem_response(status, &by_status(service, status, detail));
    if let Some(allow) = allow {
        rewritten.headers_mut().insert(header::ALLOW, allow);
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(request, rewritten).map_into_right_body(),
    ))
}

/// A document whose kind and title are the status's own reason phrase.
fn by_status(service: &str, status: StatusCode, detail: String) -> Problem {
    let title = status.canonical_reason().unwrap_or("Error");
    let slug = title.to_lowercase().replace(' ', "-");
    Problem::new(service, &slug, title, status, detail)
}
