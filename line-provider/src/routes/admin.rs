//! Operators' maintenance routes.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::Operator;
use crate::error::ApiError;
use crate::service;
use crate::state::AppState;
use service_support::problem::{DatabaseUnavailable, OperatorTokenMissing};

/// Answer of `POST /admin/republish`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RepublishBody {
    /// How many events were queued for publishing again.
    pub events: usize,
}

/// Publish the current state of every event again, for a consumer whose database was reset.
#[utoipa::path(
    post, path = "/admin/republish", tag = "admin", operation_id = "republish",
    security(("operator_token" = [])),
    responses(
        (status = 202, description = "Queued in the outbox; the relay publishes them in order", body = RepublishBody),
        OperatorTokenMissing, DatabaseUnavailable,
    )
)]
pub async fn republish(
    _operator: Operator,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let events = service::republish_all(&state.commits).await?;
    Ok(HttpResponse::Accepted().json(RepublishBody { events }))
}
