//! Domain types: every value here was checked once, when it was parsed, and is valid for good.

mod coefficient;
mod deadline;
mod event;
pub mod json;
mod limits;

pub use coefficient::Coefficient;
pub use deadline::Deadline;
pub use event::{
    ChangeRefused, Correction, Event, EventChanges, Finish, NewEvent, Reason, Refused,
    StateConflict,
};
pub use json::{Scalar, ValidationError, decimal_from_json, id_from_json, present};
pub use limits::{LimitChanges, Limits};
pub use shared_messages::{EventId, EventStatus, Money};
