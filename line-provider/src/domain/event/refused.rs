//! Why an operator's write of an event is not made: the answers of the event's rules, and of
//! the store they are checked against.

use shared_messages::{EventId, EventStatus};

use crate::domain::ValidationError;

/// Why a change cannot be made to an event in its current state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateConflict {
    /// A finished or cancelled event's odds, deadline and limits are frozen.
    #[error("event {0} is {1}; its coefficient, deadline and limits can no longer change")]
    AlreadyFinished(EventId, EventStatus),
    /// A finished or cancelled event cannot get another final status this way.
    #[error("event {0} is already {1}; to change its result, post a correction")]
    OtherResult(EventId, EventStatus),
    /// Only a finished or cancelled event has a result to correct.
    #[error("event {0} is new: finish or cancel it instead of correcting it")]
    NotFinal(EventId),
}

/// Why a change of an event is refused by its rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeRefused {
    /// The event's state forbids it.
    #[error(transparent)]
    Conflict(#[from] StateConflict),
    /// The event it leads to would break a rule: its smallest stake above its largest.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
}

/// Why a write of an event is not made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// No event with this id.
    #[error("no event with id {0}")]
    NotFound(EventId),
    /// An event with this id already exists.
    #[error("an event with id {0} already exists")]
    Exists(EventId),
    /// The event's rules refuse the change.
    #[error(transparent)]
    Change(#[from] ChangeRefused),
    /// Other changes of the event kept committing first, however often this one was decided
    /// again; the client may retry.
    #[error("event {0} is being changed by other requests all the time")]
    Busy(EventId),
}

impl From<StateConflict> for Refused {
    fn from(conflict: StateConflict) -> Self {
        Self::Change(conflict.into())
    }
}
