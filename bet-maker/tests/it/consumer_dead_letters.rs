//! Poison messages and messages outside the contract: dead-lettered without stopping the
//! consumer.

use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable};
use serde_json::Value;
use shared_messages::{EventChange, EventStatus};

use crate::helpers::{event, spawn_app};

#[tokio::test]
async fn a_poison_message_is_dead_lettered_and_the_next_one_still_applied() {
    let app = spawn_app().await;
    let properties = BasicProperties::default().with_message_id("poison-1".into());

    app.publish_raw("event.created", b"{not json", properties)
        .await;
    app.publish(
        EventChange::Created,
        &event("after", 1, EventStatus::New, "1.10"),
    )
    .await;

    app.wait_for_open_event("after").await;
    let dead = app.next_dead_letter().await;
    assert_eq!(dead.delivery.data, b"{not json");
    assert_eq!(
        dead.delivery
            .properties
            .message_id()
            .as_ref()
            .unwrap()
            .as_str(),
        "poison-1"
    );
    assert_eq!(
        app.metric("bet_maker_messages_dead_lettered_total").await,
        Some(1.0)
    );
}

#[tokio::test]
async fn messages_outside_the_contract_are_dead_lettered() {
    let app = spawn_app().await;
    let valid = serde_json::to_vec(&serde_json::json!({
        "message_id": uuid::Uuid::now_v7(),
        "occurred_at": "2026-11-24T12:00:00Z",
        "event": serde_json::to_value(event("x", 1, EventStatus::New, "1.50")).unwrap(),
    }))
    .unwrap();
    let mut future_schema = FieldTable::default();
    future_schema.insert(
        "schema-version".into(),
        AMQPValue::LongUInt(shared_messages::SCHEMA_VERSION + 1),
    );
    let cases: Vec<(&str, Vec<u8>, BasicProperties)> = vec![
        (
            "event.created",
            valid.clone(),
            BasicProperties::default().with_headers(future_schema),
        ),
        ("event.deleted", valid.clone(), BasicProperties::default()),
        ("event.finished", valid.clone(), BasicProperties::default()),
        (
            "event.created",
            valid.clone(),
            BasicProperties::default().with_content_type("text/plain".into()),
        ),
        (
            "event.created",
            br#"{"message_id": "nope"}"#.to_vec(),
            BasicProperties::default(),
        ),
        (
            "event.created",
            serde_json::to_vec(&bad_coefficient()).unwrap(),
            BasicProperties::default(),
        ),
    ];
    let count = cases.len();
    for (key, body, properties) in cases {
        app.publish_raw(key, &body, properties).await;
    }

    app.wait_for_metric("bet_maker_messages_dead_lettered_total", count as f64)
        .await;
    for _ in 0..count {
        app.next_dead_letter().await;
    }
    assert!(
        app.open_event_ids().await.is_empty(),
        "none of them was applied"
    );
}

fn bad_coefficient() -> Value {
    let mut message = serde_json::json!({
        "message_id": uuid::Uuid::now_v7(),
        "occurred_at": "2026-11-24T12:00:00Z",
        "event": serde_json::to_value(event("y", 1, EventStatus::New, "1.50")).unwrap(),
    });
    message["event"]["coefficient"] = serde_json::json!(-1);
    message
}
