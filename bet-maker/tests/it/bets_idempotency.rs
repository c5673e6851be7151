//! `POST /bet` with an `Idempotency-Key`: a retry returns the original bet (settled or not),
//! another body under the same key is refused, and concurrent requests with one key place one
//! bet.

use serde_json::{Value, json};
use shared_messages::{EventChange, EventStatus};

use crate::helpers::{assert_problem, event, spawn_app};

#[tokio::test]
async fn the_same_idempotency_key_and_body_return_the_original_bet() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    let send = || {
        app.http
            .post(app.url("/bet"))
            .header("Idempotency-Key", "order-7")
            .json(&json!({ "event_id": "e1", "amount": "5.00" }))
            .send()
    };

    let first = send().await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send().await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(app.sql_count("SELECT count(*) FROM bets").await, 1);
}

#[tokio::test]
async fn the_same_idempotency_key_with_another_body_answers_422() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    let send = |amount: &str| {
        app.http
            .post(app.url("/bet"))
            .header("Idempotency-Key", "order-8")
            .json(&json!({ "event_id": "e1", "amount": amount }))
            .send()
    };
    assert_eq!(send("5").await.unwrap().status(), 201);

    let problem = assert_problem(send("6").await.unwrap(), 422).await;
    assert!(problem["detail"].as_str().unwrap().contains("order-8"));
    assert_eq!(app.sql_count("SELECT count(*) FROM bets").await, 1);
}

#[tokio::test]
async fn concurrent_requests_with_one_idempotency_key_place_one_bet() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;

    let attempts = (0..16).map(|_| {
        app.http
            .post(app.url("/bet"))
            .header("Idempotency-Key", "burst")
            .json(&json!({ "event_id": "e1", "amount": 3 }))
            .send()
    });
    let responses = futures_util::future::join_all(attempts).await;

    let mut ids = std::collections::HashSet::new();
    for response in responses {
        let response = response.unwrap();
        assert!(
            matches!(response.status().as_u16(), 200 | 201 | 409),
            "{}",
            response.status()
        );
        if response.status().is_success() {
            ids.insert(
                response.json::<Value>().await.unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
    }
    assert_eq!(ids.len(), 1, "one bet id for one key");
    assert_eq!(app.sql_count("SELECT count(*) FROM bets").await, 1);
}

#[tokio::test]
async fn an_invalid_idempotency_key_answers_422() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    for key in ["", &"k".repeat(256)] {
        let response = app
            .http
            .post(app.url("/bet"))
            .header("Idempotency-Key", key)
            .json(&json!({ "event_id": "e1", "amount": 3 }))
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 422).await;
        assert_eq!(problem["field"], "Idempotency-Key");
    }
}

#[tokio::test]
async fn an_idempotent_retry_after_settlement_returns_the_settled_bet() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    let send = || {
        app.http
            .post(app.url("/bet"))
            .header("Idempotency-Key", "after-settlement")
            .json(&json!({ "event_id": "e1", "amount": 2 }))
            .send()
    };
    let first: Value = send().await.unwrap().json().await.unwrap();
    app.publish(
        EventChange::Finished,
        &event("e1", 2, EventStatus::FinishedWin, "2.00"),
    )
    .await;
    app.wait_for_metric(r#"bet_maker_bets_settled_total{outcome="won"}"#, 1.0)
        .await;

    let again = send().await.unwrap();

    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["status"], "won");
}
