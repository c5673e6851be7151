//! Accounts, their tokens, deposits, withdrawals, the statement and the ledger: who may do
//! what, at most once per Idempotency-Key, never more than is available, and every line
//! balanced (the reconciliation below finds nothing after every test).

use serde_json::{Value, json};

use crate::helpers::{Options, TestApp, assert_problem, spawn_app_with};

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
/// the totals are the sums of all lines, every line balances, and `GET /ledger` says
/// deposits − withdrawals = available + held + book.
async fn assert_reconciled(app: &TestApp) {
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

#[tokio::test]
async fn an_account_opens_with_a_token_that_reads_it_and_is_stored_only_hashed() {
    let app = app().await;
    let (id, token) = open(&app, "Ada").await;
    assert!(token.len() >= 40, "{token}");
    let read = account(&app, &token).await;
    assert_eq!(read["id"], id.as_str());
    assert_eq!(read["available"].to_string(), "0.00");
    assert_eq!(read["held"].to_string(), "0.00");
    assert_eq!(read["blocked"], false);
    let stored = app
        .sql_count(&format!(
            "SELECT count(*) FROM accounts
             WHERE token_hash = sha256(convert_to('{token}', 'UTF8')) AND id = '{id}'"
        ))
        .await;
    assert_eq!(stored, 1, "the token's SHA-256 is stored");
    let plain = app
        .sql_count(&format!(
            "SELECT count(*) FROM accounts WHERE position(convert_to('{token}', 'UTF8') IN token_hash) > 0"
        ))
        .await;
    assert_eq!(plain, 0, "the token itself is not stored");
    let (_, other) = open(&app, "Grace").await;
    assert_ne!(other, token);
    assert_reconciled(&app).await;
}

#[tokio::test]
async fn bettor_routes_want_a_bettor_s_token_and_operator_routes_the_operator_s() {
    let app = app().await;
    let (id, token) = open(&app, "Ada").await;
    for bettor_route in ["/account", "/account/statement"] {
        let missing = app.get(bettor_route).await;
        assert_problem(missing, 401).await;
        assert_problem(get_with(&app, bettor_route, "bm_wrong").await, 401).await;
        let body = assert_problem(get_with(&app, bettor_route, OPERATOR).await, 401).await;
        assert!(body["type"].as_str().unwrap().ends_with("unauthorized"));
    }
    for operator_route in ["/accounts", &format!("/accounts/{id}"), "/ledger"] {
        assert_problem(get_with(&app, operator_route, &token).await, 401).await;
        assert_eq!(get_with(&app, operator_route, OPERATOR).await.status(), 200);
    }
    let as_bettor = app
        .http
        .post(app.url(&format!("/accounts/{id}/deposits")))
        .bearer_auth(&token)
        .header("Idempotency-Key", "k")
        .json(&json!({ "amount": "10.00" }))
        .send()
        .await
        .unwrap();
    assert_problem(as_bettor, 401).await;
    assert_eq!(account(&app, &token).await["available"].to_string(), "0.00");
}

#[tokio::test]
async fn a_new_token_works_at_once_and_the_old_one_no_more() {
    let app = app().await;
    let (id, old) = open(&app, "Ada").await;
    let response = app
        .http
        .post(app.url("/account/token"))
        .bearer_auth(&old)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let new = response.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new, old);
    assert_problem(get_with(&app, "/account", &old).await, 401).await;
    assert_eq!(account(&app, &new).await["id"], id.as_str());
}

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
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 200),
        "{statuses:?}"
    );
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
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 200),
        "{statuses:?}"
    );
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

#[tokio::test]
async fn without_accounts_on_their_routes_are_neither_served_nor_documented() {
    let off = crate::helpers::spawn_app().await;
    let on = app().await;
    let paths = [
        ("/accounts", "post"),
        ("/accounts", "get"),
        ("/accounts/{id}", "patch"),
        ("/accounts/{id}/deposits", "post"),
        ("/account", "get"),
        ("/account/token", "post"),
        ("/account/statement", "get"),
        ("/account/withdrawals", "post"),
        ("/ledger", "get"),
    ];
    let served_off: Value = off.get_json("/openapi.json").await;
    let served_on: Value = on.get_json("/openapi.json").await;
    for (path, method) in paths {
        assert!(
            served_off["paths"][path].is_null(),
            "{path} documented while off"
        );
        assert!(
            served_on["paths"][path][method].is_object(),
            "{method} {path} missing"
        );
    }
    assert!(served_on["components"]["securitySchemes"]["bettor_token"].is_object());
    test_support::assert_unique_operation_ids(&served_on);
    assert_eq!(off.get("/account").await.status(), 404);
    let sign_up = off
        .http
        .post(off.url("/accounts"))
        .json(&json!({ "name": "Ada" }))
        .send()
        .await
        .unwrap();
    assert_eq!(sign_up.status(), 404);
    assert_eq!(off.get("/events").await.status(), 200);
}
