//! Opening an account, its token (stored only as a hash), who may use which route, and the
//! routes off without `ACCOUNTS=true`.

use serde_json::{Value, json};

use super::{OPERATOR, account, app, assert_reconciled, get_with, open};
use crate::helpers::assert_problem;

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
