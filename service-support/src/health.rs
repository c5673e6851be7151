//! Liveness, readiness and metrics: the routes every service serves the same way, from the
//! [`Health`] the HTTP server is given.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use deadpool_postgres::Pool;
use prometheus::core::Collector;
use prometheus::{Encoder, Registry, TextEncoder};
use serde::Serialize;
use utoipa::ToSchema;

use crate::broker::BrokerStatus;
use crate::problem::{Problem, problem_response};
use crate::{db, telemetry};

/// How long readiness waits for Postgres before calling it unreachable.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// What the health routes look at.
#[derive(Debug, Clone)]
pub struct Health {
    /// The service named in the problem type of a failed readiness check.
    pub service: &'static str,
    /// The connections whose database must answer.
    pub pool: Pool,
    /// The broker connection that must be up.
    pub broker: BrokerStatus,
    /// What waits while the broker is unreachable, for the readiness check's answer.
    pub while_broker_down: &'static str,
    /// The service's Prometheus registry.
    pub registry: Registry,
}

/// Answer of the health routes.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthBody {
    /// `ok`.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Registers `/health/live`, `/health/ready` and `/metrics`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/health/live").route(web::get().to(live)))
        .service(web::resource("/health/ready").route(web::get().to(ready)))
        .service(web::resource("/metrics").route(web::get().to(metrics)));
}

/// The process is up.
#[utoipa::path(get, path = "/health/live", tag = "operations",
    responses((status = 200, description = "Alive", body = HealthBody)))]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(HealthBody { status: "ok" })
}

/// The database and the broker are reachable.
#[utoipa::path(get, path = "/health/ready", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = HealthBody),
        (status = 503, description = "Not ready, with the reason", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn ready(health: web::Data<Health>) -> HttpResponse {
    let mut reasons = Vec::new();
    let database = tokio::time::timeout(READY_TIMEOUT, async {
        let client = health.pool.get().await?;
        db::ping(&client).await
    })
    .await;
    match database {
        Ok(Ok(())) => {}
        Ok(Err(error)) => reasons.push(format!("database unreachable: {error}")),
        Err(_) => reasons.push("database did not answer in time".to_owned()),
    }
    if !health.broker.is_up() {
        reasons.push(format!("broker unreachable; {}", health.while_broker_down));
    }
    if reasons.is_empty() {
        return HttpResponse::Ok().json(HealthBody { status: "ok" });
    }
    let problem = Problem::new(
        health.service,
        "not-ready",
        "Not ready",
        StatusCode::SERVICE_UNAVAILABLE,
        reasons.join("; "),
    );
    problem_response(StatusCode::SERVICE_UNAVAILABLE, &problem)
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain; version=0.0.4")))]
pub async fn metrics(health: web::Data<Health>) -> HttpResponse {
    match render(&health.registry) {
        Ok(text) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .body(text),
        Err(error) => {
            tracing::error!(%error, "cannot render metrics");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// Every metric of `registry`, and the process's counts of log lines it could not write and
/// of requests too malformed to route, in Prometheus' text format.
pub fn render(registry: &Registry) -> Result<String, prometheus::Error> {
    let mut families = registry.gather();
    families.extend(telemetry::LOG_LINES_DROPPED.collect());
    families.extend(telemetry::MALFORMED_REQUESTS.collect());
    let mut buffer = Vec::new();
    TextEncoder::new().encode(&families, &mut buffer)?;
    String::from_utf8(buffer).map_err(|e| prometheus::Error::Msg(e.to_string()))
}
