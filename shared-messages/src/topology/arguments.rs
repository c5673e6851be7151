//! What bet-maker's two queues may be declared with: their type, the arguments' names and
//! values.

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
