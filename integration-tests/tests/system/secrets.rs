//! A bettor's token never reaches a log line: the real bet-maker binary, logging everything
//! (`RUST_LOG=trace`, JSON as in containers), through a sign-up, reads with the token, a wrong
//! token, a rotation, a deposit and a withdrawal; then its whole output is searched.

use std::time::Duration;

use integration_tests::System;
use integration_tests::TOKEN;
use integration_tests::process::{Process, read_to_end};
use serde_json::{Value, json};

#[tokio::test]
async fn no_bettor_token_appears_in_bet_maker_s_output() {
    let system = System::new().await;
    let mut env = system.process_env("bet-maker");
    env.extend([
        ("ACCOUNTS", "true".to_owned()),
        ("RUST_LOG", "trace".to_owned()),
        ("LOG_FORMAT", "json".to_owned()),
    ]);
    // Read from the start: a trace log fills a pipe nobody drains, and the service waits on it.
    let (mut bm, stdout, stderr) = Process::start_on_pipes("bet-maker", &env);
    let out = read_to_end(stdout);
    let err = read_to_end(stderr);
    bm.wait_ready(&system.http).await;
    let http = &system.http;
    let url = |path: &str| format!("{}{path}", bm.address);

    let opened: Value = http
        .post(url("/accounts"))
        .json(&json!({ "name": "Ada" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first = opened["token"].as_str().unwrap().to_owned();
    let id = opened["id"].as_str().unwrap().to_owned();
    let read = http
        .get(url("/account"))
        .bearer_auth(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let deposited = http
        .post(url(&format!("/accounts/{id}/deposits")))
        .bearer_auth(TOKEN)
        .header("Idempotency-Key", "in-1")
        .json(&json!({ "amount": "20.00" }))
        .send()
        .await
        .unwrap();
    assert_eq!(deposited.status(), 201);
    let rotated: Value = http
        .post(url("/account/token"))
        .bearer_auth(&first)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second = rotated["token"].as_str().unwrap().to_owned();
    let refused = http
        .get(url("/account"))
        .bearer_auth(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let withdrawn = http
        .post(url("/account/withdrawals"))
        .bearer_auth(&second)
        .header("Idempotency-Key", "out-1")
        .json(&json!({ "amount": "5.00" }))
        .send()
        .await
        .unwrap();
    assert_eq!(withdrawn.status(), 201);

    bm.interrupt();
    let status = bm.exited(Duration::from_secs(15)).await;
    assert_eq!(status.code(), Some(0));
    let output = out.join().unwrap() + &err.join().unwrap();
    assert!(
        output.contains("account opened"),
        "the log was read: {output:.2000}"
    );
    assert!(output.contains("money moved"));
    for token in [&first, &second] {
        assert!(!output.contains(token.as_str()), "a token in the log");
        // Nor its random part alone, in case something trimmed the prefix.
        assert!(!output.contains(&token["bm_".len()..]));
    }
}
