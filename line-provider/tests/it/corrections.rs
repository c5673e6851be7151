//! Correcting a final status: a new version with the new status and a reason, published as
//! `event.corrected`; and every version of an event in its history.

use lapin::types::AMQPValue;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{as_published, assert_problem, body_of, spawn_app};

impl crate::helpers::TestApp {
    async fn correct(&self, id: &str, body: Value) -> reqwest::Response {
        self.admin(Method::POST, &format!("/events/{id}/corrections"))
            .json(&body)
            .send()
            .await
            .expect("request sent")
    }
}

#[tokio::test]
async fn a_wrong_result_is_corrected_as_a_new_version_and_published() {
    let mut app = spawn_app().await;
    app.create_event("e1", "2.00").await;
    app.finish_event("e1", "finished_win").await;
    app.next_message().await;
    app.next_message().await;

    let response = app
        .correct(
            "e1",
            json!({ "status": "finished_lose", "reason": "entered for the wrong side" }),
        )
        .await;

    assert_eq!(response.status(), 200);
    let event: Value = response.json().await.unwrap();
    assert_eq!(
        (&event["status"], &event["version"], &event["reason"]),
        (
            &json!("finished_lose"),
            &json!(3),
            &json!("entered for the wrong side")
        )
    );
    let delivery = app.next_message().await;
    assert_eq!(delivery.routing_key.as_str(), "event.corrected");
    let headers = delivery.properties.headers().as_ref().expect("headers");
    assert_eq!(
        headers.inner().get("schema-version"),
        Some(&AMQPValue::LongUInt(2))
    );
    assert_eq!(body_of(&delivery)["event"], as_published(&event));
    app.wait_for_metric(
        r#"line_provider_event_changes_total{routing_key="event.corrected"}"#,
        1.0,
    )
    .await;
}

#[tokio::test]
async fn a_cancellation_and_a_result_correct_each_other() {
    let app = spawn_app().await;
    app.create_event("e1", "2.00").await;
    app.put_status("e1", json!({ "status": "cancelled" })).await;

    let won: Value = app
        .correct(
            "e1",
            json!({ "status": "finished_win", "reason": "it was played" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let void: Value = app
        .correct(
            "e1",
            json!({ "status": "cancelled", "reason": "it was not" }),
        )
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(
        (&won["status"], &won["version"]),
        (&json!("finished_win"), &json!(3))
    );
    assert_eq!(
        (&void["status"], &void["version"]),
        (&json!("cancelled"), &json!(4))
    );
}

#[tokio::test]
async fn correcting_to_the_status_it_has_changes_nothing() {
    let mut app = spawn_app().await;
    app.create_event("e1", "2.00").await;
    let finished: Value = app
        .finish_event("e1", "finished_win")
        .await
        .json()
        .await
        .unwrap();
    app.next_message().await;
    app.next_message().await;

    let again = app
        .correct(
            "e1",
            json!({ "status": "finished_win", "reason": "checked" }),
        )
        .await;

    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap(), finished);
    app.assert_no_message_for(std::time::Duration::from_millis(800))
        .await;
}

#[tokio::test]
async fn a_new_event_has_nothing_to_correct_and_a_correction_needs_a_reason() {
    let app = spawn_app().await;
    app.create_event("e1", "2.00").await;
    let problem = assert_problem(
        app.correct("e1", json!({ "status": "finished_win", "reason": "early" }))
            .await,
        409,
    )
    .await;
    assert_eq!(problem["type"], "urn:problem:line-provider:event-not-final");

    app.finish_event("e1", "finished_win").await;
    for body in [
        json!({ "status": "finished_lose" }),
        json!({ "status": "finished_lose", "reason": "" }),
        json!({ "status": "finished_lose", "reason": null }),
        json!({ "status": "new", "reason": "undo" }),
        json!({ "status": "draw", "reason": "undo" }),
        json!({ "status": "finished_lose", "reason": "x", "extra": 1 }),
    ] {
        assert_problem(app.correct("e1", body.clone()).await, 422).await;
    }
    assert_problem(
        app.correct("nope", json!({ "status": "finished_lose", "reason": "x" }))
            .await,
        404,
    )
    .await;
    let still: Value = app.get("/events/e1").await.json().await.unwrap();
    assert_eq!(
        (&still["status"], &still["version"]),
        (&json!("finished_win"), &json!(2))
    );
}

#[tokio::test]
async fn the_history_lists_every_version_oldest_first() {
    let app = spawn_app().await;
    app.create_event("e1", "1.85").await;
    app.patch_event("e1", json!({ "coefficient": "2.10" }))
        .await;
    app.put_status("e1", json!({ "status": "finished_win", "reason": "3-1" }))
        .await;
    app.correct(
        "e1",
        json!({ "status": "finished_lose", "reason": "1-3, sides swapped" }),
    )
    .await;

    let history: Value = app.get("/events/e1/history").await.json().await.unwrap();

    let summary: Vec<(u64, String, String, Value)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_u64().unwrap(),
                v["status"].as_str().unwrap().to_owned(),
                v["coefficient"].to_string(),
                v["reason"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, "new".into(), "1.85".into(), Value::Null),
            (2, "new".into(), "2.10".into(), Value::Null),
            (3, "finished_win".into(), "2.10".into(), json!("3-1")),
            (
                4,
                "finished_lose".into(),
                "2.10".into(),
                json!("1-3, sides swapped")
            ),
        ]
    );
    // Refusals and no-ops add no version.
    app.finish_event("e1", "finished_win").await;
    app.correct(
        "e1",
        json!({ "status": "finished_lose", "reason": "again" }),
    )
    .await;
    app.patch_event("e1", json!({ "coefficient": "3.00" }))
        .await;
    app.post_event(
        json!({ "id": "e1", "coefficient": "1.50", "deadline": crate::helpers::in_a_day() }),
    )
    .await;
    let again: Value = app.get("/events/e1/history").await.json().await.unwrap();
    assert_eq!(again, history);
    let event: Value = app.get("/events/e1").await.json().await.unwrap();
    let last = &history[3];
    assert_eq!(last["changed_at"], event["updated_at"]);
    assert_eq!(last["deadline"], event["deadline"]);
    assert_problem(app.get("/events/nope/history").await, 404).await;
}
