//! Domain types: every value here was checked once, when it was parsed, and is valid for good.

mod coefficient;
mod deadline;
mod event;
pub mod json;

pub use coefficient::Coefficient;
pub use deadline::Deadline;
pub use event::{Correction, Event, EventChanges, Finish, NewEvent, Reason, StateConflict};
pub use json::{Scalar, ValidationError, id_from_json, present};
pub use shared_messages::{EventId, EventStatus};
