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
/// Queue argument naming the queue's type.
pub const ARG_QUEUE_TYPE: &str = "x-queue-type";
/// Queue argument: how often a message may be handed back to the queue (its consumer died
/// holding it) before it is dead-lettered.
pub const ARG_DELIVERY_LIMIT: &str = "x-delivery-limit";
/// Queue argument: how dead letters are moved.
pub const ARG_DEAD_LETTER_STRATEGY: &str = "x-dead-letter-strategy";
/// Queue argument: what a full queue does with a new message.
pub const ARG_OVERFLOW: &str = "x-overflow";

/// Both queues are quorum queues: replicated over the nodes of a cluster by Raft, a message
/// confirmed to line-provider is on a majority of them.
pub const QUEUE_TYPE: &str = QueueType::Quorum.as_str();

/// The type of bet-maker's two queues (`AMQP_QUEUE_TYPE` of both services).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum QueueType {
    /// Quorum queues, the contract's: replicated, with a delivery limit, dead letters moved at
    /// least once.
    #[default]
    Quorum,
    /// Classic queues as versions before quorum queues declared them: on one node, dead letters
    /// moved at most once. For a broker that runs no quorum queues, and for comparison.
    Classic,
}

impl QueueType {
    /// The name the variable takes.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Quorum => "quorum",
            Self::Classic => "classic",
        }
    }
}

impl std::str::FromStr for QueueType {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "quorum" => Ok(Self::Quorum),
            "classic" => Ok(Self::Classic),
            other => Err(format!("{other:?}, neither quorum nor classic")),
        }
    }
}

/// A message whose consumer dies holding it this many times (a message that crashes bet-maker,
/// say) is dead-lettered instead of delivered for ever. RabbitMQ 4's default, stated so that
/// RabbitMQ 3.x behaves the same; a lost node or connection also counts as a return, so the
/// limit is far above what failovers add.
pub const DELIVERY_LIMIT: i64 = 20;
/// Dead letters are moved with publisher confirms between the queues: a message leaves
/// bet-maker's queue only once its dead-letter queue holds it. (RabbitMQ's default,
/// `at-most-once`, drops a dead letter that its target did not take.)
pub const DEAD_LETTER_STRATEGY: &str = "at-least-once";
/// `at-least-once` needs a queue that refuses new messages rather than drop its oldest when it
/// is full (no length limit is set; this only keeps the strategy valid).
pub const OVERFLOW: &str = "reject-publish";

/// The value of a queue argument: RabbitMQ compares declarations by value and type, so a
/// number stays a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgumentValue<'a> {
    /// A string (`longstr`).
    Text(&'a str),
    /// An integer (`long`).
    Integer(i64),
}

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

#[cfg(feature = "declare")]
mod declare {
    use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
    use lapin::types::{AMQPValue, FieldTable};
    use lapin::{Channel, ExchangeKind};

    use super::{ArgumentValue, BINDING_KEY, Topology};

    impl Topology {
        /// Declares the exchange, bet-maker's queue, its dead-letter queue and the binding on
        /// `channel`.
        ///
        /// Every option is spelled out: a second declaration with other options is refused by
        /// RabbitMQ (`PRECONDITION_FAILED`, which closes the channel), so this one function
        /// serves both services (and matches the broker's definitions file,
        /// `docker/rabbitmq/definitions.json`).
        pub async fn declare(&self, channel: &Channel) -> lapin::Result<()> {
            self.declare_exchange(channel).await?;
            declare_queue(
                channel,
                &self.dead_letter_queue,
                &self.dead_letter_queue_arguments(),
            )
            .await?;
            declare_queue(channel, &self.queue, &self.queue_arguments()).await?;
            self.bind(channel, &self.queue).await
        }

        /// Declares the topic exchange.
        pub async fn declare_exchange(&self, channel: &Channel) -> lapin::Result<()> {
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
                .await
        }

        /// Binds `queue` to the exchange as bet-maker's queue is bound, with [`BINDING_KEY`].
        pub async fn bind(&self, channel: &Channel, queue: &str) -> lapin::Result<()> {
            channel
                .queue_bind(
                    queue.into(),
                    self.exchange.as_str().into(),
                    BINDING_KEY.into(),
                    QueueBindOptions { nowait: false },
                    FieldTable::default(),
                )
                .await
        }

        /// Removes the binding [`Topology::bind`] made.
        pub async fn unbind(&self, channel: &Channel, queue: &str) -> lapin::Result<()> {
            channel
                .queue_unbind(
                    queue.into(),
                    self.exchange.as_str().into(),
                    BINDING_KEY.into(),
                    FieldTable::default(),
                )
                .await
        }
    }

    /// Declares the durable queue `name` with `arguments`.
    pub async fn declare_queue(
        channel: &Channel,
        name: &str,
        arguments: &[(&str, ArgumentValue<'_>)],
    ) -> lapin::Result<()> {
        channel
            .queue_declare(name.into(), durable_queue(), field_table(arguments))
            .await
            .map(drop)
    }

    /// `arguments` as AMQP wants them.
    pub fn field_table(arguments: &[(&str, ArgumentValue<'_>)]) -> FieldTable {
        let mut table = FieldTable::default();
        for (key, value) in arguments {
            let value = match value {
                ArgumentValue::Text(text) => AMQPValue::LongString((*text).into()),
                ArgumentValue::Integer(number) => AMQPValue::LongLongInt(*number),
            };
            table.insert((*key).into(), value);
        }
        table
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

#[cfg(feature = "declare")]
pub use declare::{declare_queue, field_table};

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
    fn the_queue_is_a_quorum_queue_that_dead_letters_at_least_once_to_its_dlq() {
        let topology = Topology::default();
        assert_eq!(
            topology.queue_arguments(),
            [
                ("x-queue-type", ArgumentValue::Text("quorum")),
                ("x-delivery-limit", ArgumentValue::Integer(20)),
                ("x-dead-letter-exchange", ArgumentValue::Text("")),
                (
                    "x-dead-letter-routing-key",
                    ArgumentValue::Text("bet-maker.events.dlq")
                ),
                (
                    "x-dead-letter-strategy",
                    ArgumentValue::Text("at-least-once")
                ),
                ("x-overflow", ArgumentValue::Text("reject-publish")),
            ]
        );
        assert_eq!(
            topology.dead_letter_queue_arguments(),
            [("x-queue-type", ArgumentValue::Text("quorum"))]
        );
    }

    #[test]
    fn classic_queues_are_declared_as_before_quorum_queues() {
        let topology = Topology::default().with_queue_type(QueueType::Classic);
        assert_eq!(
            topology.queue_arguments(),
            [
                ("x-dead-letter-exchange", ArgumentValue::Text("")),
                (
                    "x-dead-letter-routing-key",
                    ArgumentValue::Text("bet-maker.events.dlq")
                ),
            ]
        );
        assert!(topology.dead_letter_queue_arguments().is_empty());
        assert_eq!("classic".parse(), Ok(QueueType::Classic));
        assert_eq!("quorum".parse(), Ok(QueueType::Quorum));
        assert!("mirrored".parse::<QueueType>().is_err());
    }
}
