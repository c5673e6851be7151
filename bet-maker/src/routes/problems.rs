//! Keeps every error a problem+json document, including the ones actix-web produces by itself
//! (no route, wrong method, body too large, a failed extractor).

use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse};

use crate::error::{PROBLEM_JSON, Problem, problem_response};
use crate::routes::MAX_BODY_BYTES;

/// 404 for a path no route matches.
pub async fn no_route(request: HttpRequest) -> HttpResponse {
    let problem = problem(
        StatusCode::NOT_FOUND,
        format!(
            "no route matches {} {}; see /docs",
            request.method(),
            request.path()
        ),
    );
    problem_response(StatusCode::NOT_FOUND, &problem)
}

/// Rewrites an error response that is not already problem+json into one.
pub fn problem_for_unhandled_errors<B>(
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
            format!("the request body exceeds {} KiB", MAX_BODY_BYTES / 1024)
        }
        status if status.is_server_error() => "the request could not be completed".to_owned(),
        status => status
            .canonical_reason()
            .unwrap_or("request refused")
            .to_owned(),
    };
    let allow = response.headers().get(header::ALLOW).cloned();
    let (request, _) = response.into_parts();
    let mut rewritten = problem_response(status, &problem(status, detail));
    if let Some(allow) = allow {
        rewritten.headers_mut().insert(header::ALLOW, allow);
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(request, rewritten).map_into_right_body(),
    ))
}

fn problem(status: StatusCode, detail: String) -> Problem {
    let title = status.canonical_reason().unwrap_or("Error").to_owned();
    let slug = title.to_lowercase().replace(' ', "-");
    Problem {
        r#type: format!("urn:problem:bet-maker:{slug}"),
        title,
        status: status.as_u16(),
        detail,
        field: None,
    }
}
