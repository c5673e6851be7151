//! The RabbitMQ topology, declared in one place, and the AMQP properties of every message.
//!
//! ```text
//! line-provider ──publish──▶ [line.events] (topic, durable)
//!                                 │ event.#
//!                                 ▼
//!                        (bet-maker.events) ──reject──▶ default exchange ──▶ (bet-maker.events.dlq)
//! ```
//!
//! Both services declare the whole topology with the same arguments, so it exists before the
//! first publish whichever starts first, and a message is never dropped for want of a queue.
//!
//! - `names.rs`: the names, and [`Topology`], the names of one instance of the topology and
//!   the arguments each of its queues is declared with.
//! - `arguments.rs`: the queues' type ([`QueueType`]), the arguments' names and values.
//! - `declare.rs` (feature `declare`): `Topology::declare`, the declaration both services
//!   run, and the calls it is made of, which bet-maker's move of its queues uses too.

mod arguments;
#[cfg(feature = "declare")]
mod declare;
mod names;
#[cfg(test)]
mod tests;

pub use arguments::{
    ARG_DEAD_LETTER_EXCHANGE, ARG_DEAD_LETTER_ROUTING_KEY, ARG_DEAD_LETTER_STRATEGY,
    ARG_DELIVERY_LIMIT, ARG_OVERFLOW, ARG_QUEUE_TYPE, ArgumentValue, DEAD_LETTER_STRATEGY,
    DELIVERY_LIMIT, OVERFLOW, QUEUE_TYPE, QueueType,
};
#[cfg(feature = "declare")]
pub use declare::{Declared, declare_queue, declared_as, field_table};
pub use names::{
    APP_ID, BINDING_KEY, CONTENT_TYPE, DEAD_LETTER_QUEUE, DELIVERY_MODE_PERSISTENT, EXCHANGE,
    QUEUE, Topology,
};
