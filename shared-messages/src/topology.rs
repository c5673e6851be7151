//! Names of the RabbitMQ topology and the AMQP properties of every message.
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
//! The declaration itself is [`Topology::declare`] (feature `declare`), the one both run.

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

/// Queue argument naming the exchange that dead letters go to.
pub const ARG_DEAD_LETTER_EXCHANGE: &str = "x-dead-letter-exchange";
/// Queue argument naming the routing key dead letters get.
pub const ARG_DEAD_LETTER_ROUTING_KEY: &str = "x-dead-letter-routing-key";

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
}

impl Default for Topology {
    fn default() -> Self {
        Self {
            exchange: EXCHANGE.to_owned(),
            queue: QUEUE.to_owned(),
            dead_letter_queue: DEAD_LETTER_QUEUE.to_owned(),
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

    /// The arguments `queue` is declared with (string-valued), identical in every declarer:
    /// rejected messages go through the default exchange (`""`) to `dead_letter_queue`.
    pub fn queue_arguments(&self) -> [(&'static str, &str); 2] {
        [
            (ARG_DEAD_LETTER_EXCHANGE, ""),
            (ARG_DEAD_LETTER_ROUTING_KEY, self.dead_letter_queue.as_str()),
        ]
    }
}

#[cfg(feature = "declare")]
mod declare {
    use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
    use lapin::types::{AMQPValue, FieldTable};
    use lapin::{Channel, ExchangeKind};

    use super::{BINDING_KEY, Topology};

    impl Topology {
        /// Declares the exchange, bet-maker's queue, its dead-letter queue and the binding on
        /// `channel`.
        ///
        /// Every option is spelled out: a second declaration with other options is refused by
        /// RabbitMQ, so this one function serves both services (and matches the broker's
        /// definitions file, `docker/rabbitmq/definitions.json`).
        pub async fn declare(&self, channel: &Channel) -> lapin::Result<()> {
            channel
                .exchange_declare(
                    self.exchange.as_str().into(),
                    ExchangeKind::Topic,
                    ExchangeDeclareOptions {
                        passive: false,
                        durable: true, // survives a broker restart
                        auto_delete: false,
                        internal: false, // operators and tests may publish to it
                        nowait: false,
                    },
                    FieldTable::default(),
                )
                .await?;
            channel
                .queue_declare(
                    self.dead_letter_queue.as_str().into(),
                    durable_queue(),
                    FieldTable::default(),
                )
                .await?;
            let mut arguments = FieldTable::default();
            for (key, value) in self.queue_arguments() {
                arguments.insert(key.into(), AMQPValue::LongString(value.into()));
            }
            channel
                .queue_declare(self.queue.as_str().into(), durable_queue(), arguments)
                .await?;
            channel
                .queue_bind(
                    self.queue.as_str().into(),
                    self.exchange.as_str().into(),
                    BINDING_KEY.into(),
                    QueueBindOptions { nowait: false },
                    FieldTable::default(),
                )
                .await?;
            Ok(())
        }
    }

    fn durable_queue() -> QueueDeclareOptions {
        QueueDeclareOptions {
            passive: false,
            durable: true, // survives a broker restart, with its persistent messages
            exclusive: false,
            auto_delete: false, // stays when its consumer goes away
            nowait: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_topology_uses_the_names_of_the_contract() {
        let topology = Topology::default();
        assert_eq!(topology.exchange, "line.events");
        assert_eq!(topology.queue, "bet-maker.events");
        assert_eq!(topology.dead_letter_queue, "bet-maker.events.dlq");
        assert_eq!(BINDING_KEY, "event.#");
    }

    #[test]
    fn a_prefixed_topology_keeps_the_contract_names_after_the_prefix() {
        let topology = Topology::with_prefix("t42");
        assert_eq!(topology.exchange, "t42.line.events");
        assert_eq!(topology.queue, "t42.bet-maker.events");
        assert_eq!(topology.dead_letter_queue, "t42.bet-maker.events.dlq");
    }

    #[test]
    fn the_queue_dead_letters_through_the_default_exchange_to_its_dlq() {
        let topology = Topology::default();
        assert_eq!(
            topology.queue_arguments(),
            [
                ("x-dead-letter-exchange", ""),
                ("x-dead-letter-routing-key", "bet-maker.events.dlq")
            ]
        );
    }
}
