//! The open events `GET /events` lists from memory: current at once on the replica that applied
//! a change, closed at each deadline without any message, and current within the list's maximum
//! age of a change another replica applied.

use std::time::{Duration, Instant};

use bet_maker::open_events::MAX_AGE;
use shared_messages::{EventChange, EventStatus};
use time::OffsetDateTime;

use crate::helpers::{event, spawn_app};

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
