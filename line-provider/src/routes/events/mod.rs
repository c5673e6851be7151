//! Operators' routes on events; their wire types are in `wire.rs`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use shared_messages::EventStatus;

use super::Operator;
use crate::db;
use crate::domain::{Correction, EventId, Finish, Reason, ValidationError};
use crate::error::{ApiError, Problem, shown};
use crate::service;
use crate::state::AppState;
use service_support::json_body;
use service_support::problem::{DatabaseUnavailable, JsonBodyRefused, OperatorTokenMissing};

mod parse;
mod wire;

use wire::{
    ChangeEventRequest, CorrectionRequest, CreateEventRequest, EventBody, FinishEventRequest,
    ListQuery, VersionBody,
};

/// Create an event.
#[utoipa::path(
    post, path = "/events", tag = "events", operation_id = "create_event",
    request_body = CreateEventRequest,
    security(("operator_token" = [])),
    responses(
        (status = 201, description = "Created", body = EventBody, headers(("Location" = String))),
        (status = 409, description = "The id is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid value, or a min_stake above the max_stake", body = Problem, content_type = "application/problem+json"),
        JsonBodyRefused, OperatorTokenMissing, DatabaseUnavailable,
    )
)]
pub async fn create(
    _operator: Operator,
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let wire: CreateEventRequest = json_body::parse(&request, &body)?;
    let new = parse::new_event(&wire)?;
    let event = service::create_event(&state.commits, new).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/events/{}", event.id)))
        .json(EventBody::from(&event)))
}

/// List events, oldest first.
#[utoipa::path(
    get, path = "/events", tag = "events", operation_id = "list_events",
    params(ListQuery),
    responses(
        (status = 200, description = "Every event, or those with the status asked for", body = Vec<EventBody>),
        (status = 400, description = "Unreadable query", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown status", body = Problem, content_type = "application/problem+json"),
        DatabaseUnavailable,
    )
)]
pub async fn list(
    query: web::Query<ListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let status = query
        .status
        .as_deref()
        .map(|text| {
            EventStatus::parse(text).ok_or_else(|| {
                ValidationError::new(
                    "status",
                    "must be new, finished_win, finished_lose or cancelled",
                )
            })
        })
        .transpose()?;
    let client = state.pool.get().await?;
    let events = db::list_events(&client, status).await?;
    Ok(HttpResponse::Ok().json(events.iter().map(EventBody::from).collect::<Vec<_>>()))
}

/// One event.
#[utoipa::path(
    get, path = "/events/{id}", tag = "events", operation_id = "get_event",
    params(("id" = String, Path, description = "The event's id")),
    responses(
        (status = 200, description = "The event", body = EventBody),
        (status = 404, description = "No such event", body = Problem, content_type = "application/problem+json"),
        DatabaseUnavailable,
    )
)]
pub async fn get(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&path)?;
    let client = state.pool.get().await?;
    let event = db::get_event(&client, &id)
        .await?
        .ok_or_else(|| ApiError::EventNotFound(id.to_string()))?;
    Ok(HttpResponse::Ok().json(EventBody::from(&event)))
}

/// Change the odds, the deadline and/or the limits of a `new` event.
#[utoipa::path(
    patch, path = "/events/{id}", tag = "events", operation_id = "change_event",
    params(("id" = String, Path, description = "The event's id")),
    request_body = ChangeEventRequest,
    security(("operator_token" = [])),
    responses(
        (status = 200, description = "The event after the change (unchanged when the values were the same)", body = EventBody),
        (status = 404, description = "No such event", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The event is finished or cancelled", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid value, or a min_stake above the max_stake the event would have", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable, or the event kept changing under other requests; retry shortly", body = Problem, content_type = "application/problem+json"),
        JsonBodyRefused, OperatorTokenMissing,
    )
)]
pub async fn change(
    _operator: Operator,
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&path)?;
    let wire: ChangeEventRequest = json_body::parse(&request, &body)?;
    let changes = parse::changes(&wire)?;
    let event = service::change_event(&state.commits, &id, changes).await?;
    Ok(HttpResponse::Ok().json(EventBody::from(&event)))
}

/// Finish an event with its result, or cancel it.
#[utoipa::path(
    put, path = "/events/{id}/status", tag = "events", operation_id = "finish_event",
    params(("id" = String, Path, description = "The event's id")),
    request_body = FinishEventRequest,
    security(("operator_token" = [])),
    responses(
        (status = 200, description = "The finished or cancelled event (also when it already had this status)", body = EventBody),
        (status = 404, description = "No such event", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already finished or cancelled otherwise (post a correction)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a final status (\"new\" included), or a reason that is empty or over 500 characters", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable, or the event kept changing under other requests; retry shortly", body = Problem, content_type = "application/problem+json"),
        JsonBodyRefused, OperatorTokenMissing,
    )
)]
pub async fn finish(
    _operator: Operator,
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&path)?;
    let wire: FinishEventRequest = json_body::parse(&request, &body)?;
    let reason = wire
        .reason
        .as_deref()
        .map(|reason| Reason::from_json("reason", reason))
        .transpose()?;
    let finish = Finish::from_json("status", &wire.status, reason)?;
    let event = service::finish_event(&state.commits, &id, finish).await?;
    Ok(HttpResponse::Ok().json(EventBody::from(&event)))
}

/// Correct the result (or the cancellation) of a finished or cancelled event.
#[utoipa::path(
    post, path = "/events/{id}/corrections", tag = "events", operation_id = "correct_event",
    params(("id" = String, Path, description = "The event's id")),
    request_body = CorrectionRequest,
    security(("operator_token" = [])),
    responses(
        (status = 200, description = "The corrected event, a new version (also when it already had this status: no new version)", body = EventBody),
        (status = 404, description = "No such event", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The event is new: finish or cancel it instead", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a final status, or no reason, or a reason that is empty or over 500 characters", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable, or the event kept changing under other requests; retry shortly", body = Problem, content_type = "application/problem+json"),
        JsonBodyRefused, OperatorTokenMissing,
    )
)]
pub async fn correct(
    _operator: Operator,
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&path)?;
    let wire: CorrectionRequest = json_body::parse(&request, &body)?;
    let reason = Reason::from_json("reason", &wire.reason)?;
    let correction = Correction::from_json("status", &wire.status, reason)?;
    let event = service::correct_event(&state.commits, &id, correction).await?;
    Ok(HttpResponse::Ok().json(EventBody::from(&event)))
}

/// Every version of an event, oldest first.
#[utoipa::path(
    get, path = "/events/{id}/history", tag = "events", operation_id = "event_history",
    params(("id" = String, Path, description = "The event's id")),
    responses(
        (status = 200, description = "Its versions, oldest first", body = Vec<VersionBody>),
        (status = 404, description = "No such event", body = Problem, content_type = "application/problem+json"),
        DatabaseUnavailable,
    )
)]
pub async fn history(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&path)?;
    let client = state.pool.get().await?;
    let versions = db::event_history(&client, &id).await?;
    if versions.is_empty() && db::get_event(&client, &id).await?.is_none() {
        return Err(ApiError::EventNotFound(shown(&path)));
    }
    Ok(HttpResponse::Ok().json(versions.iter().map(VersionBody::from).collect::<Vec<_>>()))
}

/// An id in a path; one that breaks the id rules names no event.
fn path_id(raw: &str) -> Result<EventId, ApiError> {
    EventId::parse(raw).map_err(|_| ApiError::EventNotFound(shown(raw)))
}
