//! The RabbitMQ side: connecting and declaring the topology bet-maker consumes from.

use lapin::options::{
    BasicQosOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, Connection, ConnectionProperties, ExchangeKind};
use shared_messages::Topology;
use shared_messages::topology::BINDING_KEY;

/// Opens a connection named `bet-maker` (as shown in the management UI) and a channel with
/// `prefetch` unacknowledged deliveries at most, and declares the whole topology on it.
pub async fn connect(
    url: &str,
    topology: &Topology,
    prefetch: u16,
) -> lapin::Result<(Connection, Channel)> {
    let properties = ConnectionProperties::default().with_connection_name("bet-maker".into());
    let connection = Connection::connect(url, properties).await?;
    let channel = connection.create_channel().await?;
    channel
        .basic_qos(prefetch, BasicQosOptions { global: false })
        .await?;
    declare_topology(&channel, topology).await?;
    Ok((connection, channel))
}

/// Declares the exchange, bet-maker's queue, its dead-letter queue and the binding (exactly
/// as line-provider does, whichever starts first).
///
/// Every option is spelled out: the declarations must be identical in both services (and in
/// the broker's definitions file), or RabbitMQ refuses the second one.
pub async fn declare_topology(channel: &Channel, topology: &Topology) -> lapin::Result<()> {
    channel
        .exchange_declare(
            topology.exchange.as_str().into(),
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
            topology.dead_letter_queue.as_str().into(),
            durable_queue(),
            FieldTable::default(),
        )
        .await?;
    let mut arguments = FieldTable::default();
    for (key, value) in topology.queue_arguments() {
        arguments.insert(key.into(), AMQPValue::LongString(value.into()));
    }
    channel
        .queue_declare(topology.queue.as_str().into(), durable_queue(), arguments)
        .await?;
    channel
        .queue_bind(
            topology.queue.as_str().into(),
            topology.exchange.as_str().into(),
            BINDING_KEY.into(),
            QueueBindOptions { nowait: false },
            FieldTable::default(),
        )
        .await?;
    Ok(())
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
