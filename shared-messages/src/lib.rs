//! The message contract between `line-provider` (publisher) and `bet-maker` (consumer).
//!
//! Everything both services must agree on lives here and only here: the wire types of a
//! message, the names of the RabbitMQ topology and the AMQP properties every message carries.
//! The crate deliberately depends on nothing but `serde`, `uuid`, `rust_decimal` and `time`
//! (and, with the feature `declare`, `lapin` to declare the topology), so that a change of the
//! contract is a change of this crate and of its golden files.
//!
//! # Layout
//! - [`topology`]: exchange, routing keys, queue and dead-letter queue names, the queue
//!   arguments, and the one declaration both services run.
//! - [`event_id`]: [`EventId`], the only form of an event id either service accepts.
//! - [`money`]: [`Money`], the rule of a stake and of a limit, in both services.
//! - [`decimal_text`]: amounts and odds read from their exact text, and their bounds.
//! - [`two_decimals`] and [`optional_two_decimals`]: serde of amounts and odds as JSON numbers
//!   with exactly two decimals; [`utc_rfc3339`]: serde of instants.
//! - [`event`]: [`EventSnapshot`], the full state of one event as line-provider serves it.
//! - [`message`]: [`EventMessage`], the body of every message, and [`EventChange`], the kind of
//!   change it reports (which is also its routing key and its AMQP `type`).

pub mod decimal_text;
pub mod event;
pub mod event_id;
pub mod message;
pub mod money;
pub mod optional_two_decimals;
pub mod topology;
pub mod two_decimals;
pub mod utc_rfc3339;

pub use event::{EventSnapshot, EventStatus};
pub use event_id::{EventId, EventIdError};
pub use message::{EventChange, EventMessage, SCHEMA_VERSION, SCHEMA_VERSION_HEADER};
pub use money::Money;
pub use topology::Topology;
