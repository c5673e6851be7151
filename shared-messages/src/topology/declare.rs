//! The declaration of the topology: the lapin calls, with every option spelled out.

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, ExchangeKind};

use super::arguments::ArgumentValue;
use super::names::{BINDING_KEY, Topology};

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
