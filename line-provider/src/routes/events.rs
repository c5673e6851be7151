//! Operators' routes on events, and their wire types.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use shared_messages::EventStatus;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::auth::Operator;
use super::schemas;
use crate::db;
use crate::domain::{
    Coefficient, Deadline, Event, EventChanges, EventId, Finish, NewEvent, ValidationError,
    event_id_from_json, present,
};
use crate::error::{ApiError, Problem, shown};
use crate::service;
use crate::state::AppState;
use service_support::json_body;

/// Body of `POST /events`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEventRequest {
    /// The event's id; without it the service makes one.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = schemas::event_id_input, required = false)]
    pub id: Option<Box<RawValue>>,
    /// Starting odds.
    #[schema(schema_with = schemas::coefficient_input)]
    pub coefficient: Box<RawValue>,
    /// When betting closes; one in the past creates the event closed for betting.
    #[schema(schema_with = schemas::instant_input)]
    pub deadline: Box<RawValue>,
}

/// Body of `PATCH /events/{id}`: at least one of the two.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeEventRequest {
    /// New odds.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = schemas::coefficient_input, required = false)]
    pub coefficient: Option<Box<RawValue>>,
    /// New deadline; may be in the past, which closes betting at once.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = schemas::instant_input, required = false)]
    pub deadline: Option<Box<RawValue>>,
}

/// Body of `PUT /events/{id}/status`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishEventRequest {
    /// The result.
    #[schema(value_type = FinishedStatus)]
    pub status: Box<RawValue>,
}

/// A result an event can be finished with.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // documents the accepted values; the handler parses them itself
pub enum FinishedStatus {
    /// Bets on the event are won.
    FinishedWin,
    /// Bets on the event are lost.
    FinishedLose,
}

/// Where an event stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusBody {
    /// Not finished.
    New,
    /// Finished: bets won.
    FinishedWin,
    /// Finished: bets lost.
    FinishedLose,
}

impl From<EventStatus> for StatusBody {
    fn from(status: EventStatus) -> Self {
        match status {
            EventStatus::New => Self::New,
            EventStatus::FinishedWin => Self::FinishedWin,
            EventStatus::FinishedLose => Self::FinishedLose,
        }
    }
}

/// An event as served.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventBody {
    /// The event's id.
    #[schema(example = "match-42")]
    pub id: String,
    /// Current odds, always with two decimals.
    #[serde(with = "shared_messages::two_decimals")]
    #[schema(value_type = f64, example = 1.85, multiple_of = 0.01, exclusive_minimum = 0, maximum = 10000)]
    pub coefficient: Decimal,
    /// When betting closes (UTC).
    #[serde(with = "shared_messages::utc_rfc3339")]
    pub deadline: OffsetDateTime,
    /// Where it stands.
    pub status: StatusBody,
    /// 1 at creation, one more with every change.
    #[schema(minimum = 1)]
    pub version: u64,
    /// When it was created (UTC).
    #[serde(with = "shared_messages::utc_rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed (UTC).
    #[serde(with = "shared_messages::utc_rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<&Event> for EventBody {
    fn from(event: &Event) -> Self {
        Self {
            id: event.id.to_string(),
            coefficient: event.coefficient.value(),
            deadline: event.deadline.value(),
            status: event.status.into(),
            version: event.version,
            created_at: event.created_at,
            updated_at: event.updated_at,
        }
    }
}

/// Query of `GET /events`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only events with this status.
    #[param(value_type = Option<StatusBody>)]
    pub status: Option<String>,
}

/// Create an event.
#[utoipa::path(
    post, path = "/events", tag = "events", operation_id = "create_event",
    request_body = CreateEventRequest,
    security(("operator_token" = [])),
    responses(
        (status = 201, description = "Created", body = EventBody, headers(("Location" = String))),
        (status = 400, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong operator token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The id is taken", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body not declared as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid value", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable, retry shortly", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    _operator: Operator,
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let wire: CreateEventRequest = json_body::parse(&request, &body)?;
    let new = parse_new_event(&wire)?;
    let event = service::create_event(&state, new).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/events/{}", event.id)))
        .json(EventBody::from(&event)))
}

fn parse_new_event(wire: &CreateEventRequest) -> Result<NewEvent, ValidationError> {
    let id = wire
        .id
        .as_deref()
        .map(|id| event_id_from_json("id", id))
        .transpose()?;
    let coefficient = Coefficient::from_json("coefficient", &wire.coefficient)?;
    let deadline = Deadline::from_json("deadline", &wire.deadline)?;
    Ok(NewEvent {
        id,
        coefficient,
        deadline,
    })
}

/// List events, oldest first.
#[utoipa::path(
    get, path = "/events", tag = "events", operation_id = "list_events",
    params(ListQuery),
    responses(
        (status = 200, description = "Every event, or those with the status asked for", body = Vec<EventBody>),
        (status = 400, description = "Unreadable query", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown status", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable, retry shortly", body = Problem, content_type = "application/problem+json"),
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
                ValidationError::new("status", "must be new, finished_win or finished_lose")
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
        (status = 503, description = "Database unavailable, retry shortly", body = Problem, content_type = "application/problem+json"),
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

/// Change the odds and/or the deadline of an unfinished event.
#[utoipa::path(
    patch, path = "/events/{id}", tag = "events", operation_id = "change_event",
    params(("id" = String, Path, description = "The event's id")),
    request_body = ChangeEventRequest,
    security(("operator_token" = [])),
    responses(
        (status = 200, description = "The event after the change (unchanged when the values were the same)", body = EventBody),
        (status = 400, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong operator token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The event is finished", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body not declared as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid value", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable, or the event kept changing under other requests; retry shortly", body = Problem, content_type = "application/problem+json"),
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
    let coefficient = wire
        .coefficient
        .as_deref()
        .map(|v| Coefficient::from_json("coefficient", v))
        .transpose()?;
    let deadline = wire
        .deadline
        .as_deref()
        .map(|v| Deadline::from_json("deadline", v))
        .transpose()?;
    let changes = EventChanges::new(coefficient, deadline)?;
    let event = service::change_event(&state, &id, changes).await?;
    Ok(HttpResponse::Ok().json(EventBody::from(&event)))
}

/// Finish an event with its result.
#[utoipa::path(
    put, path = "/events/{id}/status", tag = "events", operation_id = "finish_event",
    params(("id" = String, Path, description = "The event's id")),
    request_body = FinishEventRequest,
    security(("operator_token" = [])),
    responses(
        (status = 200, description = "The finished event (also when it already had this result)", body = EventBody),
        (status = 400, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong operator token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already finished with the other result", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body not declared as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a result (\"new\" included)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable, or the event kept changing under other requests; retry shortly", body = Problem, content_type = "application/problem+json"),
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
    let finish = Finish::from_json("status", &wire.status)?;
    let event = service::finish_event(&state, &id, finish).await?;
    Ok(HttpResponse::Ok().json(EventBody::from(&event)))
}

/// An id in a path; one that breaks the id rules names no event.
fn path_id(raw: &str) -> Result<EventId, ApiError> {
    EventId::parse(raw).map_err(|_| ApiError::EventNotFound(shown(raw)))
}
