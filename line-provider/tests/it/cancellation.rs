//! Cancelling an event: a final status without a result, with the operator's reason, published
//! as `event.cancelled` at schema version 2.

use lapin::types::AMQPValue;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{as_published, assert_problem, body_of, spawn_app};

#[tokio::test]
async fn a_new_event_is_cancelled_with_its_reason_and_the_cancellation_is_published() {
    let mut app = spawn_app().await;
    app.create_event("match-9", "1.85").await;
    app.next_message().await;

    let response = app
        .put_status(
            "match-9",
            json!({ "status": "cancelled", "reason": "abandoned: waterlogged pitch" }),
        )
        .await;

    assert_eq!(response.status(), 200);
    let event: Value = response.json().await.unwrap();
    assert_eq!(event["status"], "cancelled");
    assert_eq!(event["reason"], "abandoned: waterlogged pitch");
    assert_eq!(event["version"], 2);
    let delivery = app.next_message().await;
    assert_eq!(delivery.routing_key.as_str(), "event.cancelled");
    assert_eq!(
        delivery.properties.kind().as_ref().map(|s| s.as_str()),
        Some("event.cancelled")
    );
    let headers = delivery.properties.headers().as_ref().expect("headers");
    assert_eq!(
        headers.inner().get("schema-version"),
        Some(&AMQPValue::LongUInt(2)),
        "a consumer of the first schema must not read a cancellation as anything else"
    );
    assert_eq!(body_of(&delivery)["event"], as_published(&event));
    let stored: Value = app.get("/events/match-9").await.json().await.unwrap();
    assert_eq!(stored, event);
    app.wait_for_metric(
        r#"line_provider_event_changes_total{routing_key="event.cancelled"}"#,
        1.0,
    )
    .await;
}

#[tokio::test]
async fn a_reason_is_optional_and_null_when_none_was_given() {
    let mut app = spawn_app().await;
    app.create_event("e1", "2.00").await;
    app.next_message().await;

    let event: Value = app
        .put_status("e1", json!({ "status": "cancelled" }))
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(event["status"], "cancelled");
    assert_eq!(event["reason"], Value::Null);
    let message = body_of(&app.next_message().await);
    assert!(
        message["event"].get("reason").is_none(),
        "no reason, no member: {message}"
    );
}

#[tokio::test]
async fn a_cancelled_event_is_final_and_cancelling_it_again_changes_nothing() {
    let mut app = spawn_app().await;
    app.create_event("e1", "2.00").await;
    app.next_message().await;
    let cancelled: Value = app
        .put_status(
            "e1",
            json!({ "status": "cancelled", "reason": "postponed" }),
        )
        .await
        .json()
        .await
        .unwrap();
    app.next_message().await;

    let again = app
        .put_status(
            "e1",
            json!({ "status": "cancelled", "reason": "another reason" }),
        )
        .await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap(), cancelled, "a no-op");
    for result in ["finished_win", "finished_lose"] {
        let problem = assert_problem(app.finish_event("e1", result).await, 409).await;
        assert!(
            problem["detail"].as_str().unwrap().contains("correction"),
            "{problem}"
        );
    }
    let frozen = app
        .patch_event("e1", json!({ "coefficient": "3.00" }))
        .await;
    assert_problem(frozen, 409).await;
    app.assert_no_message_for(std::time::Duration::from_millis(800))
        .await;
}

#[tokio::test]
async fn a_finished_event_cannot_be_cancelled() {
    let app = spawn_app().await;
    app.create_event("e1", "2.00").await;
    assert_eq!(app.finish_event("e1", "finished_win").await.status(), 200);

    let problem = assert_problem(
        app.put_status("e1", json!({ "status": "cancelled" })).await,
        409,
    )
    .await;

    assert!(problem["detail"].as_str().unwrap().contains("finished_win"));
}

#[tokio::test]
async fn cancelled_events_are_listed_by_their_status() {
    let app = spawn_app().await;
    for id in ["a", "b", "c"] {
        app.create_event(id, "2.00").await;
    }
    app.put_status("b", json!({ "status": "cancelled" })).await;
    app.finish_event("c", "finished_lose").await;

    let listed: Value = app
        .get("/events?status=cancelled")
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(test_support::ids(&listed), ["b"]);
}

#[tokio::test]
async fn a_bad_reason_is_refused_with_the_field_named() {
    let app = spawn_app().await;
    app.create_event("e1", "2.00").await;
    for reason in [
        json!(""),
        json!("x".repeat(501)),
        json!("nul \u{0}"),
        json!(42),
        json!(null),
    ] {
        let response = app
            .put_status("e1", json!({ "status": "cancelled", "reason": reason }))
            .await;
        let problem = assert_problem(response, 422).await;
        assert_eq!(problem["field"], "reason", "{reason}: {problem}");
    }
    let still: Value = app.get("/events/e1").await.json().await.unwrap();
    assert_eq!(still["status"], "new");
}

#[tokio::test]
async fn republishing_a_cancelled_event_sends_event_cancelled() {
    let mut app = spawn_app().await;
    app.create_event("e1", "2.00").await;
    app.put_status(
        "e1",
        json!({ "status": "cancelled", "reason": "abandoned" }),
    )
    .await;
    app.next_message().await;
    app.next_message().await;

    let response = app
        .admin(Method::POST, "/admin/republish")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 202);
    let delivery = app.next_message().await;
    assert_eq!(delivery.routing_key.as_str(), "event.cancelled");
    assert_eq!(body_of(&delivery)["event"]["reason"], "abandoned");
}
