//! `GET /events`: what bettors can bet on now.

use actix_web::{HttpResponse, web};
use rust_decimal::Decimal;
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::domain::{Money, OpenEvent};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// An event open for betting.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenEventBody {
    /// The event's id.
    #[schema(example = "match-42")]
    pub id: String,
    /// Current odds, always with two decimals.
    #[serde(with = "shared_messages::two_decimals")]
    #[schema(value_type = f64, example = 1.85, multiple_of = 0.01, exclusive_minimum = 0, maximum = 10000)]
    pub coefficient: Decimal,
    /// Bets are accepted strictly before this instant (UTC).
    #[serde(with = "shared_messages::utc_rfc3339")]
    pub deadline: OffsetDateTime,
    /// Always `new`.
    #[schema(value_type = OpenStatus)]
    pub status: &'static str,
    /// The smallest stake accepted; null: no minimum.
    #[serde(with = "shared_messages::optional_two_decimals")]
    #[schema(value_type = Option<f64>, example = 1.00, multiple_of = 0.01, exclusive_minimum = 0, maximum = 1000000000)]
    pub min_stake: Option<Decimal>,
    /// The largest stake accepted; null: no maximum.
    #[serde(with = "shared_messages::optional_two_decimals")]
    #[schema(value_type = Option<f64>, example = 500.00, multiple_of = 0.01, exclusive_minimum = 0, maximum = 1000000000)]
    pub max_stake: Option<Decimal>,
    /// The most the book may lose on the event if it is won; null: no limit.
    #[serde(with = "shared_messages::optional_two_decimals")]
    #[schema(value_type = Option<f64>, example = 25000.00, multiple_of = 0.01, exclusive_minimum = 0, maximum = 1000000000)]
    pub max_liability: Option<Decimal>,
}

/// The status of an open event.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // documents the only value; the body carries it as a string
pub enum OpenStatus {
    /// Not finished.
    New,
}

impl From<&OpenEvent> for OpenEventBody {
    fn from(event: &OpenEvent) -> Self {
        Self {
            id: event.id.to_string(),
            coefficient: event.coefficient,
            deadline: event.deadline,
            status: event.status.as_str(),
            min_stake: event.limits.min_stake.map(Money::value),
            max_stake: event.limits.max_stake.map(Money::value),
            max_liability: event.limits.max_liability.map(Money::value),
        }
    }
}

/// Events open for betting: status `new` and deadline in the future, soonest deadline first.
///
/// Served from memory: a change applied by another bet-maker replica shows within half a
/// second.
#[utoipa::path(
    get, path = "/events", tag = "events", operation_id = "list_open_events",
    responses(
        (status = 200, description = "Open events", body = Vec<OpenEventBody>),
        (status = 503, description = "Database unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let body = state
        .open_events
        .body(&state.pool, |open| {
            let bodies: Vec<OpenEventBody> = open.iter().map(OpenEventBody::from).collect();
            serde_json::to_vec(&bodies)
                .map(web::Bytes::from)
                .map_err(ApiError::internal)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(mime::APPLICATION_JSON)
        .body(body))
}
