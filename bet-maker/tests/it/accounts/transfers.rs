//! Deposits and withdrawals: once per Idempotency-Key, never more out than is available, not
//! from a blocked account, under any concurrency.

use serde_json::{Value, json};

use super::{OPERATOR, account, app, assert_reconciled, deposit, get_with, open, withdraw};
use crate::helpers::assert_problem;

#[tokio::test]
async fn a_deposit_needs_a_key_and_happens_once_per_key() {
    let app = app().await;
    let (id, token) = open(&app, "Ada").await;
    let without_key = app
        .http
        .post(app.url(&format!("/accounts/{id}/deposits")))
        .bearer_auth(OPERATOR)
        .json(&json!({ "amount": "10.00" }))
        .send()
        .await
        .unwrap();
    let body = assert_problem(without_key, 400).await;
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .ends_with("idempotency-key-missing")
    );

    let first = deposit(&app, &id, "100.00", "psp-callback-1").await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["kind"], "deposit");
    assert_eq!(first["amount"].to_string(), "100.00");
    assert_eq!(first["available"].to_string(), "100.00");
    assert_eq!(first["bet_id"], Value::Null);

    let replay = deposit(&app, &id, "100.00", "psp-callback-1").await;
    assert_eq!(replay.status(), 200);
    assert_eq!(replay.headers()["idempotency-replayed"], "true");
    assert_eq!(replay.json::<Value>().await.unwrap()["id"], first["id"]);

    let other_amount = deposit(&app, &id, "99.00", "psp-callback-1").await;
    let body = assert_problem(other_amount, 422).await;
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .ends_with("idempotency-key-reused")
    );

    assert_eq!(
        account(&app, &token).await["available"].to_string(),
        "100.00"
    );
    let lines: Value = get_with(&app, "/account/statement", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(lines.as_array().unwrap().len(), 1);
    assert_reconciled(&app).await;
}

#[tokio::test]
async fn racing_deposits_with_one_key_move_the_money_once() {
    let app = app().await;
    let (id, token) = open(&app, "Ada").await;
    let racing = (0..16).map(|_| deposit(&app, &id, "25.00", "one-callback"));
    let statuses: Vec<u16> = futures_util::future::join_all(racing)
        .await
        .iter()
        .map(|response| response.status().as_u16())
        .collect();
    assert_moved_once(&statuses);
    assert_eq!(
        account(&app, &token).await["available"].to_string(),
        "25.00"
    );
    assert_reconciled(&app).await;
}

#[tokio::test]
async fn racing_withdrawals_never_take_more_than_is_available_not_by_a_cent() {
    let app = app().await;
    let (id, token) = open(&app, "Ada").await;
    assert_eq!(deposit(&app, &id, "100.00", "in").await.status(), 201);
    let racing = (0..64).map(|n| {
        let key = format!("out-{n}");
        let token = token.clone();
        let app = &app;
        async move { withdraw(app, &token, "10.00", &key).await }
    });
    let responses = futures_util::future::join_all(racing).await;
    let mut accepted = 0;
    for response in responses {
        match response.status().as_u16() {
            201 => accepted += 1,
            409 => {
                let body = assert_problem(response, 409).await;
                assert!(
                    body["type"]
                        .as_str()
                        .unwrap()
                        .ends_with("insufficient-funds")
                );
                assert_eq!(body["available"].to_string(), "0.00");
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(accepted, 10);
    assert_eq!(account(&app, &token).await["available"].to_string(), "0.00");
    assert_reconciled(&app).await;
}

#[tokio::test]
async fn racing_withdrawals_with_one_key_take_the_money_once_and_all_answer_its_line() {
    let app = app().await;
    let (id, token) = open(&app, "Ada").await;
    assert_eq!(deposit(&app, &id, "150.00", "in").await.status(), 201);
    let racing = (0..16).map(|_| withdraw(&app, &token, "100.00", "one-payout"));
    let responses = futures_util::future::join_all(racing).await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_moved_once(&statuses);
    assert_eq!(
        account(&app, &token).await["available"].to_string(),
        "50.00"
    );
    assert_reconciled(&app).await;
}

#[tokio::test]
async fn a_withdrawal_over_what_is_available_is_refused_and_says_how_much_is() {
    let app = app().await;
    let (id, token) = open(&app, "Ada").await;
    assert_eq!(deposit(&app, &id, "30.00", "in").await.status(), 201);
    let body = assert_problem(withdraw(&app, &token, "30.01", "out-1").await, 409).await;
    assert_eq!(body["available"].to_string(), "30.00");
    assert_eq!(body["field"], "amount");
    let taken = withdraw(&app, &token, "12.50", "out-2").await;
    assert_eq!(taken.status(), 201);
    let line: Value = taken.json().await.unwrap();
    assert_eq!(line["kind"], "withdrawal");
    assert_eq!(line["amount"].to_string(), "-12.50");
    assert_eq!(line["available"].to_string(), "17.50");
    let replay = withdraw(&app, &token, "12.50", "out-2").await;
    assert_eq!(replay.status(), 200);
    assert_eq!(
        account(&app, &token).await["available"].to_string(),
        "17.50"
    );
    for (amount, status) in [("0", 422), ("-1.00", 422), ("1.001", 422), ("abc", 422)] {
        assert_problem(
            withdraw(&app, &token, amount, &format!("bad-{amount}")).await,
            status,
        )
        .await;
    }
    assert_reconciled(&app).await;
}

#[tokio::test]
async fn a_blocked_account_reads_its_money_but_withdraws_none_until_unblocked() {
    let app = app().await;
    let (id, token) = open(&app, "Ada").await;
    assert_eq!(deposit(&app, &id, "50.00", "in").await.status(), 201);
    let block = |blocked: bool| {
        app.http
            .patch(app.url(&format!("/accounts/{id}")))
            .bearer_auth(OPERATOR)
            .json(&json!({ "blocked": blocked }))
            .send()
    };
    let blocked: Value = block(true).await.unwrap().json().await.unwrap();
    assert_eq!(blocked["blocked"], true);
    let body = assert_problem(withdraw(&app, &token, "10.00", "out-1").await, 403).await;
    assert!(body["type"].as_str().unwrap().ends_with("account-blocked"));
    assert_eq!(account(&app, &token).await["blocked"], true);
    assert_eq!(
        get_with(&app, "/account/statement", &token).await.status(),
        200
    );
    assert_eq!(deposit(&app, &id, "5.00", "in-2").await.status(), 201);
    assert_eq!(block(false).await.unwrap().status(), 200);
    assert_eq!(withdraw(&app, &token, "10.00", "out-1").await.status(), 201);
    assert_eq!(
        account(&app, &token).await["available"].to_string(),
        "45.00"
    );
    assert_reconciled(&app).await;
}

/// Requests that raced with one Idempotency-Key: exactly one moved the money (201), and every
/// other answered that line (200).
fn assert_moved_once(statuses: &[u16]) {
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 200),
        "{statuses:?}"
    );
}
