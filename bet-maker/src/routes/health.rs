//! Liveness, readiness and metrics.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db;
use crate::error::{Problem, problem_response};
use crate::state::AppState;

/// How long readiness waits for Postgres before calling it unreachable.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// Answer of the health routes.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthBody {
    /// `ok`.
    #[schema(example = "ok")]
    pub status: &'static str,
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
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let mut reasons = Vec::new();
    let database = tokio::time::timeout(READY_TIMEOUT, async {
        let client = state.pool.get().await?;
        db::ping(&client).await
    })
    .await;
    match database {
        Ok(Ok(())) => {}
        Ok(Err(error)) => reasons.push(format!("database unreachable: {error}")),
        Err(_) => reasons.push("database did not answer in time".to_owned()),
    }
    if !state.broker.is_up() {
        reasons.push("broker unreachable; new events and results wait in the queue".to_owned());
    }
    if reasons.is_empty() {
        return HttpResponse::Ok().json(HealthBody { status: "ok" });
    }
    let problem = Problem {
        r#type: "urn:problem:bet-maker:not-ready".to_owned(),
        title: "Not ready".to_owned(),
        status: 503,
        detail: reasons.join("; "),
        field: None,
    };
    problem_response(StatusCode::SERVICE_UNAVAILABLE, &problem)
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain; version=0.0.4")))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    match state.metrics.render() {
        Ok(text) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .body(text),
        Err(error) => {
            tracing::error!(%error, "cannot render metrics");
            HttpResponse::InternalServerError().finish()
        }
    }
}
