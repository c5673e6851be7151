//! Accounts, their tokens, deposits, withdrawals, the statement and the ledger: who may do
//! what, at most once per Idempotency-Key, never more than is available, and every line
//! balanced (the reconciliation below finds nothing after every test).

use serde_json::{Value, json};

use crate::helpers::{Options, TestApp, spawn_app_with};

const OPERATOR: &str = "operator-s3cret";

async fn app() -> TestApp {
    spawn_app_with(Options {
        admin_token: Some(OPERATOR),
        accounts: true,
        ..Options::default()
    })
    .await
}

/// Opens an account; its id and token.
async fn open(app: &TestApp, name: &str) -> (String, String) {
    let response = app
        .http
        .post(app.url("/accounts"))
        .json(&json!({ "name": name }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["name"], name);
    (
        body["id"].as_str().unwrap().to_owned(),
        body["token"].as_str().unwrap().to_owned(),
    )
}

async fn deposit(app: &TestApp, account: &str, amount: &str, key: &str) -> reqwest::Response {
    app.http
        .post(app.url(&format!("/accounts/{account}/deposits")))
        .bearer_auth(OPERATOR)
        .header("Idempotency-Key", key)
        .json(&json!({ "amount": amount, "reference": "psp-1" }))
        .send()
        .await
        .unwrap()
}

async fn withdraw(app: &TestApp, token: &str, amount: &str, key: &str) -> reqwest::Response {
    app.http
        .post(app.url("/account/withdrawals"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&json!({ "amount": amount }))
        .send()
        .await
        .unwrap()
}

async fn get_with(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.http
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn account(app: &TestApp, token: &str) -> Value {
    let response = get_with(app, "/account", token).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// What must hold at every moment: each account's balances are the sums of its lines' legs,
/// each account bet has its one stake line and its stake is held until its wallet took a
/// result, the totals are the sums of all lines, every line balances, and `GET /ledger` says
/// deposits − withdrawals = available + held + book.
pub(crate) async fn assert_reconciled(app: &TestApp) {
    let broken = app
        .sql_count(
            "SELECT count(*) FROM accounts a LEFT JOIN (
                 SELECT account_id, sum(available_leg) AS available, sum(held_leg) AS held
                 FROM ledger GROUP BY account_id) l ON l.account_id = a.id
             WHERE a.available <> coalesce(l.available, 0) OR a.held <> coalesce(l.held, 0)",
        )
        .await;
    assert_eq!(
        broken, 0,
        "accounts whose balances are not their lines' sums"
    );
    let stakes = app
        .sql_count(
            "SELECT (SELECT count(*) FROM bets b WHERE b.account_id IS NOT NULL
                       AND (SELECT count(*) FROM ledger l WHERE l.bet_id = b.id AND l.kind = 'stake'
                              AND l.account_id = b.account_id AND l.available_leg = -b.amount) <> 1)
                  + (SELECT count(*) FROM ledger l WHERE l.kind = 'stake'
                       AND NOT EXISTS (SELECT FROM bets b WHERE b.id = l.bet_id))
                  + (SELECT count(*) FROM accounts a
                       WHERE a.held <> (SELECT coalesce(sum(b.amount), 0) FROM bets b
                                        WHERE b.account_id = a.id
                                          AND NOT EXISTS (SELECT FROM paid_bets p
                                                          WHERE p.bet_id = b.id)))",
        )
        .await;
    assert_eq!(
        stakes, 0,
        "account bets without their one stake line, stake lines without a bet, or held that is not the unpaid stakes"
    );
    let stranded = app
        .sql_count(
            "SELECT count(*) FROM bets b JOIN events e ON e.id = b.event_id
                  LEFT JOIN paid_bets p ON p.bet_id = b.id
             WHERE b.account_id IS NOT NULL AND e.paid_version = e.version
               AND p.result IS DISTINCT FROM e.status",
        )
        .await;
    assert_eq!(
        stranded, 0,
        "bets of an event marked paid whose wallet has another result"
    );
    let unbalanced = app
        .sql_count(
            "SELECT count(*) FROM ledger
             WHERE available_leg + held_leg + book_leg + outside_leg <> 0",
        )
        .await;
    assert_eq!(unbalanced, 0);
    let totals = app
        .sql_text(
            "SELECT ((SELECT (sum(deposits), sum(withdrawals), sum(available), sum(held), sum(book))
                     FROM ledger_totals)
                    = (SELECT (coalesce(sum(-outside_leg) FILTER (WHERE kind = 'deposit'), 0),
                               coalesce(sum(outside_leg) FILTER (WHERE kind = 'withdrawal'), 0),
                               coalesce(sum(available_leg), 0), coalesce(sum(held_leg), 0),
                               coalesce(sum(book_leg), 0))
                       FROM ledger))::text",
        )
        .await;
    assert_eq!(
        totals.as_deref(),
        Some("true"),
        "the totals drifted from the lines"
    );
    let ledger: Value = get_with(app, "/ledger", OPERATOR)
        .await
        .json()
        .await
        .unwrap();
    let cents = |member: &str| -> i64 {
        let text = ledger[member].to_string();
        let value: rust_decimal::Decimal = text.parse().unwrap();
        (value * rust_decimal::Decimal::from(100))
            .try_into()
            .unwrap()
    };
    assert_eq!(
        cents("deposits") - cents("withdrawals"),
        cents("available") + cents("held") + cents("book"),
        "{ledger}"
    );
}

mod bets;
mod corrections;
mod payouts;
mod races;
mod statement;
mod tokens;
mod transfers;
mod visibility;
