//! Cancellation: every bet of a cancelled event is void at once, the event is no longer open,
//! and the messages of the second schema are read.

use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable};
use serde_json::json;
use shared_messages::{EventChange, EventStatus};

use crate::helpers::{assert_problem, event, spawn_app};
use crate::settlement::bets_race_the_end_of_their_event;

#[tokio::test]
async fn bets_on_a_cancelled_event_are_void_and_it_takes_no_more() {
    let app = spawn_app().await;
    app.open_event("called-off", "2.00").await;
    app.open_event("other", "2.00").await;
    let voided = [
        app.place("called-off", "1").await,
        app.place("called-off", "2.50").await,
    ];
    let waiting = app.place("other", "3").await;

    let mut cancelled = event("called-off", 2, EventStatus::Cancelled, "2.00");
    cancelled.reason = Some("abandoned".to_owned());
    app.publish(EventChange::Cancelled, &cancelled).await;
    app.wait_for_metric(r#"bet_maker_bets_settled_total{outcome="void"}"#, 2.0)
        .await;

    for bet in &voided {
        let now = app
            .get_json(&format!("/bets/{}", bet["id"].as_str().unwrap()))
            .await;
        assert_eq!(now["status"], "void");
        assert_eq!(now["amount"], bet["amount"], "the stake as placed");
        assert!(now["settled_at"].as_str().unwrap().ends_with('Z'));
    }
    let listed = app.get_json("/bets?status=void").await;
    let mut listed = test_support::ids(&listed);
    listed.sort();
    let mut expected: Vec<String> = voided
        .iter()
        .map(|bet| bet["id"].as_str().unwrap().to_owned())
        .collect();
    expected.sort();
    assert_eq!(listed, expected);
    let other = app
        .get_json(&format!("/bets/{}", waiting["id"].as_str().unwrap()))
        .await;
    assert_eq!(other["status"], "pending");
    assert_eq!(app.open_event_ids().await, ["other"]);
    let refused = app
        .bet(json!({ "event_id": "called-off", "amount": 1 }))
        .await;
    let problem = assert_problem(refused, 409).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("cancelled"),
        "{problem}"
    );
}

#[tokio::test]
async fn a_late_or_repeated_message_does_not_revive_a_cancelled_event() {
    let app = spawn_app().await;
    let opened = app.open_event("e1", "2.00").await;
    let bet = app.place("e1", "1").await;
    let cancelled = event("e1", 2, EventStatus::Cancelled, "2.00");
    app.publish(EventChange::Cancelled, &cancelled).await;
    app.wait_for_metric(r#"bet_maker_bets_settled_total{outcome="void"}"#, 1.0)
        .await;
    let settled = app
        .get_json(&format!("/bets/{}", bet["id"].as_str().unwrap()))
        .await;

    app.publish(EventChange::Cancelled, &cancelled).await;
    app.publish(EventChange::Created, &opened).await;
    app.wait_for_metric("bet_maker_messages_stale_total", 2.0)
        .await;

    let again = app
        .get_json(&format!("/bets/{}", bet["id"].as_str().unwrap()))
        .await;
    assert_eq!(again, settled, "still void, settled_at unchanged");
    assert!(app.open_event_ids().await.is_empty());
}

#[tokio::test]
async fn bets_racing_the_cancellation_are_either_refused_or_void() {
    bets_race_the_end_of_their_event(EventChange::Cancelled, EventStatus::Cancelled, "void").await;
}

#[tokio::test]
async fn a_cancellation_whose_routing_key_disagrees_with_its_status_is_dead_lettered() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    let mut headers = FieldTable::default();
    headers.insert("schema-version".into(), AMQPValue::LongUInt(2));
    let body = serde_json::to_vec(&json!({
        "message_id": uuid::Uuid::now_v7(),
        "occurred_at": "2026-11-24T12:00:00Z",
        "event": serde_json::to_value(event("e1", 2, EventStatus::FinishedWin, "2.00")).unwrap(),
    }))
    .unwrap();

    app.publish_raw(
        "event.cancelled",
        &body,
        BasicProperties::default().with_headers(headers),
    )
    .await;

    app.wait_for_metric("bet_maker_messages_dead_lettered_total", 1.0)
        .await;
    assert_eq!(app.open_event_ids().await, ["e1"]);
}
