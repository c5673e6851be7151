//! Migrations that brought accounts, on a database an older bet-maker filled: every bet stored
//! before is an anonymous bet and reads as before, its Idempotency-Key still its own.

use serde_json::{Value, json};

use crate::helpers::{Options, spawn_app_with};
use crate::migration::database_at;

/// The schema version before bets could belong to an account.
const BEFORE_BETS_OF_ACCOUNTS: i32 = 6;
/// The last schema version that kept what a wallet took on the bet's own row.
const PAID_ON_THE_BET: i32 = 11;

#[tokio::test]
async fn bets_stored_before_accounts_are_anonymous_and_read_as_before() {
    let (database, old) = database_at(BEFORE_BETS_OF_ACCOUNTS).await;
    old.batch_execute(
        "INSERT INTO events (id, coefficient, deadline, status, version, settled_at)
         VALUES ('done', 1.85, now() - interval '1 day', 'finished_win', 2, now()),
                ('open', 2.00, now() + interval '1 day', 'new', 1, NULL);
         INSERT INTO bets (id, event_id, amount, coefficient, idempotency_key)
         VALUES ('0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b', 'done', 10.00, 1.85, NULL),
                ('0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6c', 'open', 10.00, 2.00, 'slip-1');
         INSERT INTO event_tallies (event_id, stripe, bets, stake, payout)
         VALUES ('done', 0, 1, 10.00, 18.50), ('open', 0, 1, 10.00, 20.00);",
    )
    .await
    .unwrap();
    drop(old);
    let app = spawn_app_with(Options {
        database: Some(database),
        admin_token: Some("operator-s3cret"),
        accounts: true,
        ..Options::default()
    })
    .await;
    let bet: Value = app
        .get_json("/bets/0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b")
        .await;
    assert_eq!(bet["status"], "won");
    assert_eq!(bet["amount"].to_string(), "10.00");
    assert_eq!(bet.get("account_id"), Some(&Value::Null));
    assert_eq!(bet.get("paid_at"), Some(&Value::Null));
    // Anonymous: listed to a caller without a token.
    let history: Value = app.get_json("/bets").await;
    assert_eq!(history.as_array().unwrap().len(), 2);
    assert_eq!(history[0]["account_id"], Value::Null);

    // The stored key still names its bet among the anonymous ones, and no account's.
    let keyed = |token: Option<String>| {
        let mut request = app
            .http
            .post(app.url("/bet"))
            .header("Idempotency-Key", "slip-1")
            .json(&json!({ "event_id": "open", "amount": "10.00" }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let replay = keyed(None).await.unwrap();
    assert_eq!(replay.status(), 200);
    assert_eq!(
        replay.json::<Value>().await.unwrap()["id"],
        "0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6c"
    );
    let opened: Value = app
        .http
        .post(app.url("/accounts"))
        .json(&json!({ "name": "Ada" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = opened["token"].as_str().unwrap().to_owned();
    // The account has no money: its own scope, so a refusal for funds, not a replay.
    let problem: Value = keyed(Some(token)).await.unwrap().json().await.unwrap();
    assert!(
        problem["type"]
            .as_str()
            .unwrap()
            .ends_with("insufficient-funds"),
        "{problem}"
    );
}

#[tokio::test]
async fn what_wallets_took_before_paid_bets_is_kept_and_never_paid_again() {
    let (database, old) = database_at(PAID_ON_THE_BET).await;
    // Ada's two bets on a won event: the first's win taken (its line and count written, as a
    // payout did), the second's not yet.
    old.batch_execute(
        "INSERT INTO events (id, coefficient, deadline, status, version, settled_at)
         VALUES ('done', 2.00, now() - interval '1 day', 'finished_win', 2, now());
         INSERT INTO accounts (id, name, token_hash, available, held, stripe)
         VALUES ('0193a1b2-7c4d-7e8f-9a0b-000000000001', 'Ada', sha256('ada'), 20.00, 10.00, 0);
         INSERT INTO bets (id, event_id, amount, coefficient, account_id, paid_result, paid_at)
         VALUES ('0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a01', 'done', 10.00, 2.00,
                 '0193a1b2-7c4d-7e8f-9a0b-000000000001', 'finished_win', '2026-12-01T10:00:00Z'),
                ('0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a02', 'done', 10.00, 2.00,
                 '0193a1b2-7c4d-7e8f-9a0b-000000000001', NULL, NULL);
         INSERT INTO event_tallies (event_id, stripe, bets, stake, payout, account_bets)
         VALUES ('done', 0, 2, 20.00, 40.00, 2);
         INSERT INTO paid_counts (event_id, result, stripe, bets)
         VALUES ('done', 'finished_win', 0, 1);",
    )
    .await
    .unwrap();
    drop(old);
    let app = spawn_app_with(Options {
        database: Some(database),
        admin_token: Some("operator-s3cret"),
        accounts: true,
        ..Options::default()
    })
    .await;
    app.wait_until("the event is paid", || async {
        app.sql_count("SELECT count(*) FROM events WHERE paid_version = version")
            .await
            == 1
    })
    .await;
    // Only the second bet's win was taken now: the first had taken its own.
    assert_eq!(
        app.sql_count("SELECT count(*) FROM ledger WHERE kind = 'won'")
            .await,
        1
    );
    assert_eq!(
        app.sql_text("SELECT available::text FROM accounts").await,
        Some("40.00".into())
    );
    let first: Value = app
        .http
        .get(app.url("/bets/0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a01"))
        .bearer_auth("operator-s3cret")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(first["paid_at"], "2026-12-01T10:00:00Z");
}
