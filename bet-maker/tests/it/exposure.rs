//! `GET /exposure` and `GET /events/{id}/exposure`: behind bet-maker's ADMIN_TOKEN, read from
//! the tallies, and equal to a SUM over the bets through settlement, cancellation and
//! correction.

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};
use shared_messages::{EventChange, EventStatus};

use crate::helpers::{Options, TestApp, assert_problem, event, spawn_app_with};

const TOKEN: &str = "operator-s3cret";

async fn exposure(app: &TestApp, path: &str) -> Value {
    let response = app
        .http
        .get(app.url(path))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.unwrap()
}

fn cents(text: &str) -> String {
    let value: Decimal = text.parse().unwrap();
    let mut value = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    value.rescale(2);
    value.to_string()
}

/// The exposure of `event_id` computed from its bets, as the route should write it.
async fn summed(app: &TestApp, event_id: &str) -> Value {
    let sum = |expression: &str| {
        format!(
            "SELECT coalesce(sum({expression}), 0)::text FROM bets WHERE event_id = '{event_id}'"
        )
    };
    let stake = app.sql_text(&sum("amount")).await.unwrap();
    let payout = app.sql_text(&sum("amount * coefficient")).await.unwrap();
    // The liability shown is the payout shown less the stakes (whole cents): the three add up.
    let liability = (cents(&payout).parse::<Decimal>().unwrap()
        - stake.parse::<Decimal>().unwrap())
    .to_string();
    let bets = app
        .sql_count(&format!(
            "SELECT count(*) FROM bets WHERE event_id = '{event_id}'"
        ))
        .await;
    json!({
        "bets": bets,
        "stake": cents(&stake),
        "payout_if_win": cents(&payout),
        "liability": cents(&liability),
    })
}

fn shown(exposure: &Value) -> Value {
    json!({
        "bets": exposure["bets"],
        "stake": exposure["stake"].to_string(),
        "payout_if_win": exposure["payout_if_win"].to_string(),
        "liability": exposure["liability"].to_string(),
    })
}

#[tokio::test]
async fn the_exposure_routes_need_the_operator_token() {
    let app = spawn_app_with(Options {
        admin_token: Some(TOKEN),
        ..Options::default()
    })
    .await;
    app.open_event("e1", "2.00").await;
    for path in ["/exposure", "/events/e1/exposure"] {
        let bare = app.get(path).await;
        assert_eq!(bare.headers()["www-authenticate"], "Bearer");
        assert_problem(bare, 401).await;
        let wrong = app
            .http
            .get(app.url(path))
            .bearer_auth("operator-s3cre")
            .send()
            .await
            .unwrap();
        assert_problem(wrong, 401).await;
        exposure(&app, path).await;
    }
    // Bettors' routes stay open.
    assert_eq!(app.get("/events").await.status(), 200);
    assert_eq!(app.place("e1", "1").await["status"], "pending");
}

#[tokio::test]
async fn exposure_equals_the_sum_over_the_bets_through_settlement_cancellation_and_correction() {
    let app = spawn_app_with(Options {
        admin_token: Some(TOKEN),
        ..Options::default()
    })
    .await;
    let mut e1 = event("e1", 1, EventStatus::New, "1.85");
    e1.max_liability = Some(Decimal::new(1_000_000, 0));
    app.publish_open(&e1).await;
    app.open_event("e2", "0.50").await;
    app.open_event("quiet", "3.00").await;
    for amount in ["10.50", "3.33", "7"] {
        app.place("e1", amount).await;
    }
    e1.version = 2;
    e1.coefficient = Decimal::new(255, 2);
    app.publish_open(&e1).await;
    app.place("e1", "0.15").await;
    app.place("e2", "4.01").await;

    let one = exposure(&app, "/events/e1/exposure").await;
    assert_eq!(shown(&one), summed(&app, "e1").await);
    assert_eq!(one["event_id"], "e1");
    assert_eq!(one["status"], "new");
    assert_eq!(one["max_liability"].to_string(), "1000000.00");
    assert_eq!(one["bets"], 4);
    let e2 = exposure(&app, "/events/e2/exposure").await;
    assert_eq!(shown(&e2), summed(&app, "e2").await);
    assert!(
        e2["liability"].as_f64().unwrap() < 0.0,
        "odds below 1: {e2}"
    );
    assert_eq!(e2["max_liability"], Value::Null);

    let quiet = exposure(&app, "/events/quiet/exposure").await;
    assert_eq!(shown(&quiet), summed(&app, "quiet").await);
    assert_eq!(quiet["bets"], 0);
    let all = exposure(&app, "/exposure").await;
    let ids: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["e1", "e2"], "only events with bets, by id");
    assert_eq!(all[0], one);

    let mut versions = e1.clone();
    for (version, change, status) in [
        (3, EventChange::Finished, EventStatus::FinishedWin),
        (4, EventChange::Corrected, EventStatus::FinishedLose),
        (5, EventChange::Corrected, EventStatus::Cancelled),
    ] {
        versions.version = version;
        versions.status = status;
        app.publish(change, &versions).await;
        app.wait_until(&format!("e1 is {status}"), || async {
            exposure(&app, "/events/e1/exposure").await["status"] == status.as_str()
        })
        .await;
        let now = exposure(&app, "/events/e1/exposure").await;
        assert_eq!(
            shown(&now),
            shown(&one),
            "{status}: what was at stake stays"
        );
        assert_eq!(shown(&now), summed(&app, "e1").await);
    }

    // 10.50 × 0.85 = 8.925: half a cent, rounded away from zero, and the figures add up.
    app.open_event("half", "1.85").await;
    app.place("half", "10.50").await;
    let half = exposure(&app, "/events/half/exposure").await;
    assert_eq!(half["payout_if_win"].to_string(), "19.43");
    assert_eq!(half["liability"].to_string(), "8.93");
    assert_eq!(half["stake"].to_string(), "10.50");

    let unknown = app
        .http
        .get(app.url("/events/nope/exposure"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_problem(unknown, 404).await;
}
