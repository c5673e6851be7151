//! The book's controls through both services and the broker: limits set and changed at
//! line-provider are enforced by bet-maker, the bettor's consent follows an odds change made
//! by the operator, and exposure shows what was taken.

use integration_tests::System;
use serde_json::{Value, json};

/// A JSON number as written (`2.00` stays `2.00`).
fn written(value: &Value) -> String {
    value.to_string()
}

fn kind(problem: &Value) -> &str {
    problem["type"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn limits_and_odds_set_by_the_operator_are_enforced_by_bet_maker() {
    let system = System::new().await;
    let lp = system.start_line_provider().await;
    let bm = system.start_bet_maker().await;
    system
        .create_event_with(
            &lp,
            json!({ "id": "final", "coefficient": "3.00", "deadline": "2099-01-01T00:00:00Z",
                    "min_stake": 2, "max_stake": 50, "max_liability": 200 }),
        )
        .await;
    system
        .wait_until("bet-maker lists the event with its limits", || async {
            let events = system.get_json(&bm, "/events").await;
            written(&events[0]["max_liability"]) == "200.00"
        })
        .await;

    let (status, problem) = system.bet(&bm, "final", "1.99").await;
    assert_eq!(status, 422);
    assert!(kind(&problem).ends_with("stake-out-of-range"), "{problem}");
    let (status, _) = system
        .bet_with(
            &bm,
            json!({ "event_id": "final", "amount": 50, "coefficient": "3.00" }),
        )
        .await;
    assert_eq!(status, 201, "100.00 of 200.00 taken");

    // The operator shortens the odds and lowers the limit in one change.
    let changed = system
        .patch_event(
            &lp,
            "final",
            json!({ "coefficient": "2.00", "max_liability": 120 }),
        )
        .await;
    assert_eq!(changed["max_liability"].to_string(), "120.00");
    system
        .wait_until("bet-maker has the new odds", || async {
            let events = system.get_json(&bm, "/events").await;
            written(&events[0]["coefficient"]) == "2.00"
        })
        .await;
    let (status, problem) = system
        .bet_with(
            &bm,
            json!({ "event_id": "final", "amount": 10, "coefficient": "3.00" }),
        )
        .await;
    assert_eq!(status, 409);
    assert!(kind(&problem).ends_with("odds-changed"), "{problem}");
    assert_eq!(problem["coefficient"].to_string(), "2.00");
    let (status, problem) = system.bet(&bm, "final", "21").await;
    assert_eq!(
        status, 409,
        "21.00 more at 2.00 would take 121.00 of 120.00"
    );
    assert!(kind(&problem).ends_with("liability-limit"), "{problem}");
    assert_eq!(problem["max_amount"].to_string(), "20.00");
    let (status, _) = system.bet(&bm, "final", "20").await;
    assert_eq!(status, 201);

    let exposure = system.exposure(&bm, "final").await;
    assert_eq!(exposure["bets"], 2);
    assert_eq!(exposure["stake"].to_string(), "70.00");
    assert_eq!(exposure["liability"].to_string(), "120.00");
    assert_eq!(exposure["max_liability"].to_string(), "120.00");

    // The limit removed at line-provider: any stake within the stake limits again.
    system
        .patch_event(&lp, "final", json!({ "max_liability": null }))
        .await;
    system
        .wait_until("the limit is gone at bet-maker", || async {
            system.get_json(&bm, "/events").await[0]["max_liability"].is_null()
        })
        .await;
    let (status, _) = system.bet(&bm, "final", "50").await;
    assert_eq!(status, 201);
    assert_eq!(
        system
            .metric(&bm, "bet_maker_messages_dead_lettered_total")
            .await,
        Some(0.0)
    );
    lp.stop().await;
    bm.stop().await;
}
