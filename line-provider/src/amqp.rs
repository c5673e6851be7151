//! The RabbitMQ side: connecting, declaring the topology, publishing one outbox message.

use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::uri::AMQPUri;
use lapin::{
    BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind, PublisherConfirm,
};
use shared_messages::topology::{APP_ID, BINDING_KEY, CONTENT_TYPE, DELIVERY_MODE_PERSISTENT};
use shared_messages::{SCHEMA_VERSION, SCHEMA_VERSION_HEADER, Topology};

use crate::db::OutboxMessage;

/// Opens a connection named `line-provider` (as shown in the management UI) and a channel in
/// publisher-confirm mode, and declares the whole topology on it.
pub async fn connect(url: &str, topology: &Topology) -> lapin::Result<(Connection, Channel)> {
    let properties = ConnectionProperties::default().with_connection_name(APP_ID.into());
    let connection = Connection::connect_uri(with_small_frames(url)?, properties).await?;
    let channel = connection.create_channel().await?;
    channel
        .confirm_select(ConfirmSelectOptions { nowait: false })
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

/// Declares the exchange, bet-maker's queue, its dead-letter queue and the binding, so that
/// messages published before bet-maker ever ran wait in its queue instead of being dropped.
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

/// Publishes one outbox message, persistent and `mandatory` (an unroutable message comes
/// back instead of vanishing). The returned future resolves with the broker's confirm.
pub async fn publish(
    channel: &Channel,
    exchange: &str,
    message: &OutboxMessage,
) -> lapin::Result<PublisherConfirm> {
    channel
        .basic_publish(
            exchange.into(),
            message.routing_key.as_str().into(),
            BasicPublishOptions {
                mandatory: true,
                immediate: false,
            },
            message.body.as_bytes(),
            properties(message),
        )
        .await
}

/// The AMQP properties of the contract: persistent JSON, `type` = routing key, the message's
/// id, `app_id`, the time of the change and the schema version.
fn properties(message: &OutboxMessage) -> BasicProperties {
    let mut headers = FieldTable::default();
    headers.insert(
        SCHEMA_VERSION_HEADER.into(),
        AMQPValue::LongUInt(SCHEMA_VERSION),
    );
    headers.insert(
        "event-id".into(),
        AMQPValue::LongString(message.event_id.as_str().into()),
    );
    let timestamp = u64::try_from(message.occurred_at.unix_timestamp()).unwrap_or_default();
    BasicProperties::default()
        .with_delivery_mode(DELIVERY_MODE_PERSISTENT)
        .with_content_type(CONTENT_TYPE.into())
        .with_type(ShortString::from(message.routing_key.as_str()))
        .with_message_id(message.message_id.to_string().into())
        .with_app_id(APP_ID.into())
        .with_timestamp(timestamp)
        .with_headers(headers)
}
