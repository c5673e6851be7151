//! The wire types of the operators' routes on events: request bodies, the event as served,
//! the list query.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use shared_messages::EventStatus;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::super::schemas;
use crate::db::EventVersion;
use crate::domain::{Event, Money, present};

/// Body of `POST /events`. Every limit is optional (absent or null: no limit); when both
/// stakes are given, `min_stake` must not be above `max_stake` (else 422 naming `min_stake`).
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
    /// The smallest stake accepted.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = schemas::min_stake_input, required = false)]
    pub min_stake: Option<Box<RawValue>>,
    /// The largest stake accepted.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = schemas::max_stake_input, required = false)]
    pub max_stake: Option<Box<RawValue>>,
    /// The most the book may lose on the event.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = schemas::max_liability_input, required = false)]
    pub max_liability: Option<Box<RawValue>>,
}

/// Body of `PATCH /events/{id}`: at least one member. A limit absent is kept, null removes it,
/// a value sets it; the event after the change must not have its `min_stake` above its
/// `max_stake` (else 422 naming `min_stake`).
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
    /// New smallest stake, or null to remove it.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = schemas::min_stake_input, required = false)]
    pub min_stake: Option<Box<RawValue>>,
    /// New largest stake, or null to remove it.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = schemas::max_stake_input, required = false)]
    pub max_stake: Option<Box<RawValue>>,
    /// New most the book may lose, or null to remove it.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = schemas::max_liability_input, required = false)]
    pub max_liability: Option<Box<RawValue>>,
}

/// Body of `PUT /events/{id}/status`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishEventRequest {
    /// The result, or `cancelled`.
    #[schema(value_type = FinalStatus)]
    pub status: Box<RawValue>,
    /// Why (1–500 characters); kept on the event and carried in its message.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, min_length = 1, max_length = 500, pattern = "^[^\\u0000]*$", required = false, example = "abandoned: waterlogged pitch")]
    pub reason: Option<Box<RawValue>>,
}

/// Body of `POST /events/{id}/corrections`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionRequest {
    /// The final status the event should have had.
    #[schema(value_type = FinalStatus)]
    pub status: Box<RawValue>,
    /// Why (1–500 characters): required for a correction.
    #[schema(value_type = String, min_length = 1, max_length = 500, pattern = "^[^\\u0000]*$", example = "the result was entered for the wrong side")]
    pub reason: Box<RawValue>,
}

/// One version of an event, as its history keeps it.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionBody {
    /// The version.
    #[schema(minimum = 1)]
    pub version: u64,
    /// Its status.
    pub status: StatusBody,
    /// Its odds, with two decimals.
    #[serde(with = "shared_messages::two_decimals")]
    #[schema(value_type = f64, example = 1.85, multiple_of = 0.01, exclusive_minimum = 0, maximum = 10000)]
    pub coefficient: Decimal,
    /// Its deadline (UTC).
    #[serde(with = "shared_messages::utc_rfc3339")]
    pub deadline: OffsetDateTime,
    /// The operator's reason given with it; null otherwise.
    #[schema(nullable, example = json!(null))]
    pub reason: Option<String>,
    /// When it was made (UTC).
    #[serde(with = "shared_messages::utc_rfc3339")]
    pub changed_at: OffsetDateTime,
    /// Its smallest stake, with two decimals; null when it had none.
    #[serde(with = "shared_messages::optional_two_decimals")]
    #[schema(value_type = Option<f64>, nullable, example = 1.00, multiple_of = 0.01, exclusive_minimum = 0, maximum = 1000000000)]
    pub min_stake: Option<Decimal>,
    /// Its largest stake, with two decimals; null when it had none.
    #[serde(with = "shared_messages::optional_two_decimals")]
    #[schema(value_type = Option<f64>, nullable, example = 500.00, multiple_of = 0.01, exclusive_minimum = 0, maximum = 1000000000)]
    pub max_stake: Option<Decimal>,
    /// Its most the book might lose, with two decimals; null when it had none.
    #[serde(with = "shared_messages::optional_two_decimals")]
    #[schema(value_type = Option<f64>, nullable, example = json!(null), multiple_of = 0.01, exclusive_minimum = 0, maximum = 1000000000)]
    pub max_liability: Option<Decimal>,
}

impl From<&EventVersion> for VersionBody {
    fn from(version: &EventVersion) -> Self {
        Self {
            version: version.version,
            status: version.status.into(),
            coefficient: version.coefficient,
            deadline: version.deadline,
            reason: version.reason.clone(),
            changed_at: version.changed_at,
            min_stake: version.min_stake,
            max_stake: version.max_stake,
            max_liability: version.max_liability,
        }
    }
}

/// A final status an event can be given.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // documents the accepted values; the handler parses them itself
pub enum FinalStatus {
    /// Finished: bets on the event are won.
    FinishedWin,
    /// Finished: bets on the event are lost.
    FinishedLose,
    /// Cancelled (abandoned, postponed for good): bets on the event are void.
    Cancelled,
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
    /// Cancelled: bets void.
    Cancelled,
}

impl From<EventStatus> for StatusBody {
    fn from(status: EventStatus) -> Self {
        match status {
            EventStatus::New => Self::New,
            EventStatus::FinishedWin => Self::FinishedWin,
            EventStatus::FinishedLose => Self::FinishedLose,
            EventStatus::Cancelled => Self::Cancelled,
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
    /// Why it was finished or cancelled, when the operator said; null otherwise.
    #[schema(nullable, example = json!(null))]
    pub reason: Option<String>,
    /// The smallest stake bet-maker accepts, with two decimals; null when there is none.
    #[serde(with = "shared_messages::optional_two_decimals")]
    #[schema(value_type = Option<f64>, nullable, example = 1.00, multiple_of = 0.01, exclusive_minimum = 0, maximum = 1000000000)]
    pub min_stake: Option<Decimal>,
    /// The largest stake bet-maker accepts, with two decimals; null when there is none.
    #[serde(with = "shared_messages::optional_two_decimals")]
    #[schema(value_type = Option<f64>, nullable, example = 500.00, multiple_of = 0.01, exclusive_minimum = 0, maximum = 1000000000)]
    pub max_stake: Option<Decimal>,
    /// The most the book may lose on the event if it is won, with two decimals; null when
    /// there is no such limit.
    #[serde(with = "shared_messages::optional_two_decimals")]
    #[schema(value_type = Option<f64>, nullable, example = json!(null), multiple_of = 0.01, exclusive_minimum = 0, maximum = 1000000000)]
    pub max_liability: Option<Decimal>,
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
            reason: event
                .reason
                .as_ref()
                .map(|reason| reason.as_str().to_owned()),
            min_stake: event.limits.min_stake().map(Money::value),
            max_stake: event.limits.max_stake().map(Money::value),
            max_liability: event.limits.max_liability().map(Money::value),
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
