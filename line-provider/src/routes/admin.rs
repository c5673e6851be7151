//! Operators' maintenance routes, and the check of an operator's token.

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

/// Check the operator token, changing nothing: the console asks it when an operator signs in,
/// so that a wrong token is refused at once rather than at the first change.
#[utoipa::path(
    get, path = "/admin/token", tag = "admin", operation_id = "check_token",
    security(("operator_token" = [])),
    responses(
        (status = 204, description = "The token is the service's ADMIN_TOKEN (or the service has none)"),
        OperatorTokenMissing,
    )
)]
pub async fn check_token(_operator: Operator) -> HttpResponse {
    HttpResponse::NoContent().finish()
}
