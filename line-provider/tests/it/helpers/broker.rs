//! The probe: a private queue bound to the test's exchange with every key, and what a test reads
//! from it.

use std::time::Duration;

use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Connection, ConnectionProperties, Consumer, ExchangeKind};
use serde_json::Value;
use shared_messages::Topology;

use super::{TestApp, WAIT, amqp_url};

/// Declares the test's exchange (as the app will) and a private queue bound to every key.
pub(super) async fn probe(topology: &Topology) -> (Connection, Consumer) {
    let connection = Connection::connect(&amqp_url(), ConnectionProperties::default())
        .await
        .expect("the broker is reachable");
    let channel = connection.create_channel().await.expect("channel");
    channel
        .exchange_declare(
            topology.exchange.as_str().into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .expect("exchange");
    let queue = channel
        .queue_declare(
            "".into(),
            QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .expect("probe queue");
    channel
        .queue_bind(
            queue.name().clone(),
            topology.exchange.as_str().into(),
            "#".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("probe binding");
    let consumer = channel
        .basic_consume(
            queue.name().clone(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("probe consumer");
    (connection, consumer)
}

impl TestApp {
    /// Cuts the proxy between the app and the broker and waits until readiness reports it.
    pub async fn cut_broker(&self) {
        self.proxy
            .as_ref()
            .expect("the app was started with a broker proxy")
            .cut();
        self.wait_for_status("/health/ready", 503).await;
    }

    /// The next message on the exchange, acknowledged; panics after [`WAIT`].
    pub async fn next_message(&mut self) -> Delivery {
        let delivery = tokio::time::timeout(WAIT, self.probe.next())
            .await
            .expect("a message arrives in time")
            .expect("the probe consumer is open")
            .expect("a delivery");
        delivery.ack(BasicAckOptions::default()).await.expect("ack");
        delivery
    }

    /// Asserts nothing arrives on the exchange during `period`.
    pub async fn assert_no_message_for(&mut self, period: Duration) {
        if let Ok(Some(delivery)) = tokio::time::timeout(period, self.probe.next()).await {
            let delivery = delivery.expect("a delivery");
            panic!(
                "unexpected message: {}",
                String::from_utf8_lossy(&delivery.data)
            );
        }
    }
}

/// The JSON body of a delivery.
pub fn body_of(delivery: &Delivery) -> Value {
    serde_json::from_slice(&delivery.data).expect("the message body is JSON")
}

/// An event as served, as its message carries it: the same members, but `reason` and the
/// limits only when set (a consumer of the first schema never sees those members).
pub fn as_published(served: &Value) -> Value {
    let mut event = served.clone();
    if let Some(members) = event.as_object_mut() {
        for member in ["reason", "min_stake", "max_stake", "max_liability"] {
            if members.get(member).is_some_and(Value::is_null) {
                members.remove(member);
            }
        }
    }
    event
}

/// The `schema-version` header of a delivery, when it has one.
pub fn schema_version(delivery: &Delivery) -> Option<u32> {
    let headers = delivery.properties.headers().as_ref()?;
    match headers.inner().get("schema-version")? {
        AMQPValue::LongUInt(version) => Some(*version),
        other => panic!("schema-version is {other:?}"),
    }
}
