//! An event and the rules of its life: created `new`, changed while unfinished, finished or
//! cancelled once.

use serde_json::value::RawValue;
use shared_messages::{EventId, EventSnapshot, EventStatus};
use time::OffsetDateTime;

use super::json::Scalar;
use super::{Coefficient, Deadline, ValidationError};

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The operator's id.
    pub id: EventId,
    /// Current odds.
    pub coefficient: Coefficient,
    /// Bets are accepted strictly before it.
    pub deadline: Deadline,
    /// `new` until finished or cancelled; a final status never changes.
    pub status: EventStatus,
    /// 1 at creation, one more with every change.
    pub version: u64,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
    /// Why it was finished or cancelled, when the operator said.
    pub reason: Option<Reason>,
}

/// An operator's reason for a change of status: 1–500 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    /// The longest reason accepted.
    pub const MAX_CHARS: usize = 500;

    /// Checks a reason given for `field`.
    pub fn new(field: &'static str, text: String) -> Result<Self, ValidationError> {
        if text.is_empty() {
            return Err(ValidationError::new(field, "must not be empty"));
        }
        let chars = text.chars().count();
        if chars > Self::MAX_CHARS {
            return Err(ValidationError::new(
                field,
                format!(
                    "must be at most {} characters, got {chars}",
                    Self::MAX_CHARS
                ),
            ));
        }
        Ok(Self(text))
    }

    /// Parses a JSON string.
    pub fn from_json(field: &'static str, value: &RawValue) -> Result<Self, ValidationError> {
        match Scalar::of(value) {
            Scalar::String(text) => Self::new(field, text),
            other => Err(ValidationError::new(
                field,
                format!("must be a string, got {}", other.kind()),
            )),
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A request to create an event.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The id the operator chose, or `None` for one made by the service.
    pub id: Option<EventId>,
    /// Starting odds.
    pub coefficient: Coefficient,
    /// When betting closes.
    pub deadline: Deadline,
}

/// A change of odds and/or deadline; at least one of them is present.
#[derive(Debug, Clone, Copy)]
pub struct EventChanges {
    coefficient: Option<Coefficient>,
    deadline: Option<Deadline>,
}

/// The final status an event is given (`finished_win`, `finished_lose` or `cancelled`), with
/// the operator's reason when they gave one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finish {
    status: EventStatus,
    reason: Option<Reason>,
}

/// Why a change cannot be made to an event in its current state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateConflict {
    /// A finished or cancelled event's odds and deadline are frozen.
    #[error("event {0} is {1}; its coefficient and deadline can no longer change")]
    AlreadyFinished(EventId, EventStatus),
    /// A finished or cancelled event cannot get another final status this way.
    #[error("event {0} is already {1}; to change its result, post a correction")]
    OtherResult(EventId, EventStatus),
}

impl EventChanges {
    /// At least one change is required; an empty change is refused rather than ignored.
    pub fn new(
        coefficient: Option<Coefficient>,
        deadline: Option<Deadline>,
    ) -> Result<Self, ValidationError> {
        if coefficient.is_none() && deadline.is_none() {
            return Err(ValidationError::new(
                "body",
                "must contain a coefficient, a deadline or both",
            ));
        }
        Ok(Self {
            coefficient,
            deadline,
        })
    }
}

impl Finish {
    /// What the requested `status` may be, in words.
    const EXPECTED: &'static str = "\"finished_win\", \"finished_lose\" or \"cancelled\"";

    /// Parses the requested status (`finished_win`, `finished_lose` or `cancelled`) and the
    /// optional reason.
    pub fn from_json(
        field: &'static str,
        value: &RawValue,
        reason: Option<Reason>,
    ) -> Result<Self, ValidationError> {
        let text = match Scalar::of(value) {
            Scalar::String(text) => text,
            other => {
                return Err(ValidationError::new(
                    field,
                    format!("must be {}, got {}", Self::EXPECTED, other.kind()),
                ));
            }
        };
        match EventStatus::parse(&text) {
            Some(EventStatus::New) => Err(ValidationError::new(
                field,
                format!("cannot be set back to \"new\"; use {}", Self::EXPECTED),
            )),
            Some(status) => Ok(Self { status, reason }),
            None => Err(ValidationError::new(
                field,
                format!("must be {}, got {text:?}", Self::EXPECTED),
            )),
        }
    }

    /// The final status.
    pub fn status(&self) -> EventStatus {
        self.status
    }
}

impl Event {
    /// A new event at version 1, created `at`.
    pub fn created(
        id: EventId,
        coefficient: Coefficient,
        deadline: Deadline,
        at: OffsetDateTime,
    ) -> Self {
        let at = to_micros(at);
        Self {
            id,
            coefficient,
            deadline,
            status: EventStatus::New,
            version: 1,
            created_at: at,
            updated_at: at,
            reason: None,
        }
    }

    /// The event after `changes` made `at`, or `None` when they change nothing.
    pub fn changed(
        &self,
        changes: EventChanges,
        at: OffsetDateTime,
    ) -> Result<Option<Self>, StateConflict> {
        if self.status.is_final() {
            return Err(StateConflict::AlreadyFinished(self.id.clone(), self.status));
        }
        let coefficient = changes.coefficient.unwrap_or(self.coefficient);
        let deadline = changes.deadline.unwrap_or(self.deadline);
        if coefficient == self.coefficient && deadline == self.deadline {
            return Ok(None);
        }
        Ok(Some(self.next(coefficient, deadline, self.status, at)))
    }

    /// The event given the final status of `finish` `at` (finished or cancelled, with the
    /// reason); `None` when it already has this very status.
    pub fn finished(
        &self,
        finish: &Finish,
        at: OffsetDateTime,
    ) -> Result<Option<Self>, StateConflict> {
        match self.status {
            EventStatus::New => Ok(Some(Self {
                reason: finish.reason.clone(),
                ..self.next(self.coefficient, self.deadline, finish.status, at)
            })),
            status if status == finish.status => Ok(None),
            status => Err(StateConflict::OtherResult(self.id.clone(), status)),
        }
    }

    /// The next version, made `at`. Its `updated_at` never goes back, whatever the clocks of
    /// several replicas say.
    fn next(
        &self,
        coefficient: Coefficient,
        deadline: Deadline,
        status: EventStatus,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            id: self.id.clone(),
            coefficient,
            deadline,
            status,
            version: self.version + 1,
            created_at: self.created_at,
            updated_at: to_micros(at).max(self.updated_at),
            reason: self.reason.clone(),
        }
    }

    /// The event as every message and response carries it.
    pub fn snapshot(&self) -> EventSnapshot {
        EventSnapshot {
            id: self.id.clone(),
            coefficient: self.coefficient.value(),
            deadline: self.deadline.value(),
            status: self.status,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            reason: self.reason.as_ref().map(|reason| reason.0.clone()),
        }
    }
}

/// `at` to the microsecond, as Postgres stores it, so that the event answered is the one stored.
fn to_micros(at: OffsetDateTime) -> OffsetDateTime {
    at.replace_microsecond(at.microsecond()).unwrap_or(at)
}

#[cfg(test)]
mod tests;
