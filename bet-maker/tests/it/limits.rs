//! Limits per event: stakes outside `[min_stake, max_stake]` refused with 422, a bet that would
//! take the event's liability above `max_liability` refused with 409 and the largest stake
//! still accepted, exactly, under concurrency, and as the limits change.

use rust_decimal::Decimal;
use serde_json::{Value, json};
use shared_messages::{EventSnapshot, EventStatus};

use crate::helpers::{TestApp, assert_problem, event, spawn_app};

fn money(text: &str) -> Option<Decimal> {
    Some(text.parse().unwrap())
}

/// An open event at `coefficient` with the limits given (`None`: not set).
pub(crate) fn limited(
    id: &str,
    version: u64,
    coefficient: &str,
    stakes: (Option<&str>, Option<&str>),
    max_liability: Option<&str>,
) -> EventSnapshot {
    let mut snapshot = event(id, version, EventStatus::New, coefficient);
    snapshot.min_stake = stakes.0.and_then(money);
    snapshot.max_stake = stakes.1.and_then(money);
    snapshot.max_liability = max_liability.and_then(money);
    snapshot
}

pub(crate) async fn bet(app: &TestApp, event_id: &str, amount: &str) -> reqwest::Response {
    app.bet(json!({ "event_id": event_id, "amount": amount }))
        .await
}

/// The liability the event's bets have taken, summed over the bets themselves.
pub(crate) async fn liability_of_bets(app: &TestApp, event_id: &str) -> Decimal {
    app.sql_text(&format!(
        "SELECT coalesce(sum(amount * (coefficient - 1)), 0)::text FROM bets
         WHERE event_id = '{event_id}'"
    ))
    .await
    .unwrap()
    .parse()
    .unwrap()
}

pub(crate) async fn refused_over_limit(app: &TestApp, event_id: &str, amount: &str) -> Value {
    let problem = assert_problem(bet(app, event_id, amount).await, 409).await;
    assert!(
        problem["type"]
            .as_str()
            .unwrap()
            .ends_with("liability-limit"),
        "{problem}"
    );
    problem
}

#[tokio::test]
async fn a_stake_outside_the_event_s_limits_is_refused_with_them() {
    let app = spawn_app().await;
    app.publish_open(&limited("e1", 1, "2.00", (Some("5"), Some("100")), None))
        .await;

    for amount in ["4.99", "100.01"] {
        let problem = assert_problem(bet(&app, "e1", amount).await, 422).await;
        assert!(
            problem["type"]
                .as_str()
                .unwrap()
                .ends_with("stake-out-of-range"),
            "{problem}"
        );
        let text = serde_json::to_string(&problem).unwrap();
        assert!(text.contains(r#""min_stake":5.00"#), "{text}");
        assert!(text.contains(r#""max_stake":100.00"#), "{text}");
        assert_eq!(problem["field"], "amount");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("from 5.00 to 100.00")
        );
    }
    for amount in ["5", "100"] {
        assert_eq!(bet(&app, "e1", amount).await.status(), 201, "{amount}");
    }
    assert_eq!(app.get_json("/bets").await.as_array().unwrap().len(), 2);
    assert_eq!(
        app.metric("bet_maker_bets_refused_total{reason=\"stake_out_of_range\"}")
            .await,
        Some(2.0)
    );
}

#[tokio::test]
async fn a_bet_over_the_liability_limit_is_refused_with_the_largest_stake_still_accepted() {
    let app = spawn_app().await;
    // Odds of 3.00: a stake of s takes 2 × s of liability; the limit is 100.00.
    app.publish_open(&limited("e1", 1, "3.00", (None, None), Some("100")))
        .await;
    assert_eq!(bet(&app, "e1", "30").await.status(), 201);

    let problem = refused_over_limit(&app, "e1", "25").await;
    let text = serde_json::to_string(&problem).unwrap();
    assert!(text.contains(r#""max_amount":20.00"#), "{text}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("at most 20.00"),
        "{problem}"
    );

    assert_eq!(bet(&app, "e1", "20").await.status(), 201);
    let problem = refused_over_limit(&app, "e1", "0.01").await;
    let text = serde_json::to_string(&problem).unwrap();
    assert!(text.contains(r#""max_amount":0.00"#), "{text}");
    assert_eq!(liability_of_bets(&app, "e1").await, Decimal::new(100, 0));
    assert_eq!(app.get_json("/bets").await.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn lowering_the_limit_below_what_is_taken_keeps_the_bets_and_refuses_new_ones() {
    let app = spawn_app().await;
    app.publish_open(&limited("e1", 1, "2.00", (None, None), Some("100")))
        .await;
    let placed = app.place("e1", "80").await;

    app.publish_open(&limited("e1", 2, "2.00", (None, None), Some("50")))
        .await;
    let problem = refused_over_limit(&app, "e1", "1").await;
    assert!(
        serde_json::to_string(&problem)
            .unwrap()
            .contains(r#""max_amount":0.00"#)
    );
    let bets = app.get_json("/bets").await;
    assert_eq!(bets.as_array().unwrap().len(), 1);
    assert_eq!(bets[0]["id"], placed["id"]);
    assert_eq!(bets[0]["status"], "pending");

    // Raised again: exactly the new room is there.
    app.publish_open(&limited("e1", 3, "2.00", (None, None), Some("200")))
        .await;
    assert_eq!(bet(&app, "e1", "100").await.status(), 201);
    let problem = refused_over_limit(&app, "e1", "30").await;
    assert!(
        serde_json::to_string(&problem)
            .unwrap()
            .contains(r#""max_amount":20.00"#)
    );

    // Removed: any stake again.
    app.publish_open(&limited("e1", 4, "2.00", (None, None), None))
        .await;
    assert_eq!(bet(&app, "e1", "100000").await.status(), 201);
}

#[tokio::test]
async fn new_odds_count_for_new_bets_while_placed_bets_keep_their_liability() {
    let app = spawn_app().await;
    app.publish_open(&limited("e1", 1, "2.00", (None, None), Some("100")))
        .await;
    assert_eq!(bet(&app, "e1", "50").await.status(), 201); // 50 of liability
    app.publish_open(&limited("e1", 2, "3.00", (None, None), Some("100")))
        .await;
    let problem = refused_over_limit(&app, "e1", "25.01").await; // 50.02 > 50
    assert!(
        serde_json::to_string(&problem)
            .unwrap()
            .contains(r#""max_amount":25.00"#)
    );
    assert_eq!(bet(&app, "e1", "25").await.status(), 201);
    assert_eq!(liability_of_bets(&app, "e1").await, Decimal::new(100, 0));
}

#[tokio::test]
async fn far_from_its_limit_a_bet_takes_only_its_own_stripe() {
    let app = spawn_app().await;
    app.publish_open(&limited("e1", 1, "2.00", (None, None), Some("1000000")))
        .await;
    for _ in 0..20 {
        assert_eq!(bet(&app, "e1", "10").await.status(), 201);
    }
    // No bet needed the whole limit (locking all 16 stripes): each fitted its stripe's share.
    assert_eq!(
        app.metric("bet_maker_liability_limit_spreads_total").await,
        Some(0.0)
    );
    assert_eq!(liability_of_bets(&app, "e1").await, Decimal::new(200, 0));
}

#[tokio::test]
async fn odds_below_one_take_no_liability_and_are_never_refused_for_it() {
    let app = spawn_app().await;
    app.publish_open(&limited("e1", 1, "0.50", (None, None), Some("1")))
        .await;
    for _ in 0..3 {
        assert_eq!(bet(&app, "e1", "100").await.status(), 201);
    }
    assert_eq!(liability_of_bets(&app, "e1").await, Decimal::new(-150, 0));
    // Odds above 1 again: the room is the limit less what was taken, -150.00 included.
    app.publish_open(&limited("e1", 2, "2.00", (None, None), Some("1")))
        .await;
    assert_eq!(bet(&app, "e1", "151").await.status(), 201);
    let problem = refused_over_limit(&app, "e1", "0.01").await;
    assert!(
        serde_json::to_string(&problem)
            .unwrap()
            .contains(r#""max_amount":0.00"#)
    );
}
