//! Messages from line-provider: applied in any order, any number of times, and poison
//! dead-lettered without stopping the consumer.

use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable};
use serde_json::Value;
use shared_messages::{EventChange, EventStatus};
use time::OffsetDateTime;

use std::time::{Duration, Instant};

use bet_maker::open_events::MAX_AGE;

use crate::helpers::{Options, event, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_created_event_appears_among_the_open_events() {
    let app = spawn_app().await;

    app.publish(
        EventChange::Created,
        &event("e1", 1, EventStatus::New, "1.85"),
    )
    .await;

    app.wait_for_open_event("e1").await;
    let events = app.get_json("/events").await;
    let text = serde_json::to_string(&events).unwrap();
    assert!(text.contains(r#""coefficient":1.85"#), "{text}");
    assert_eq!(events[0]["status"], "new");
    assert_eq!(
        events[0].as_object().unwrap().len(),
        4,
        "id, coefficient, deadline, status"
    );
}

#[tokio::test]
async fn open_events_are_listed_soonest_deadline_first_without_closed_ones() {
    let app = spawn_app().await;
    let now = OffsetDateTime::now_utc();
    for (id, hours) in [("later", 48), ("sooner", 2), ("past", -1)] {
        let mut snapshot = event(id, 1, EventStatus::New, "2.00");
        snapshot.deadline = now + time::Duration::hours(hours);
        app.publish(EventChange::Created, &snapshot).await;
    }
    app.publish(
        EventChange::Finished,
        &event("done", 2, EventStatus::FinishedWin, "2.00"),
    )
    .await;
    app.wait_for_metric("bet_maker_messages_applied_total", 4.0)
        .await;

    assert_eq!(app.open_event_ids().await, ["sooner", "later"]);
}

#[tokio::test]
async fn messages_applied_in_order_leave_the_newest_version() {
    let app = spawn_app().await;
    app.publish(
        EventChange::Created,
        &event("e1", 1, EventStatus::New, "1.50"),
    )
    .await;
    app.publish(
        EventChange::Updated,
        &event("e1", 2, EventStatus::New, "1.75"),
    )
    .await;

    app.wait_for_metric("bet_maker_messages_applied_total", 2.0)
        .await;

    let events = app.get_json("/events").await;
    assert_eq!(events[0]["coefficient"].to_string(), "1.75");
}

#[tokio::test]
async fn an_older_version_arriving_late_changes_nothing() {
    let app = spawn_app().await;
    app.publish(
        EventChange::Updated,
        &event("e1", 2, EventStatus::New, "1.75"),
    )
    .await;
    app.publish(
        EventChange::Created,
        &event("e1", 1, EventStatus::New, "1.50"),
    )
    .await;

    app.wait_for_metric("bet_maker_messages_stale_total", 1.0)
        .await;

    let events = app.get_json("/events").await;
    assert_eq!(events[0]["coefficient"].to_string(), "1.75");
    assert_eq!(
        app.metric("bet_maker_messages_applied_total").await,
        Some(1.0)
    );
}

#[tokio::test]
async fn a_duplicate_message_is_applied_once() {
    let app = spawn_app().await;
    let snapshot = event("e1", 1, EventStatus::New, "1.50");
    app.publish(EventChange::Created, &snapshot).await;
    app.publish(EventChange::Created, &snapshot).await;

    app.wait_for_metric("bet_maker_messages_stale_total", 1.0)
        .await;

    assert_eq!(
        app.metric("bet_maker_messages_applied_total").await,
        Some(1.0)
    );
    assert_eq!(app.open_event_ids().await, ["e1"]);
}

#[tokio::test]
async fn a_finished_event_stays_finished_whatever_arrives_after() {
    let app = spawn_app().await;
    app.open_event("e1", "1.50").await;
    app.publish(
        EventChange::Finished,
        &event("e1", 3, EventStatus::FinishedWin, "1.50"),
    )
    .await;
    app.wait_until("e1 is closed", || async {
        app.open_event_ids().await.is_empty()
    })
    .await;

    app.publish(
        EventChange::Updated,
        &event("e1", 2, EventStatus::New, "9.99"),
    )
    .await;
    app.publish(
        EventChange::Updated,
        &event("e1", 4, EventStatus::New, "9.99"),
    )
    .await;

    app.wait_for_metric("bet_maker_messages_stale_total", 2.0)
        .await;
    assert!(app.open_event_ids().await.is_empty());
}

#[tokio::test]
async fn a_version_from_the_future_for_an_unknown_event_is_applied() {
    let app = spawn_app().await;

    app.publish(
        EventChange::Updated,
        &event("fresh", 17, EventStatus::New, "3.00"),
    )
    .await;

    app.wait_for_open_event("fresh").await;
}

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
    future_schema.insert("schema-version".into(), AMQPValue::LongUInt(2));
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

#[tokio::test]
async fn the_replica_that_applied_a_change_lists_it_at_once() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    assert_eq!(
        app.open_event_ids().await,
        ["e1"],
        "the list is in memory now"
    );

    app.publish(
        EventChange::Created,
        &event("e2", 1, EventStatus::New, "1.50"),
    )
    .await;
    app.wait_for_metric("bet_maker_messages_applied_total", 2.0)
        .await;
    // No waiting: the consumer invalidated the list before it counted the message.
    assert_eq!(app.open_event_ids().await, ["e1", "e2"]);

    app.publish(
        EventChange::Finished,
        &event("e1", 2, EventStatus::FinishedLose, "2.00"),
    )
    .await;
    app.wait_for_metric("bet_maker_messages_applied_total", 3.0)
        .await;
    assert_eq!(app.open_event_ids().await, ["e2"]);
}

#[tokio::test]
async fn an_event_leaves_the_open_events_when_its_deadline_passes_without_any_message() {
    let app = spawn_app().await;
    app.open_event("later", "2.00").await;
    let mut soon = event("soon", 1, EventStatus::New, "1.50");
    soon.deadline = OffsetDateTime::now_utc() + time::Duration::seconds(2);
    app.publish(EventChange::Created, &soon).await;
    app.wait_for_open_event("soon").await;
    // Read the list 100 ms before the deadline: a body that only expired after MAX_AGE would
    // still be served at the deadline.
    let until = |offset_ms: i64| {
        (soon.deadline + time::Duration::milliseconds(offset_ms) - OffsetDateTime::now_utc())
            .unsigned_abs()
    };
    tokio::time::sleep(until(-100)).await;
    assert_eq!(app.open_event_ids().await, ["soon", "later"]);

    tokio::time::sleep(until(20)).await;
    // At the deadline, not up to MAX_AGE later.
    assert_eq!(app.open_event_ids().await, ["later"]);
}

#[tokio::test]
async fn a_change_applied_by_another_replica_shows_within_the_lists_maximum_age() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    assert_eq!(
        app.open_event_ids().await,
        ["e1"],
        "the list is in memory now"
    );

    // Replicas share the queue: another one applies this change, unseen by this consumer.
    app.app_sql(
        "INSERT INTO events (id, coefficient, deadline, status, version)
         VALUES ('e2', 1.50, now() + interval '1 day', 'new', 1)",
    )
    .await;
    let started = Instant::now();
    app.wait_for_open_event("e2").await;
    assert!(
        started.elapsed() < MAX_AGE + Duration::from_millis(500),
        "listed after {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_backlog_with_a_large_settlement_is_applied_in_batches() {
    let app = spawn_app_with(Options {
        broker_proxy: true,
        ..Options::default()
    })
    .await;
    let small: Vec<String> = (0..40).map(|n| format!("e{n}")).collect();
    for id in &small {
        app.publish(
            EventChange::Created,
            &event(id, 1, EventStatus::New, "2.00"),
        )
        .await;
    }
    app.open_event("big", "3.00").await;
    // Written as POST /bet writes them, tally included, only faster.
    let bets = 20_000;
    app.app_sql(&format!(
        "INSERT INTO bets (id, event_id, amount, coefficient)
         SELECT gen_random_uuid(), 'big', 1.00, 3.00 FROM generate_series(1, {bets});
         INSERT INTO event_tallies (event_id, stripe, bets) VALUES ('big', 0, {bets})"
    ))
    .await;
    app.wait_for_metric("bet_maker_messages_applied_total", 41.0)
        .await;

    app.broker_proxy.as_ref().unwrap().cut();
    app.wait_for_metric("bet_maker_broker_connected", 0.0).await;
    let transactions_before = app
        .metric("bet_maker_consumer_batch_messages_count")
        .await
        .unwrap();
    for id in &small {
        app.publish(
            EventChange::Updated,
            &event(id, 2, EventStatus::New, "2.50"),
        )
        .await;
    }
    app.publish(
        EventChange::Finished,
        &event("big", 2, EventStatus::FinishedWin, "3.00"),
    )
    .await;
    for id in &small {
        app.publish(
            EventChange::Finished,
            &event(id, 3, EventStatus::FinishedLose, "2.50"),
        )
        .await;
    }
    app.broker_proxy.as_ref().unwrap().restore();
    app.wait_for_metric("bet_maker_messages_applied_total", 41.0 + 81.0)
        .await;

    assert_eq!(
        app.sql_count(
            "SELECT count(*) FROM bets b JOIN events e ON e.id = b.event_id
             WHERE b.event_id = 'big' AND e.status = 'finished_win' AND e.settled_at IS NOT NULL"
        )
        .await,
        bets
    );
    assert_eq!(
        app.metric(r#"bet_maker_bets_settled_total{outcome="won"}"#)
            .await,
        Some(bets as f64)
    );
    assert_eq!(
        app.sql_count(
            "SELECT count(*) FROM events WHERE version = 3 AND status = 'finished_lose' AND coefficient = 2.50"
        )
        .await,
        40
    );
    let transactions = app
        .metric("bet_maker_consumer_batch_messages_count")
        .await
        .unwrap()
        - transactions_before;
    assert!(
        transactions < 81.0,
        "81 messages took {transactions} transactions"
    );
    assert_eq!(
        app.metric("bet_maker_messages_dead_lettered_total").await,
        Some(0.0)
    );
}
