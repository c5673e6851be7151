//! The body of a message and the kind of change it reports.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::EventSnapshot;

/// The schema version of [`EventMessage`] this crate reads and writes.
///
/// It travels in the AMQP header [`SCHEMA_VERSION_HEADER`]; a message without the header is
/// read as version 1. A consumer dead-letters any other version instead of guessing.
pub const SCHEMA_VERSION: u32 = 1;

/// The AMQP header that carries [`SCHEMA_VERSION`].
pub const SCHEMA_VERSION_HEADER: &str = "schema-version";

/// The body of every message on the exchange.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMessage {
    /// Unique per message; also the AMQP `message_id` property.
    pub message_id: Uuid,
    /// When the change was committed by line-provider.
    #[serde(with = "crate::utc_rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// The whole event after the change.
    pub event: EventSnapshot,
}

/// What happened to the event; also the message's routing key and AMQP `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventChange {
    /// The event was created (`event.created`).
    Created,
    /// Its coefficient or deadline changed (`event.updated`).
    Updated,
    /// It got its result (`event.finished`).
    Finished,
}

impl EventChange {
    /// Every kind of change, in the order of an event's life.
    pub const ALL: [Self; 3] = [Self::Created, Self::Updated, Self::Finished];

    /// The routing key (and AMQP `type`) of messages of this kind.
    pub fn routing_key(self) -> &'static str {
        match self {
            Self::Created => "event.created",
            Self::Updated => "event.updated",
            Self::Finished => "event.finished",
        }
    }

    /// The kind of change a routing key names; `None` for a key outside the contract.
    pub fn from_routing_key(key: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|change| change.routing_key() == key)
    }

    /// The kind of change that brings a consumer to `snapshot` when re-publishing the current
    /// state: `finished` once there is a result, `created` for an event never changed since,
    /// `updated` otherwise.
    pub fn describing(snapshot: &EventSnapshot) -> Self {
        if snapshot.status.is_finished() {
            Self::Finished
        } else if snapshot.version <= 1 {
            Self::Created
        } else {
            Self::Updated
        }
    }
}

impl std::fmt::Display for EventChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.routing_key())
    }
}
