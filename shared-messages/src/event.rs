//! The state of one event, as line-provider serves it over HTTP and in every message.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::EventId;

/// Where an event stands. There are no draws: a finished event is won or lost; a cancelled
/// one (abandoned, postponed for good) has no result, and its bets are void.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    /// Not finished; bets are accepted until the deadline.
    New,
    /// Finished, and bets on it are won.
    FinishedWin,
    /// Finished, and bets on it are lost.
    FinishedLose,
    /// Cancelled: bets on it are void (the stake is returned).
    Cancelled,
}

impl EventStatus {
    /// The status as written on the wire and in the databases (`new`, `finished_win`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::FinishedWin => "finished_win",
            Self::FinishedLose => "finished_lose",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses the wire spelling; `None` for anything else.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "new" => Some(Self::New),
            "finished_win" => Some(Self::FinishedWin),
            "finished_lose" => Some(Self::FinishedLose),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }

    /// Whether the event's outcome is known, finished or cancelled: its odds and deadline
    /// can no longer change.
    pub fn is_final(self) -> bool {
        !matches!(self, Self::New)
    }
}

impl std::fmt::Display for EventStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The full state of one event at one `version`.
///
/// Every message carries a whole snapshot, so a consumer never needs the history: it keeps the
/// snapshot with the highest `version` it has seen and ignores older ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventSnapshot {
    /// The operator's id of the event: 1–64 characters of `A-Z a-z 0-9 - _ . :`.
    pub id: EventId,
    /// The odds, greater than zero, with two decimals.
    #[serde(with = "crate::two_decimals")]
    pub coefficient: Decimal,
    /// Bets are accepted strictly before this instant.
    #[serde(with = "crate::utc_rfc3339")]
    pub deadline: OffsetDateTime,
    /// Where the event stands.
    pub status: EventStatus,
    /// Starts at 1 and grows by one with every change of the event.
    pub version: u64,
    /// When the event was created.
    #[serde(with = "crate::utc_rfc3339")]
    pub created_at: OffsetDateTime,
    /// When the event last changed.
    #[serde(with = "crate::utc_rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Why the operator cancelled or finished it, when they said; absent otherwise (a consumer
    /// of the first schema never sees the member).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The smallest stake accepted on the event; absent when there is none. Like the two
    /// below, a message whose event has it carries schema version 3.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::optional_two_decimals"
    )]
    pub min_stake: Option<Decimal>,
    /// The largest stake accepted on the event; absent when there is none.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::optional_two_decimals"
    )]
    pub max_stake: Option<Decimal>,
    /// The most the book may lose on the event if it is won: the sum over its bets of
    /// `amount × (coefficient − 1)`; absent when there is no such limit.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::optional_two_decimals"
    )]
    pub max_liability: Option<Decimal>,
}

impl EventSnapshot {
    /// Whether the event carries any limit: a consumer that does not know limits would take
    /// bets the book refuses, so such a message carries schema version 3.
    pub fn has_limits(&self) -> bool {
        self.min_stake.is_some() || self.max_stake.is_some() || self.max_liability.is_some()
    }
}
