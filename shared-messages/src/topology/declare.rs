//! The declaration of the topology: the lapin calls, with every option spelled out.
//!
//! It lives here, beside the names and arguments it declares, and nowhere else: both services
//! run [`Topology::declare`] on every connection, and bet-maker's move of its queues (the one
//! service that changes a queue declared otherwise) declares with the calls below. A second
//! declaration with other options is refused by RabbitMQ (`PRECONDITION_FAILED`, which closes
//! the channel), so one declaration for everyone is what keeps the services, the tests and the
//! broker's definitions file (`docker/rabbitmq/definitions.json`) from drifting apart.
//!
//! Nothing here bounds how long the broker takes: a service bounds each call as it bounds its
//! other broker operations.

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::protocol::{AMQPErrorKind, AMQPSoftError};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, Connection, ErrorKind, ExchangeKind};

use super::arguments::ArgumentValue;
use super::names::{BINDING_KEY, Topology};

/// What [`Topology::declare`] found: the queues that exist declared otherwise.
#[must_use = "a queue declared otherwise is left as it is"]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Declared {
    /// The queues that exist with other arguments (an older version's classic queues, or
    /// quorum queues while the service is told to use classic ones), left as they are: a
    /// queue's type cannot change in place.
    pub otherwise: Vec<String>,
}

impl Declared {
    /// Whether every queue is declared as asked.
    pub fn as_asked(&self) -> bool {
        self.otherwise.is_empty()
    }
}

impl Topology {
    /// Declares the exchange, bet-maker's queue, its dead-letter queue and the binding on
    /// `connection`, each on a channel of its own: a queue declared otherwise is refused on its
    /// channel only, reported in [`Declared`] and left as it is.
    ///
    /// bet-maker's queue is bound only when it is declared as asked. Declared otherwise, it
    /// stays as it is, bound or not: bet-maker's move unbinds it once its holding queue is
    /// bound, and binding it again would keep the move copying for as long as messages come.
    /// Meanwhile line-provider's messages reach whichever of the two is bound.
    pub async fn declare(&self, connection: &Connection) -> lapin::Result<Declared> {
        let channel = connection.create_channel().await?;
        // The exchange is line-provider's own: a refusal of it is an error for both services.
        self.declare_exchange(&channel).await?;
        close(&channel).await;
        let queues = [
            (&self.dead_letter_queue, self.dead_letter_queue_arguments()),
            (&self.queue, self.queue_arguments()),
        ];
        let mut declared = Declared::default();
        for (queue, arguments) in &queues {
            if !declared_as(connection, queue, arguments).await? {
                declared.otherwise.push((*queue).clone());
            }
        }
        if !declared.otherwise.contains(&self.queue) {
            let channel = connection.create_channel().await?;
            self.bind(&channel, &self.queue).await?;
            close(&channel).await;
        }
        Ok(declared)
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

/// Whether `queue` is declared with `arguments`, declaring it on a channel of its own (so it
/// is, when it did not exist); `false` when it exists declared otherwise.
pub async fn declared_as(
    connection: &Connection,
    queue: &str,
    arguments: &[(&str, ArgumentValue<'_>)],
) -> lapin::Result<bool> {
    let channel = connection.create_channel().await?;
    match declare_queue(&channel, queue, arguments).await {
        Ok(()) => {
            close(&channel).await;
            Ok(true)
        }
        Err(error) if refused_as_declared_otherwise(&error) => Ok(false),
        Err(error) => Err(error),
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

/// Whether the broker refused a declaration because the queue exists with other arguments.
fn refused_as_declared_otherwise(error: &lapin::Error) -> bool {
    matches!(error.kind(), ErrorKind::ProtocolError(amqp)
        if *amqp.kind() == AMQPErrorKind::Soft(AMQPSoftError::PRECONDITIONFAILED))
}

/// Closes a channel that did its one declaration; a failure to close changes nothing declared.
async fn close(channel: &Channel) {
    let _ = channel.close(200, "done".into()).await;
}
