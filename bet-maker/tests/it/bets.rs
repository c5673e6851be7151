//! `POST /bet` and `GET /bets/{id}`: every rule and status of the contract.

use std::time::{Duration, Instant};

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

/// Sends a bet while `change` is made to its event in a transaction left open (as the
/// consumer's transaction changes the row); checks the bet waits for it, commits, and returns
/// the answer.
async fn bet_racing_an_uncommitted_change(
    app: &crate::helpers::TestApp,
    change: &str,
) -> reqwest::Response {
    let consumer = app.app_client().await;
    consumer.batch_execute("BEGIN").await.unwrap();
    consumer.batch_execute(change).await.unwrap();

    let bet = app.bet(json!({ "event_id": "e1", "amount": 1 }));
    tokio::pin!(bet);
    let early = tokio::time::timeout(Duration::from_millis(300), &mut bet).await;
    assert!(
        early.is_err(),
        "the bet was answered ({:?}) before the change of its event committed",
        early.map(|response| response.status())
    );
    consumer.batch_execute("COMMIT").await.unwrap();
    tokio::time::timeout(Duration::from_secs(2), bet)
        .await
        .expect("the bet is answered as soon as the change commits")
}

#[tokio::test]
async fn a_bet_racing_a_finish_waits_for_its_commit_and_is_refused() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;

    let response = bet_racing_an_uncommitted_change(
        &app,
        "UPDATE events SET status = 'finished_win', version = 2, settled_at = now()
         WHERE id = 'e1'",
    )
    .await;

    let problem = assert_problem(response, 409).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("finished"),
        "{problem}"
    );
    assert_eq!(app.get_json("/bets").await, json!([]));
}

#[tokio::test]
async fn a_bet_racing_an_odds_change_waits_for_its_commit_and_takes_the_new_odds() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;

    let response = bet_racing_an_uncommitted_change(
        &app,
        "UPDATE events SET coefficient = 3.25, version = 2 WHERE id = 'e1'",
    )
    .await;

    assert_eq!(response.status(), 201);
    let bet: Value = response.json().await.unwrap();
    assert_eq!(bet["coefficient"].to_string(), "3.25");
}

#[tokio::test]
async fn an_event_row_locked_too_long_answers_503_instead_of_hanging() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    let stuck = app.app_client().await;
    stuck
        .batch_execute("BEGIN; SELECT * FROM events WHERE id = 'e1' FOR UPDATE")
        .await
        .unwrap();

    let started = Instant::now();
    let response = app.bet(json!({ "event_id": "e1", "amount": 1 })).await;

    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered after {:?}",
        started.elapsed()
    );
    assert!(response.headers().contains_key("retry-after"));
    assert_problem(response, 503).await;
    stuck.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(app.place("e1", "1").await["status"], "pending");
}

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
