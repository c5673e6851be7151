//! The statement, the operator's list of accounts, and the ledger that only grows.

use serde_json::{Value, json};

use super::{OPERATOR, app, assert_reconciled, deposit, get_with, open, withdraw};
use crate::helpers::assert_problem;

#[tokio::test]
async fn the_statement_pages_newest_first_and_its_lines_add_up_to_available() {
    let app = app().await;
    let (id, token) = open(&app, "Ada").await;
    let (other, _) = open(&app, "Grace").await;
    for n in 1..=5 {
        let amount = format!("{n}.00");
        assert_eq!(
            deposit(&app, &id, &amount, &format!("in-{n}"))
                .await
                .status(),
            201
        );
        assert_eq!(
            deposit(&app, &other, "1.00", &format!("in-{n}"))
                .await
                .status(),
            201
        );
    }
    assert_eq!(withdraw(&app, &token, "2.50", "out").await.status(), 201);
    let all: Value = get_with(&app, "/account/statement", &token)
        .await
        .json()
        .await
        .unwrap();
    let lines = all.as_array().unwrap();
    assert_eq!(lines.len(), 6, "only the account's own lines");
    assert_eq!(lines[0]["kind"], "withdrawal");
    assert_eq!(lines[0]["available"].to_string(), "12.50");
    let sum: rust_decimal::Decimal = lines
        .iter()
        .map(|line| {
            line["amount"]
                .to_string()
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    assert_eq!(sum.to_string(), "12.50");
    let first_page: Value = get_with(&app, "/account/statement?limit=4", &token)
        .await
        .json()
        .await
        .unwrap();
    let last = first_page[3]["id"].as_i64().unwrap();
    let second_page: Value = get_with(
        &app,
        &format!("/account/statement?limit=4&before={last}"),
        &token,
    )
    .await
    .json()
    .await
    .unwrap();
    let ids: Vec<&Value> = first_page
        .as_array()
        .unwrap()
        .iter()
        .chain(second_page.as_array().unwrap())
        .map(|line| &line["id"])
        .collect();
    let expected: Vec<&Value> = lines.iter().map(|line| &line["id"]).collect();
    assert_eq!(ids, expected);
    for query in ["limit=0", "limit=1001", "before=x", "before=-1"] {
        assert_problem(
            get_with(&app, &format!("/account/statement?{query}"), &token).await,
            422,
        )
        .await;
    }
    assert_reconciled(&app).await;
}

#[tokio::test]
async fn operators_list_and_read_accounts_and_deposit_only_into_real_ones() {
    let app = app().await;
    let (first, _) = open(&app, "Ada").await;
    let (second, _) = open(&app, "Grace").await;
    let listed: Value = get_with(&app, "/accounts", OPERATOR)
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|account| account["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second.as_str(), first.as_str()], "newest first");
    let page: Value = get_with(
        &app,
        &format!("/accounts?limit=1&before={second}"),
        OPERATOR,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(page[0]["id"], first.as_str());
    assert_eq!(page.as_array().unwrap().len(), 1);
    assert!(listed[0].get("token").is_none());
    let missing = "0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b";
    assert_problem(deposit(&app, missing, "1.00", "k").await, 404).await;
    assert_problem(deposit(&app, "not-a-uuid", "1.00", "k").await, 404).await;
    let control = app
        .http
        .post(app.url(&format!("/accounts/{first}/deposits")))
        .bearer_auth(OPERATOR)
        .header("Idempotency-Key", "nul")
        .json(&json!({ "amount": "1.00", "reference": "a\u{0}b" }))
        .send()
        .await
        .unwrap();
    assert_eq!(assert_problem(control, 422).await["field"], "reference");
    assert_problem(
        get_with(&app, &format!("/accounts/{missing}"), OPERATOR).await,
        404,
    )
    .await;
    for name in ["", &"x".repeat(65), "tab	name"] {
        let response = app
            .http
            .post(app.url("/accounts"))
            .json(&json!({ "name": name }))
            .send()
            .await
            .unwrap();
        assert_problem(response, 422).await;
    }
    assert_reconciled(&app).await;
}

#[tokio::test]
async fn the_ledger_is_append_only() {
    let app = app().await;
    let (id, _) = open(&app, "Ada").await;
    assert_eq!(deposit(&app, &id, "10.00", "in").await.status(), 201);
    let client = app.app_client().await;
    for statement in [
        "UPDATE ledger SET available_leg = 1000",
        "DELETE FROM ledger",
        "TRUNCATE ledger",
    ] {
        let error = client.batch_execute(statement).await.unwrap_err();
        assert!(
            error.to_string().contains("append-only")
                || format!("{error:?}").contains("append-only"),
            "{statement}: {error:?}"
        );
    }
    let unbalanced = client
        .batch_execute(&format!(
            "INSERT INTO ledger (account_id, kind, available_leg, held_leg, book_leg, outside_leg, available)
             VALUES ('{id}', 'deposit', 10, 0, 0, 0, 10)"
        ))
        .await
        .unwrap_err();
    assert!(
        format!("{unbalanced:?}").contains("ledger_balanced"),
        "{unbalanced:?}"
    );
    assert_reconciled(&app).await;
}
