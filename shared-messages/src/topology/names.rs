//! The contract's names, and [`Topology`]: the names of one instance of the topology, and
//! what each of its queues is declared with.

use super::arguments::{
    ARG_DEAD_LETTER_EXCHANGE, ARG_DEAD_LETTER_ROUTING_KEY, ARG_DEAD_LETTER_STRATEGY,
    ARG_DELIVERY_LIMIT, ARG_OVERFLOW, ARG_QUEUE_TYPE, ArgumentValue, DEAD_LETTER_STRATEGY,
    DELIVERY_LIMIT, OVERFLOW, QUEUE_TYPE, QueueType,
};

/// The durable topic exchange every change is published to.
pub const EXCHANGE: &str = "line.events";
/// bet-maker's durable queue.
pub const QUEUE: &str = "bet-maker.events";
/// Where bet-maker's queue dead-letters the messages it can never apply.
pub const DEAD_LETTER_QUEUE: &str = "bet-maker.events.dlq";
/// The binding of bet-maker's queue to the exchange: every routing key of an event.
pub const BINDING_KEY: &str = "event.#";
/// The AMQP `app_id` of every message.
pub const APP_ID: &str = "line-provider";
/// The AMQP `content_type` of every message.
pub const CONTENT_TYPE: &str = "application/json";
/// The AMQP `delivery_mode` of every message: persistent.
pub const DELIVERY_MODE_PERSISTENT: u8 = 2;

/// The names of one instance of the topology.
///
/// Production uses [`Topology::default`], the names above. Tests give every case its own
/// instance with [`Topology::with_prefix`], so that cases run in parallel on one broker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topology {
    /// The topic exchange.
    pub exchange: String,
    /// bet-maker's queue, bound to the exchange with [`BINDING_KEY`].
    pub queue: String,
    /// The dead-letter queue of `queue`.
    pub dead_letter_queue: String,
    /// The type of both queues.
    pub queue_type: QueueType,
}

impl Default for Topology {
    fn default() -> Self {
        Self {
            exchange: EXCHANGE.to_owned(),
            queue: QUEUE.to_owned(),
            dead_letter_queue: DEAD_LETTER_QUEUE.to_owned(),
            queue_type: QueueType::Quorum,
        }
    }
}

impl Topology {
    /// The contract's names, each preceded by `prefix` and a dot.
    pub fn with_prefix(prefix: &str) -> Self {
        let names = Self::default();
        Self {
            exchange: format!("{prefix}.{}", names.exchange),
            queue: format!("{prefix}.{}", names.queue),
            dead_letter_queue: format!("{prefix}.{}", names.dead_letter_queue),
            queue_type: names.queue_type,
        }
    }

    /// The contract's names, or with `prefix` when one is set and not empty (the
    /// `AMQP_NAME_PREFIX` of both services).
    pub fn with_optional_prefix(prefix: Option<&str>) -> Self {
        match prefix {
            Some(prefix) if !prefix.is_empty() => Self::with_prefix(prefix),
            _ => Self::default(),
        }
    }

    /// The same names with queues of `queue_type`.
    pub fn with_queue_type(self, queue_type: QueueType) -> Self {
        Self { queue_type, ..self }
    }
}

impl Topology {
    /// The arguments `queue` is declared with, identical in every declarer. As a quorum queue:
    /// a delivery limit, dead letters through the default exchange (`""`) to
    /// `dead_letter_queue`, at least once. As a classic queue: the same dead-letter exchange
    /// and routing key, nothing else (exactly what versions before quorum queues declared).
    pub fn queue_arguments(&self) -> Vec<(&'static str, ArgumentValue<'_>)> {
        let dead_letters = [
            (ARG_DEAD_LETTER_EXCHANGE, ArgumentValue::Text("")),
            (
                ARG_DEAD_LETTER_ROUTING_KEY,
                ArgumentValue::Text(self.dead_letter_queue.as_str()),
            ),
        ];
        match self.queue_type {
            QueueType::Quorum => [
                (ARG_QUEUE_TYPE, ArgumentValue::Text(QUEUE_TYPE)),
                (ARG_DELIVERY_LIMIT, ArgumentValue::Integer(DELIVERY_LIMIT)),
            ]
            .into_iter()
            .chain(dead_letters)
            .chain([
                (
                    ARG_DEAD_LETTER_STRATEGY,
                    ArgumentValue::Text(DEAD_LETTER_STRATEGY),
                ),
                (ARG_OVERFLOW, ArgumentValue::Text(OVERFLOW)),
            ])
            .collect(),
            QueueType::Classic => dead_letters.to_vec(),
        }
    }

    /// The queue type as the one argument it is declared with (nothing for a classic queue,
    /// declared as before quorum queues): for a queue that only holds messages.
    pub fn type_arguments(&self) -> Vec<(&'static str, ArgumentValue<'static>)> {
        match self.queue_type {
            QueueType::Quorum => vec![(ARG_QUEUE_TYPE, ArgumentValue::Text(QUEUE_TYPE))],
            QueueType::Classic => Vec::new(),
        }
    }

    /// The arguments `dead_letter_queue` is declared with: its type only, without a limit or a
    /// dead-letter exchange of its own (an operator reads it and decides).
    pub fn dead_letter_queue_arguments(&self) -> Vec<(&'static str, ArgumentValue<'static>)> {
        self.type_arguments()
    }
}
