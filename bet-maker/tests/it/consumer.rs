//! Messages from line-provider: applied in any order, any number of times, and a backlog in
//! batches.

use shared_messages::{EventChange, EventStatus};
use time::OffsetDateTime;

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
    let mut members: Vec<&str> = events[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    members.sort_unstable();
    assert_eq!(
        members,
        [
            "coefficient",
            "deadline",
            "id",
            "max_liability",
            "max_stake",
            "min_stake",
            "status"
        ]
    );
    assert_eq!(events[0]["max_liability"], serde_json::Value::Null);
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
