//! The RabbitMQ side: connecting and declaring the topology bet-maker consumes from.

use lapin::options::{
    BasicQosOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::uri::AMQPUri;
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
    let connection = Connection::connect_uri(with_small_frames(url)?, properties).await?;
    let channel = connection.create_channel().await?;
    channel
        .basic_qos(prefetch, BasicQosOptions { global: false })
        .await?;
    declare_topology(&channel, topology).await?;
    Ok((connection, channel))
}

/// The largest frame this service asks for. lapin keeps a buffer of 32 frames each
/// way per connection, sized by the negotiated `frame_max`: RabbitMQ's default (128 KiB) costs
/// 8 MiB of resident memory per connection, for messages that are well under 1 KiB. Larger
/// messages still work (they are split into frames). A `frame_max` in the URL's query wins.
const FRAME_MAX: u32 = 16 * 1024;

/// `url` parsed, with [`FRAME_MAX`] unless it sets its own `frame_max`.
fn with_small_frames(url: &str) -> lapin::Result<AMQPUri> {
    let mut uri: AMQPUri = url
        .parse()
        .map_err(|error: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, error))?;
    uri.query.frame_max.get_or_insert(FRAME_MAX);
    Ok(uri)
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
