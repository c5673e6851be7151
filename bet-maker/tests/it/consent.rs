//! The bettor's consent to the price: `coefficient` and `accept_odds` on `POST /bet`, checked
//! in the bet's own statement against the odds bet-maker holds, 409 `odds-changed` with the
//! current odds otherwise, and compared by an Idempotency-Key.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

async fn odds_changed(app: &TestApp, body: Value, current: &str) {
    let problem = assert_problem(app.bet(body).await, 409).await;
    assert!(
        problem["type"].as_str().unwrap().ends_with("odds-changed"),
        "{problem}"
    );
    assert_eq!(problem["coefficient"].to_string(), current, "{problem}");
    assert_eq!(problem["field"], "coefficient");
    assert!(
        problem["detail"].as_str().unwrap().contains(current),
        "{problem}"
    );
}

#[tokio::test]
async fn a_bet_at_the_odds_seen_is_placed_and_at_other_odds_refused_with_the_current_ones() {
    let app = spawn_app().await;
    app.open_event("e1", "1.85").await;

    let response = app
        .bet(json!({ "event_id": "e1", "amount": "10", "coefficient": "1.85" }))
        .await;
    assert_eq!(response.status(), 201);
    let bet: Value = response.json().await.unwrap();
    assert_eq!(bet["coefficient"].to_string(), "1.85");

    for seen in ["1.86", "1.84"] {
        odds_changed(
            &app,
            json!({ "event_id": "e1", "amount": 10, "coefficient": seen }),
            "1.85",
        )
        .await;
        odds_changed(
            &app,
            json!({ "event_id": "e1", "amount": 10, "coefficient": seen, "accept_odds": "exact" }),
            "1.85",
        )
        .await;
    }
    assert_eq!(app.get_json("/bets").await.as_array().unwrap().len(), 1);
    assert_eq!(
        app.metric("bet_maker_bets_refused_total{reason=\"odds_changed\"}")
            .await,
        Some(4.0)
    );
}

#[tokio::test]
async fn higher_takes_the_same_or_better_odds_and_any_takes_all() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;

    for (seen, accept) in [("1.90", "higher"), ("2.00", "higher"), ("5.00", "any")] {
        let response = app
            .bet(json!({ "event_id": "e1", "amount": 1, "coefficient": seen, "accept_odds": accept }))
            .await;
        assert_eq!(response.status(), 201, "{seen} {accept}");
        let bet: Value = response.json().await.unwrap();
        assert_eq!(
            bet["coefficient"].to_string(),
            "2.00",
            "placed at the current odds"
        );
    }
    odds_changed(
        &app,
        json!({ "event_id": "e1", "amount": 1, "coefficient": 2.01, "accept_odds": "higher" }),
        "2.00",
    )
    .await;
    let any = app
        .bet(json!({ "event_id": "e1", "amount": 1, "accept_odds": "any" }))
        .await;
    assert_eq!(any.status(), 201);
}

#[tokio::test]
async fn exact_or_higher_without_the_odds_seen_is_422() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    for accept in ["exact", "higher"] {
        let problem = assert_problem(
            app.bet(json!({ "event_id": "e1", "amount": 1, "accept_odds": accept }))
                .await,
            422,
        )
        .await;
        assert_eq!(problem["field"], "coefficient", "{problem}");
    }
    for (coefficient, accept, field) in [
        (json!("1.005"), json!("exact"), "coefficient"),
        (json!(2), json!("lower"), "accept_odds"),
    ] {
        let problem = assert_problem(
            app.bet(json!({ "event_id": "e1", "amount": 1, "coefficient": coefficient, "accept_odds": accept }))
                .await,
            422,
        )
        .await;
        assert_eq!(problem["field"], field, "{problem}");
    }
    assert_eq!(app.sql_count("SELECT count(*) FROM bets").await, 0);
}

#[tokio::test]
async fn a_bet_racing_an_odds_change_is_judged_by_the_new_odds() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    let consumer = app.app_client().await;
    consumer
        .batch_execute("BEGIN; UPDATE events SET coefficient = 2.50, version = 2 WHERE id = 'e1'")
        .await
        .unwrap();

    let bet = app.bet(json!({ "event_id": "e1", "amount": 1, "coefficient": "2.00" }));
    tokio::pin!(bet);
    assert!(
        tokio::time::timeout(Duration::from_millis(300), &mut bet)
            .await
            .is_err(),
        "the bet was answered before the odds change committed"
    );
    consumer.batch_execute("COMMIT").await.unwrap();
    let response = tokio::time::timeout(Duration::from_secs(2), bet)
        .await
        .unwrap();
    let problem = assert_problem(response, 409).await;
    assert_eq!(problem["coefficient"].to_string(), "2.50", "{problem}");
    assert_eq!(app.sql_count("SELECT count(*) FROM bets").await, 0);
}

#[tokio::test]
async fn an_idempotency_key_compares_the_consent_too() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    let send = |key: &'static str, body: Value| {
        app.http
            .post(app.url("/bet"))
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let body = json!({ "event_id": "e1", "amount": 5, "coefficient": "2.00" });
    let first = send("k1", body.clone()).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();

    // The same consent, spelled with its default: the same bet.
    let same = json!({ "event_id": "e1", "amount": 5, "coefficient": 2, "accept_odds": "exact" });
    let again = send("k1", same).await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap()["id"], first["id"]);

    for other in [
        json!({ "event_id": "e1", "amount": 5, "coefficient": "1.90" }),
        json!({ "event_id": "e1", "amount": 5, "coefficient": "2.00", "accept_odds": "higher" }),
        json!({ "event_id": "e1", "amount": 5 }),
    ] {
        let problem = assert_problem(send("k1", other.clone()).await.unwrap(), 422).await;
        assert!(
            problem["type"]
                .as_str()
                .unwrap()
                .ends_with("idempotency-key-reused"),
            "{other}: {problem}"
        );
    }
    // A key first used without consent is not the same bet as one with it.
    assert_eq!(
        send("k2", json!({ "event_id": "e1", "amount": 5 }))
            .await
            .unwrap()
            .status(),
        201
    );
    let with_consent = send("k2", body).await.unwrap();
    assert_problem(with_consent, 422).await;
    assert_eq!(app.sql_count("SELECT count(*) FROM bets").await, 2);
}
