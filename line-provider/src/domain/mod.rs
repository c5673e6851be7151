//! Domain types: every value here was checked once, when it was parsed, and is valid for good.

mod coefficient;
mod deadline;
mod event;
mod json;

pub use coefficient::Coefficient;
pub use deadline::Deadline;
pub use event::{Event, EventChanges, Finish, FinishOutcome, NewEvent, StateConflict};
pub use json::{ValidationError, event_id_from_json};
pub use shared_messages::{EventId, EventStatus};
