//! The HTTP server every service runs: request ids and spans, a duration histogram of every
//! request, problem+json for every error (actix-web's own included), the body and query
//! limits and the body's deadline, `HEAD` wherever `GET` is, `nosniff` on every answer, the
//! health and metrics routes, and the OpenAPI document with its interactive docs.

use std::net::TcpListener;
use std::time::Instant;

use actix_cors::Cors;
use actix_web::dev::{Server, Service};
use actix_web::error::InternalError;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{Condition, DefaultHeaders, ErrorHandlers, from_fn};
use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, HttpServer, web};
use anyhow::Context;
use prometheus::{HistogramOpts, HistogramVec};
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::ExpectedToken;
use crate::body_deadline;
use crate::config::ServiceSettings;
use crate::health::{self, Health};
use crate::problem::{self, Problem, problem_response};
use crate::telemetry::RequestSpan;

/// Request bodies above this size are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// How long a stopping server lets in-flight requests finish, in seconds.
const SHUTDOWN_GRACE: u64 = 20;

/// In a request's extensions when it came as `HEAD` (and is routed as `GET`): a handler whose
/// answer is costly to make, such as a stream, can answer its head alone.
#[derive(Debug, Clone, Copy)]
pub struct Head;

/// What one service puts into the common server.
pub struct Site<S> {
    /// The service named in problem types.
    pub service: &'static str,
    /// The state its handlers take as `web::Data<S>`.
    pub state: S,
    /// What the health routes look at.
    pub health: Health,
    /// The histogram every request is observed in ([`request_histogram`]).
    pub requests: HistogramVec,
    /// Registers the service's own routes.
    pub routes: fn(&mut web::ServiceConfig),
    /// The service's OpenAPI document, served at `/openapi.json` and `/docs`.
    pub openapi: utoipa::openapi::OpenApi,
    /// Other origins whose pages may call this service from a browser (CORS); the service's
    /// own pages need none.
    pub cors_allowed_origins: Vec<String>,
}

impl<S> std::fmt::Debug for Site<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Site")
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

/// The histogram of HTTP requests by method, route pattern and status, for a service's
/// registry.
pub fn request_histogram() -> Result<HistogramVec, prometheus::Error> {
    HistogramVec::new(
        HistogramOpts::new("http_request_duration_seconds", "HTTP requests").buckets(vec![
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0,
        ]),
        &["method", "route", "status"],
    )
}

/// Listens where `settings` say and serves `site` until the returned server is stopped
/// (signals are the caller's: see [`crate::run`]), its operator routes behind the settings'
/// `ADMIN_TOKEN` ([`crate::auth::Operator`]); also returns the port (the one picked when the
/// settings say 0).
pub fn serve<S: Send + Sync + 'static>(
    settings: &ServiceSettings,
    site: Site<S>,
) -> anyhow::Result<(Server, u16)> {
    let listener =
        TcpListener::bind((settings.bind_address, settings.port)).with_context(|| {
            format!(
                "cannot listen on {}:{}",
                settings.bind_address, settings.port
            )
        })?;
    let port = listener.local_addr()?.port();
    let Site {
        service,
        state,
        health,
        requests,
        routes,
        openapi,
        cors_allowed_origins,
    } = site;
    let cors_allowed_origins = std::sync::Arc::new(cors_allowed_origins);
    let document = web::Bytes::from(serde_json::to_vec(&openapi)?);
    let state = web::Data::new(state);
    let health = web::Data::new(health);
    let operator_token = web::Data::new(ExpectedToken(settings.admin_token.clone()));
    let server = HttpServer::new(move || {
        let requests = requests.clone();
        App::new()
            .wrap(Condition::new(
                !cors_allowed_origins.is_empty(),
                cors(cors_allowed_origins.clone()),
            ))
            .wrap(ErrorHandlers::new().default_handler(move |response| {
                problem::rewrite_unhandled(service, MAX_BODY_BYTES, response)
            }))
            .wrap(from_fn(move |request, next| {
                body_deadline::enforce(service, request, next)
            }))
            .wrap_fn(move |mut request, next| {
                let started = Instant::now();
                let method = method_label(request.method());
                // HEAD is GET without the body, which the connection leaves out (it knows the
                // request's own method): every GET route answers it, as load balancers expect.
                if request.method() == actix_web::http::Method::HEAD {
                    request.extensions_mut().insert(Head);
                    request.head_mut().method = actix_web::http::Method::GET;
                }
                let request_id = request
                    .extensions()
                    .get::<RequestId>()
                    .map(|id| id.to_string());
                let response = next.call(request);
                let requests = requests.clone();
                async move {
                    let mut response = response.await?;
                    let route = response
                        .request()
                        .match_pattern()
                        .unwrap_or_else(|| "unmatched".into());
                    requests
                        .with_label_values(&[method, route.as_str(), response.status().as_str()])
                        .observe(started.elapsed().as_secs_f64());
                    if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
                        response
                            .headers_mut()
                            .insert(HeaderName::from_static("x-request-id"), id);
                    }
                    Ok(response)
                }
            })
            .wrap(TracingLogger::<RequestSpan>::new())
            .wrap(DefaultHeaders::new().add((header::X_CONTENT_TYPE_OPTIONS, "nosniff")))
            .app_data(state.clone())
            .app_data(health.clone())
            .app_data(operator_token.clone())
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .app_data(web::QueryConfig::default().error_handler(move |error, _| {
                let problem = Problem::new(
                    service,
                    "bad-query",
                    "Invalid query parameter",
                    StatusCode::BAD_REQUEST,
                    error.to_string(),
                );
                let response = problem_response(StatusCode::BAD_REQUEST, &problem);
                InternalError::from_response(error, response).into()
            }))
            .configure(routes)
            .configure(health::configure)
            .service(web::resource("/docs").route(web::get().to(redirect_to_docs)))
            // Served here rather than by SwaggerUi, whose resource answers only GET: another
            // method would be 404 instead of 405.
            .service(web::resource("/openapi.json").route(web::get().to({
                let document = document.clone();
                move || {
                    let document = document.clone();
                    async move {
                        HttpResponse::Ok()
                            .content_type(mime::APPLICATION_JSON)
                            .body(document)
                    }
                }
            })))
            .service(
                SwaggerUi::new("/docs/{_:.*}")
                    .config(utoipa_swagger_ui::Config::from("/openapi.json")),
            )
            .default_service(web::to(move |request: HttpRequest| async move {
                problem::no_route(service, &request)
            }))
    })
    .listen(listener)?
    .disable_signals()
    .shutdown_timeout(SHUTDOWN_GRACE)
    .run();
    tracing::info!(port, "{service} listening");
    Ok((server, port))
}

/// CORS for the origins given: the methods and headers the APIs take, preflights cached for
/// ten minutes. A request from another origin (the service's own pages included, which need
/// none) is answered as before, without CORS headers.
fn cors(origins: std::sync::Arc<Vec<String>>) -> Cors {
    let cors = origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin));
    cors.allowed_methods(["GET", "HEAD", "POST", "PUT", "PATCH"])
        .allowed_headers([
            actix_web::http::header::AUTHORIZATION,
            actix_web::http::header::CONTENT_TYPE,
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([HeaderName::from_static("x-request-id")])
        .max_age(600)
}

async fn redirect_to_docs() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header(("Location", "/docs/"))
        .finish()
}

/// A bounded label for a request method: anything outside the standard ones is `other`, so a
/// client cannot grow the metrics without bound.
fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
