//! `POST /bet` and `GET /bets/{id}`: placing a bet at the odds of the moment, reading it back,
//! and the refusals an event's state calls for.

use serde_json::{Value, json};
use shared_messages::{EventChange, EventStatus};
use time::OffsetDateTime;

use crate::helpers::{assert_problem, event, spawn_app};

#[tokio::test]
async fn a_bet_on_an_open_event_is_placed_at_the_current_odds() {
    let app = spawn_app().await;
    app.open_event("e1", "1.85").await;

    let response = app.bet(json!({ "event_id": "e1", "amount": 10.5 })).await;

    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let text = response.text().await.unwrap();
    assert!(
        text.contains(r#""amount":10.50"#) && text.contains(r#""coefficient":1.85"#),
        "{text}"
    );
    let bet: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(bet["event_id"], "e1");
    assert_eq!(bet["status"], "pending");
    assert!(bet["settled_at"].is_null());
    assert_eq!(
        bet.get("account_id"),
        Some(&Value::Null),
        "a bet without a token is anonymous"
    );
    assert_eq!(bet.get("paid_at"), Some(&Value::Null));
    assert!(bet["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(location, format!("/bets/{}", bet["id"].as_str().unwrap()));
    assert_eq!(app.get_json(&location).await, bet);
}

#[tokio::test]
async fn the_odds_of_a_bet_stay_those_of_the_moment_it_was_placed() {
    let app = spawn_app().await;
    app.open_event("e1", "1.85").await;
    let bet = app.place("e1", "5").await;

    app.publish(
        EventChange::Updated,
        &event("e1", 2, EventStatus::New, "3.00"),
    )
    .await;
    app.wait_for_metric("bet_maker_messages_applied_total", 2.0)
        .await;

    let later = app.place("e1", "5").await;
    let first = app
        .get_json(&format!("/bets/{}", bet["id"].as_str().unwrap()))
        .await;
    assert_eq!(first["coefficient"].to_string(), "1.85");
    assert_eq!(later["coefficient"].to_string(), "3.00");
}

#[tokio::test]
async fn an_integer_event_id_means_its_decimal_string() {
    let app = spawn_app().await;
    app.open_event("42", "2.00").await;

    let response = app.bet(json!({ "event_id": 42, "amount": "1.00" })).await;

    assert_eq!(response.status(), 201);
    assert_eq!(response.json::<Value>().await.unwrap()["event_id"], "42");
}

#[tokio::test]
async fn a_bet_on_an_unknown_event_answers_404() {
    let app = spawn_app().await;
    assert_problem(
        app.bet(json!({ "event_id": "ghost", "amount": 1 })).await,
        404,
    )
    .await;
}

#[tokio::test]
async fn a_bet_on_a_finished_event_answers_409() {
    let app = spawn_app().await;
    app.publish(
        EventChange::Finished,
        &event("done", 2, EventStatus::FinishedLose, "2.00"),
    )
    .await;
    app.wait_for_metric("bet_maker_messages_applied_total", 1.0)
        .await;

    let problem = assert_problem(
        app.bet(json!({ "event_id": "done", "amount": 1 })).await,
        409,
    )
    .await;
    assert!(problem["detail"].as_str().unwrap().contains("finished"));
}

#[tokio::test]
async fn a_bet_after_the_deadline_answers_409() {
    let app = spawn_app().await;
    let mut snapshot = event("late", 1, EventStatus::New, "2.00");
    snapshot.deadline = OffsetDateTime::now_utc() - time::Duration::seconds(1);
    app.publish(EventChange::Created, &snapshot).await;
    app.wait_for_metric("bet_maker_messages_applied_total", 1.0)
        .await;

    let problem = assert_problem(
        app.bet(json!({ "event_id": "late", "amount": 1 })).await,
        409,
    )
    .await;
    assert!(problem["detail"].as_str().unwrap().contains("closed"));
    assert!(app.open_event_ids().await.is_empty());
    assert_eq!(app.sql_count("SELECT count(*) FROM bets").await, 0);
}

#[tokio::test]
async fn moving_the_deadline_into_the_past_closes_betting() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    app.place("e1", "1").await;
    let mut moved = event("e1", 2, EventStatus::New, "2.00");
    moved.deadline = OffsetDateTime::now_utc() - time::Duration::seconds(1);

    app.publish(EventChange::Updated, &moved).await;
    app.wait_for_metric("bet_maker_messages_applied_total", 2.0)
        .await;

    assert_problem(app.bet(json!({ "event_id": "e1", "amount": 1 })).await, 409).await;
    assert!(app.open_event_ids().await.is_empty());
}

#[tokio::test]
async fn an_unknown_bet_id_answers_404() {
    let app = spawn_app().await;
    assert_problem(
        app.get(&format!("/bets/{}", uuid::Uuid::now_v7())).await,
        404,
    )
    .await;
    assert_problem(app.get("/bets/not-a-uuid").await, 404).await;
}
