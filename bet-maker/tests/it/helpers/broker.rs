//! The broker's side of a `TestApp`: events published as line-provider publishes them, and what
//! reaches the app's queue and dead-letter queue.

use std::time::Duration;

use lapin::BasicProperties;
use lapin::options::{BasicGetOptions, BasicPublishOptions};
use lapin::types::{AMQPValue, FieldTable};
use rust_decimal::Decimal;
use shared_messages::{EventChange, EventId, EventMessage, EventSnapshot, EventStatus};
use time::OffsetDateTime;

use super::{TestApp, WAIT};

/// An event as line-provider would publish it.
pub fn event(id: &str, version: u64, status: EventStatus, coefficient: &str) -> EventSnapshot {
    EventSnapshot {
        id: EventId::parse(id).unwrap(),
        coefficient: coefficient.parse::<Decimal>().unwrap(),
        deadline: OffsetDateTime::now_utc() + time::Duration::days(1),
        status,
        version,
        created_at: OffsetDateTime::now_utc(),
        updated_at: OffsetDateTime::now_utc(),
        reason: None,
        min_stake: None,
        max_stake: None,
        max_liability: None,
    }
}

/// The body and properties line-provider gives the message of `change` to `snapshot`.
pub fn message(change: EventChange, snapshot: &EventSnapshot) -> (Vec<u8>, BasicProperties) {
    let message = EventMessage {
        message_id: uuid::Uuid::now_v7(),
        occurred_at: snapshot.updated_at,
        event: snapshot.clone(),
    };
    let body = serde_json::to_vec(&message).unwrap();
    let mut headers = FieldTable::default();
    headers.insert(
        "schema-version".into(),
        AMQPValue::LongUInt(change.schema_version_of(snapshot)),
    );
    let properties = BasicProperties::default()
        .with_delivery_mode(2)
        .with_content_type("application/json".into())
        .with_type(change.routing_key().into())
        .with_message_id(message.message_id.to_string().into())
        .with_app_id("line-provider".into())
        .with_headers(headers);
    (body, properties)
}

impl TestApp {
    /// Publishes `snapshot` as line-provider does, reporting `change`.
    pub async fn publish(&self, change: EventChange, snapshot: &EventSnapshot) {
        let (body, properties) = message(change, snapshot);
        self.publish_raw(change.routing_key(), &body, properties)
            .await;
    }

    /// Publishes anything to the exchange.
    pub async fn publish_raw(&self, routing_key: &str, body: &[u8], properties: BasicProperties) {
        self.publisher
            .basic_publish(
                self.topology.exchange.as_str().into(),
                routing_key.into(),
                BasicPublishOptions::default(),
                body,
                properties,
            )
            .await
            .expect("published")
            .await
            .expect("confirmed");
    }

    /// Publishes `created` for a new event one day ahead and waits until it is open for bets.
    pub async fn open_event(&self, id: &str, coefficient: &str) -> EventSnapshot {
        let snapshot = event(id, 1, EventStatus::New, coefficient);
        self.publish(EventChange::Created, &snapshot).await;
        self.wait_for_open_event(id).await;
        snapshot
    }

    /// Publishes `snapshot` (an open event) as `updated` (`created` at version 1) and waits
    /// until `GET /events` shows it at its odds and limits.
    pub async fn publish_open(&self, snapshot: &EventSnapshot) {
        let change = if snapshot.version == 1 {
            EventChange::Created
        } else {
            EventChange::Updated
        };
        self.publish(change, snapshot).await;
        let money = |value: Option<Decimal>| {
            value.map_or(serde_json::Value::Null, |value| {
                serde_json::from_str(&format!("{value:.2}")).unwrap()
            })
        };
        let expected = (
            money(Some(snapshot.coefficient)),
            money(snapshot.min_stake),
            money(snapshot.max_stake),
            money(snapshot.max_liability),
        );
        let id = snapshot.id.as_str();
        self.wait_until(&format!("event {id} is open as published"), || async {
            let events = self.get_json("/events").await;
            events.as_array().unwrap().iter().any(|event| {
                event["id"] == id
                    && (
                        event["coefficient"].clone(),
                        event["min_stake"].clone(),
                        event["max_stake"].clone(),
                        event["max_liability"].clone(),
                    ) == expected
            })
        })
        .await;
    }

    pub async fn wait_for_open_event(&self, id: &str) {
        self.wait_until(&format!("event {id} is open"), || async {
            self.open_event_ids().await.iter().any(|e| e == id)
        })
        .await;
    }

    /// Takes the next message from the dead-letter queue, waiting for it.
    pub async fn next_dead_letter(&self) -> lapin::message::BasicGetMessage {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let got = self
                .publisher
                .basic_get(
                    self.topology.dead_letter_queue.as_str().into(),
                    BasicGetOptions { no_ack: true },
                )
                .await
                .expect("basic.get");
            if let Some(message) = got {
                return message;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "nothing reached the dead-letter queue"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Messages ready in the app's queue (not counting those delivered and unacknowledged).
    pub async fn ready_messages(&self) -> u32 {
        let queue = self
            .publisher
            .queue_declare(
                self.topology.queue.as_str().into(),
                lapin::options::QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .expect("the queue exists");
        queue.message_count()
    }
}
