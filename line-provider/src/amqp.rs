//! The RabbitMQ side of the relay: publishing one outbox message with the contract's
//! properties. Connecting and declaring the topology are `service-support`'s and
//! `shared-messages`'s.

use lapin::options::BasicPublishOptions;
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{BasicProperties, Channel, PublisherConfirm};
use shared_messages::SCHEMA_VERSION_HEADER;
use shared_messages::topology::{APP_ID, CONTENT_TYPE, DELIVERY_MODE_PERSISTENT};

use crate::db::OutboxMessage;

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
        AMQPValue::LongUInt(message.schema_version),
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
