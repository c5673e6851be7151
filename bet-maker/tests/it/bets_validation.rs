//! The request of `POST /bet`: which amounts and event ids it accepts, and what answers a body
//! of the wrong shape, broken JSON, a body not declared as JSON and a huge one.

use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn invalid_amounts_answer_422_naming_the_field() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    let number = |text: &str| -> Value { serde_json::from_str(text).unwrap() };
    for amount in [
        json!(0),
        number("-1"),
        number("10.001"),
        json!("10.001"),
        number("1e-3"),
        number("1000000000.01"),
        number("1e400"),
        json!("NaN"),
        json!("ten"),
        json!("1e2"),
        json!(true),
        json!(null),
        json!([1]),
    ] {
        let problem = assert_problem(
            app.bet(json!({ "event_id": "e1", "amount": amount })).await,
            422,
        )
        .await;
        assert_eq!(problem["field"], "amount", "for {amount}");
    }
    assert_eq!(app.sql_count("SELECT count(*) FROM bets").await, 0);
}

#[tokio::test]
async fn valid_amount_spellings_are_accepted() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    for (amount, expected) in [
        (json!(1), "1.00"),
        (json!("0.01"), "0.01"),
        (
            serde_json::from_str::<Value>("1000000000.00").unwrap(),
            "1000000000.00",
        ),
        (serde_json::from_str::<Value>("2.5e1").unwrap(), "25.00"),
    ] {
        let response = app.bet(json!({ "event_id": "e1", "amount": amount })).await;
        assert_eq!(response.status(), 201, "for {amount}");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains(&format!(r#""amount":{expected}"#))
        );
    }
}

#[tokio::test]
async fn invalid_event_ids_answer_422() {
    let app = spawn_app().await;
    for event_id in [
        json!(""),
        json!("a b"),
        json!("x".repeat(65)),
        json!(1.5),
        json!(null),
        json!({}),
    ] {
        let problem = assert_problem(
            app.bet(json!({ "event_id": event_id, "amount": 1 })).await,
            422,
        )
        .await;
        assert_eq!(problem["field"], "event_id", "for {event_id}");
    }
}

#[tokio::test]
async fn a_body_of_the_wrong_shape_answers_422_and_broken_json_400() {
    let app = spawn_app().await;
    for body in [
        json!({ "amount": 1 }),
        json!({ "event_id": "e1" }),
        json!({ "event_id": "e1", "amount": 1, "x": 1 }),
        json!([]),
    ] {
        assert_problem(app.bet(body).await, 422).await;
    }
    for text in ["{", "", "nope"] {
        let response = app
            .http
            .post(app.url("/bet"))
            .header("content-type", "application/json")
            .body(text)
            .send()
            .await
            .unwrap();
        assert_problem(response, 400).await;
    }
}

#[tokio::test]
async fn a_body_not_declared_as_json_answers_415_and_a_huge_one_413() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(app.url("/bet"))
        .header("content-type", "text/plain")
        .body(r#"{"event_id":"e1","amount":1}"#)
        .send()
        .await
        .unwrap();
    assert_problem(response, 415).await;
    let huge = json!({ "event_id": "e1", "amount": 1, "pad": "x".repeat(70_000) });
    assert_problem(app.bet(huge).await, 413).await;
}
