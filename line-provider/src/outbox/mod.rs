//! The transactional outbox: messages written with the change they report, published later.

mod relay;

pub use relay::{Relay, RelayHandle};

use shared_messages::{EventChange, EventMessage};
use uuid::Uuid;

use crate::db::OutboxMessage;
use crate::domain::Event;

/// The message that reports `change`, carrying the whole event after it, with the schema
/// version that describes it (3 when the event has a limit, else the kind's own).
pub fn message_for(event: &Event, change: EventChange) -> Result<OutboxMessage, serde_json::Error> {
    let message = EventMessage {
        message_id: Uuid::now_v7(),
        occurred_at: event.updated_at,
        event: event.snapshot(),
    };
    Ok(OutboxMessage {
        seq: 0,
        message_id: message.message_id,
        routing_key: change.routing_key().to_owned(),
        event_id: event.id.to_string(),
        body: serde_json::to_string(&message)?,
        occurred_at: event.updated_at,
        schema_version: change.schema_version_of(&message.event),
    })
}
