//! The body of a message and the kind of change it reports.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{EventSnapshot, EventStatus};

/// The newest schema version of [`EventMessage`] this crate reads and writes.
///
/// It travels in the AMQP header [`SCHEMA_VERSION_HEADER`]; a message without the header is
/// read as version 1. Each message carries the lowest version that describes it
/// ([`EventChange::schema_version`]), so a consumer of an older schema reads what it can and
/// dead-letters the rest (instead of guessing) until it is upgraded; a consumer reads every
/// version up to this one.
pub const SCHEMA_VERSION: u32 = 3;

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
    /// It was cancelled; its bets are void (`event.cancelled`; schema version 2).
    Cancelled,
    /// Its result (or cancellation) was corrected to another final status; its bets follow
    /// (`event.corrected`; schema version 2).
    Corrected,
}

impl EventChange {
    /// Every kind of change, in the order of an event's life.
    pub const ALL: [Self; 5] = [
        Self::Created,
        Self::Updated,
        Self::Finished,
        Self::Cancelled,
        Self::Corrected,
    ];

    /// The routing key (and AMQP `type`) of messages of this kind.
    pub fn routing_key(self) -> &'static str {
        match self {
            Self::Created => "event.created",
            Self::Updated => "event.updated",
            Self::Finished => "event.finished",
            Self::Cancelled => "event.cancelled",
            Self::Corrected => "event.corrected",
        }
    }

    /// The schema version a message of this kind carries: 1 for the kinds of the first
    /// schema, 2 for those a consumer of the first schema would misread. A message about an
    /// event with limits carries 3 whatever its kind ([`EventChange::schema_version_of`]).
    pub fn schema_version(self) -> u32 {
        match self {
            Self::Created | Self::Updated | Self::Finished => 1,
            Self::Cancelled | Self::Corrected => 2,
        }
    }

    /// The schema version of a message of this kind about `snapshot`: the lowest that
    /// describes it, so a consumer of an older schema reads what it can and dead-letters the
    /// rest instead of misreading it.
    pub fn schema_version_of(self, snapshot: &EventSnapshot) -> u32 {
        if snapshot.has_limits() {
            3
        } else {
            self.schema_version()
        }
    }

    /// Whether an event with `status` may be what a message of this kind reports.
    pub fn fits(self, status: EventStatus) -> bool {
        match self {
            Self::Created | Self::Updated => status == EventStatus::New,
            Self::Finished => {
                matches!(status, EventStatus::FinishedWin | EventStatus::FinishedLose)
            }
            Self::Cancelled => status == EventStatus::Cancelled,
            Self::Corrected => status.is_final(),
        }
    }

    /// The kind of change a routing key names; `None` for a key outside the contract.
    pub fn from_routing_key(key: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|change| change.routing_key() == key)
    }

    /// The kind of change that brings a consumer to `snapshot` when re-publishing the current
    /// state: `finished` once there is a result, `cancelled` once cancelled (a consumer takes
    /// a newer final version over an older one, so a corrected event re-published so is
    /// corrected there too), `created` for an event never changed since, `updated` otherwise.
    pub fn describing(snapshot: &EventSnapshot) -> Self {
        match snapshot.status {
            EventStatus::FinishedWin | EventStatus::FinishedLose => Self::Finished,
            EventStatus::Cancelled => Self::Cancelled,
            EventStatus::New if snapshot.version <= 1 => Self::Created,
            EventStatus::New => Self::Updated,
        }
    }
}

impl std::fmt::Display for EventChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.routing_key())
    }
}
