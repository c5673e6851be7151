//! From a delivery to a message bet-maker can apply, or the reason it never can.

use lapin::message::Delivery;
use lapin::types::AMQPValue;
use shared_messages::topology::CONTENT_TYPE;
use shared_messages::{
    EventChange, EventMessage, EventStatus, SCHEMA_VERSION, SCHEMA_VERSION_HEADER,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::{IncomingEvent, InvalidEvent};

/// A message that passed every check of the contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingMessage {
    /// The message's id.
    pub message_id: Uuid,
    /// When the change happened at line-provider.
    pub occurred_at: OffsetDateTime,
    /// What it reports.
    pub change: EventChange,
    /// The event after the change.
    pub event: IncomingEvent,
}

/// Why a delivery can never be applied (it goes to the dead-letter queue).
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The routing key is none of the contract's.
    #[error("unknown routing key {0:?}")]
    UnknownRoutingKey(String),
    /// The `schema-version` header names a version this build does not read.
    #[error("unsupported schema version {0}")]
    UnsupportedSchema(String),
    /// The content type is not JSON.
    #[error("content type {0:?} is not {CONTENT_TYPE}")]
    ContentType(String),
    /// The body is not an event message.
    #[error("the body is not a valid event message: {0}")]
    Body(#[from] serde_json::Error),
    /// A value breaks the contract.
    #[error(transparent)]
    Event(#[from] InvalidEvent),
    /// The routing key and the event's status disagree.
    #[error("routing key {0} does not fit an event with status {1}")]
    Inconsistent(EventChange, EventStatus),
}

/// Checks a delivery against the contract.
pub fn decode(delivery: &Delivery) -> Result<IncomingMessage, DecodeError> {
    let key = delivery.routing_key.as_str();
    let change = EventChange::from_routing_key(key)
        .ok_or_else(|| DecodeError::UnknownRoutingKey(key.to_owned()))?;
    check_schema_version(delivery)?;
    if let Some(content_type) = delivery.properties.content_type() {
        let essence = content_type
            .as_str()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim();
        if !essence.eq_ignore_ascii_case(CONTENT_TYPE) {
            return Err(DecodeError::ContentType(content_type.to_string()));
        }
    }
    let message: EventMessage = serde_json::from_slice(&delivery.data)?;
    let event = IncomingEvent::from_snapshot(&message.event)?;
    if !change.fits(event.status) {
        return Err(DecodeError::Inconsistent(change, event.status));
    }
    Ok(IncomingMessage {
        message_id: message.message_id,
        occurred_at: message.occurred_at,
        change,
        event,
    })
}

fn check_schema_version(delivery: &Delivery) -> Result<(), DecodeError> {
    let Some(headers) = delivery.properties.headers() else {
        return Ok(());
    };
    let Some(value) = headers.inner().get(SCHEMA_VERSION_HEADER) else {
        return Ok(());
    };
    let version = match value {
        AMQPValue::ShortShortInt(v) => Some(i64::from(*v)),
        AMQPValue::ShortShortUInt(v) => Some(i64::from(*v)),
        AMQPValue::ShortInt(v) => Some(i64::from(*v)),
        AMQPValue::ShortUInt(v) => Some(i64::from(*v)),
        AMQPValue::LongInt(v) => Some(i64::from(*v)),
        AMQPValue::LongUInt(v) => Some(i64::from(*v)),
        AMQPValue::LongLongInt(v) => Some(*v),
        _ => None,
    };
    match version {
        Some(v) if (1..=i64::from(SCHEMA_VERSION)).contains(&v) => Ok(()),
        _ => Err(DecodeError::UnsupportedSchema(format!("{value:?}"))),
    }
}
