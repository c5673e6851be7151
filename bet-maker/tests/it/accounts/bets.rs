//! Bets from accounts: the stake moves from `available` to `held` in the bet's own statement,
//! never more than is available under any concurrency, after every refusal of the event's.

use serde_json::{Value, json};

use super::{OPERATOR, account, app, assert_reconciled, deposit, get_with, open};
use crate::helpers::{TestApp, assert_problem};
use crate::limits::limited;

/// `POST /bet` from the account of `token`.
pub(super) async fn bet_as(
    app: &TestApp,
    token: &str,
    event_id: &str,
    amount: &str,
) -> reqwest::Response {
    app.http
        .post(app.url("/bet"))
        .bearer_auth(token)
        .json(&json!({ "event_id": event_id, "amount": amount }))
        .send()
        .await
        .unwrap()
}

/// An account with `amount` deposited: its id and token.
pub(super) async fn funded(app: &TestApp, name: &str, amount: &str) -> (String, String) {
    let (id, token) = open(app, name).await;
    assert_eq!(
        deposit(app, &id, amount, &format!("{name}-funds"))
            .await
            .status(),
        201
    );
    (id, token)
}

pub(super) async fn balances(app: &TestApp, token: &str) -> (String, String) {
    let account = account(app, token).await;
    (
        account["available"].to_string(),
        account["held"].to_string(),
    )
}

fn kind(problem: &Value) -> &str {
    problem["type"]
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
}

#[tokio::test]
async fn a_bet_from_an_account_holds_its_stake_and_its_statement_shows_it() {
    let app = app().await;
    let (id, token) = funded(&app, "Ada", "100.00").await;
    app.open_event("match-1", "2.50").await;

    let response = bet_as(&app, &token, "match-1", "30.00").await;
    assert_eq!(response.status(), 201);
    let bet: Value = response.json().await.unwrap();
    assert_eq!(bet["account_id"], id.as_str());
    assert_eq!(bet["paid_at"], Value::Null);
    assert_eq!(bet["status"], "pending");
    assert_eq!(
        balances(&app, &token).await,
        ("70.00".into(), "30.00".into())
    );

    let lines: Value = get_with(&app, "/account/statement", &token)
        .await
        .json()
        .await
        .unwrap();
    let stake = &lines[0];
    assert_eq!(stake["kind"], "stake");
    assert_eq!(stake["amount"].to_string(), "-30.00");
    assert_eq!(stake["available"].to_string(), "70.00");
    assert_eq!(stake["bet_id"], bet["id"]);
    assert_eq!(stake["event_id"], "match-1");

    let ledger: Value = get_with(&app, "/ledger", OPERATOR)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ledger["available"].to_string(), "70.00");
    assert_eq!(ledger["held"].to_string(), "30.00");
    assert_reconciled(&app).await;
}

#[tokio::test]
async fn a_stake_above_available_is_refused_with_what_is_available_and_leaves_nothing_behind() {
    let app = app().await;
    let (_, token) = funded(&app, "Ada", "20.00").await;
    // A liability limit: a refused stake must not keep the liability it would have taken.
    app.publish_open(&limited(
        "match-1",
        1,
        "3.00",
        (None, None),
        Some("1000.00"),
    ))
    .await;

    let problem = assert_problem(bet_as(&app, &token, "match-1", "25.00").await, 409).await;
    assert_eq!(kind(&problem), "insufficient-funds", "{problem}");
    assert_eq!(problem["available"].to_string(), "20.00");
    assert_eq!(problem["field"], "amount");
    assert_eq!(app.sql_count("SELECT count(*) FROM bets").await, 0);
    let exposure: Value = get_with(&app, "/events/match-1/exposure", OPERATOR)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(exposure["bets"], 0, "{exposure}");
    assert_eq!(exposure["liability"].to_string(), "0.00", "{exposure}");

    // Exactly what is available is taken.
    assert_eq!(bet_as(&app, &token, "match-1", "20.00").await.status(), 201);
    assert_eq!(
        balances(&app, &token).await,
        ("0.00".into(), "20.00".into())
    );
    let problem = assert_problem(bet_as(&app, &token, "match-1", "0.01").await, 409).await;
    assert_eq!(problem["available"].to_string(), "0.00");
    assert_reconciled(&app).await;
}

#[tokio::test]
async fn the_event_s_refusals_come_before_the_account_s() {
    let app = app().await;
    let (_, broke) = open(&app, "Broke").await;
    app.publish_open(&limited(
        "limited",
        1,
        "2.00",
        (Some("5.00"), Some("50.00")),
        Some("10.00"),
    ))
    .await;
    app.open_event("finished", "2.00").await;
    app.publish(
        shared_messages::EventChange::Finished,
        &crate::helpers::event(
            "finished",
            2,
            shared_messages::EventStatus::FinishedWin,
            "2.00",
        ),
    )
    .await;
    app.wait_until("finished is closed", || async {
        !app.open_event_ids().await.iter().any(|id| id == "finished")
    })
    .await;

    let cases = [
        ("finished", "10.00", 409, "event-closed"),
        ("limited", "60.00", 422, "stake-out-of-range"),
        ("limited", "20.00", 409, "liability-limit"),
        ("limited", "10.00", 409, "insufficient-funds"),
        ("unknown", "10.00", 404, "event-not-found"),
    ];
    for (event, amount, status, expected) in cases {
        let problem = assert_problem(bet_as(&app, &broke, event, amount).await, status).await;
        assert_eq!(kind(&problem), expected, "{event} {amount}: {problem}");
    }
    assert_reconciled(&app).await;
}

#[tokio::test]
async fn a_blocked_account_places_no_bet_until_unblocked() {
    let app = app().await;
    let (id, token) = funded(&app, "Ada", "100.00").await;
    app.open_event("match-1", "2.00").await;
    let block = |blocked: bool| {
        app.http
            .patch(app.url(&format!("/accounts/{id}")))
            .bearer_auth(OPERATOR)
            .json(&json!({ "blocked": blocked }))
            .send()
    };
    assert_eq!(block(true).await.unwrap().status(), 200);
    let problem = assert_problem(bet_as(&app, &token, "match-1", "10.00").await, 403).await;
    assert_eq!(kind(&problem), "account-blocked");
    assert_eq!(
        balances(&app, &token).await,
        ("100.00".into(), "0.00".into())
    );

    assert_eq!(block(false).await.unwrap().status(), 200);
    assert_eq!(bet_as(&app, &token, "match-1", "10.00").await.status(), 201);
    assert_reconciled(&app).await;
}
