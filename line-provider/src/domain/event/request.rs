//! What an operator asks of an event: to create it, to change its odds, deadline or limits, to
//! give it a final status (with a reason), to correct that status.

use serde_json::value::RawValue;
use shared_messages::{EventId, EventStatus};

use super::super::json::Scalar;
use super::super::{Coefficient, Deadline, LimitChanges, Limits, ValidationError};

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
        if text.contains('\0') {
            return Err(ValidationError::new(
                field,
                "must not contain the NUL character (\\u0000)",
            ));
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
    /// Its limits (none unless the operator set them).
    pub limits: Limits,
}

/// A change of odds, deadline and/or limits; it changes at least one of them.
#[derive(Debug, Clone, Copy)]
pub struct EventChanges {
    pub(super) coefficient: Option<Coefficient>,
    pub(super) deadline: Option<Deadline>,
    pub(super) limits: LimitChanges,
}

/// The final status an event is given (`finished_win`, `finished_lose` or `cancelled`), with
/// the operator's reason when they gave one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finish {
    status: EventStatus,
    reason: Option<Reason>,
}

impl EventChanges {
    /// At least one change is required; an empty change is refused rather than ignored.
    pub fn new(
        coefficient: Option<Coefficient>,
        deadline: Option<Deadline>,
        limits: LimitChanges,
    ) -> Result<Self, ValidationError> {
        if coefficient.is_none() && deadline.is_none() && limits.is_empty() {
            return Err(ValidationError::new(
                "body",
                "must contain at least one of coefficient, deadline, min_stake, max_stake and max_liability",
            ));
        }
        Ok(Self {
            coefficient,
            deadline,
            limits,
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

    /// The operator's reason, when given.
    pub fn reason(&self) -> Option<&Reason> {
        self.reason.as_ref()
    }
}

/// A correction of a final status: the status it should have had, and why (required).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    status: EventStatus,
    reason: Reason,
}

impl Correction {
    /// Parses the corrected status (`finished_win`, `finished_lose` or `cancelled`) with its
    /// reason.
    pub fn from_json(
        field: &'static str,
        value: &RawValue,
        reason: Reason,
    ) -> Result<Self, ValidationError> {
        let finish = Finish::from_json(field, value, None)?;
        Ok(Self {
            status: finish.status,
            reason,
        })
    }

    /// The status the event should have.
    pub fn status(&self) -> EventStatus {
        self.status
    }

    /// Why.
    pub fn reason(&self) -> &Reason {
        &self.reason
    }
}
