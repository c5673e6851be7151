//! `POST /bet` while the consumer changes its event: the bet waits for the change to commit and
//! answers by it, and a row locked for too long answers 503 instead of hanging.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app};

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
