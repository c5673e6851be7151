//! Figure 10: `POST /bet` from accounts (64 clients over many funded accounts) against
//! anonymous `POST /bet` in the same run; and one account's 64 concurrent bets with funds for
//! exactly N of them (a correctness figure, like figure 8's limit).

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, ensure};
use futures_util::StreamExt;
use serde_json::{Value, json};

use super::{Results, bet_call, betting_event, seeding, thousands};
use crate::baseline;
use crate::load;
use crate::report::{Goal, Row};
use crate::sizes::Sizes;
use crate::system::{System, TOKEN};

/// Clients of the loads and connections of pgbench.
const CLIENTS: usize = 64;

/// Opens `count` accounts and deposits `amount` into each; their tokens.
async fn funded_accounts(
    system: &System,
    count: usize,
    amount: &str,
) -> anyhow::Result<Vec<String>> {
    let http = reqwest::Client::new();
    let base = format!("http://{}", system.bet_maker_address);
    let open = |n: usize| {
        let http = http.clone();
        let base = base.clone();
        let amount = amount.to_owned();
        async move {
            let opened: Value = http
                .post(format!("{base}/accounts"))
                .json(&json!({ "name": format!("bettor {n}") }))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            let id = opened["id"].as_str().context("an account id")?;
            http.post(format!("{base}/accounts/{id}/deposits"))
                .bearer_auth(TOKEN)
                .header("Idempotency-Key", format!("funds-{id}"))
                .json(&json!({ "amount": amount }))
                .send()
                .await?
                .error_for_status()?;
            anyhow::Ok(opened["token"].as_str().context("a token")?.to_owned())
        }
    };
    futures_util::stream::iter(0..count)
        .map(open)
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// Figure 10.
pub async fn account_bets(
    system: &System,
    sizes: &Sizes,
    work: &Path,
    results: &mut Results,
) -> anyhow::Result<()> {
    let tokens = funded_accounts(system, sizes.accounts, "1000000.00").await?;
    // The load's calls borrow their token for the whole run.
    let tokens: &'static [String] = Box::leak(tokens.into_boxed_slice());
    let address = system.bet_maker_address;
    let anonymous = load::run(
        address,
        CLIENTS,
        201,
        sizes.warmup,
        sizes.load,
        Arc::new(bet_call),
    )
    .await?;
    results.run(
        format!("POST /bet, anonymous, {CLIENTS} clients (figure 10's baseline)"),
        &anonymous,
    );
    let from_accounts = load::run(
        address,
        CLIENTS,
        201,
        sizes.warmup,
        sizes.load,
        Arc::new(move |client: usize, n: u64| {
            let mut call = bet_call(client, n);
            call.token = Some(tokens[(client * 7_919 + n as usize * 64) % tokens.len()].as_str());
            call
        }),
    )
    .await?;
    results.run(
        format!("POST /bet from accounts, {CLIENTS} clients"),
        &from_accounts,
    );
    let accounts = thousands(sizes.accounts);
    results.rows.push(
        Row::new(
            format!("10 POST /bet from accounts, {CLIENTS} clients over {accounts} accounts"),
            from_accounts.per_second,
            "bets/s",
        )
        .baseline("anonymous POST /bet", anonymous.per_second)
        .goal(Goal::RatioAtLeast(0.9))
        .details(json!({ "accounts": from_accounts, "anonymous": anonymous })),
    );
    results.rows.push(
        Row::new(
            format!(
                "10 POST /bet from accounts p99, {CLIENTS} clients (p50 {:.2}, p99.9 {:.2})",
                from_accounts.p50_ms, from_accounts.p999_ms
            ),
            from_accounts.p99_ms,
            "ms",
        )
        .baseline("anonymous p99", anonymous.p99_ms)
        .goal(Goal::RatioAtMost(1.2)),
    );
    statement_alone(system, sizes, work, results).await?;
    exact_funds(system, results).await
}

/// What the bet's statement alone gives: pgbench running `PLACE_BET` anonymous, then from
/// accounts (as many, funded alike, opened by [`seeding`]), at the same 64 connections. The
/// service's ratio cannot beat this one: it is the stake's writes, without HTTP or a token.
async fn statement_alone(
    system: &System,
    sizes: &Sizes,
    work: &Path,
    results: &mut Results,
) -> anyhow::Result<()> {
    seeding::accounts(system, "pgbench", sizes.accounts, "1000000.00").await?;
    system.settle().await?;
    let database = &system.bet_maker_database;
    let anonymous =
        baseline::pgbench_bet(database, CLIENTS, sizes.warmup, sizes.load, work).await?;
    let from_accounts = baseline::pgbench_account_bet(
        database,
        ("pgbench", sizes.accounts),
        CLIENTS,
        sizes.warmup,
        sizes.load,
        work,
    )
    .await?;
    results.run(
        "pgbench, bet statement, anonymous, 64 clients (figure 10)",
        &anonymous,
    );
    results.run(
        "pgbench, bet statement from accounts, 64 clients (figure 10)",
        &from_accounts,
    );
    results.rows.push(
        Row::new(
            format!("10 … the bet's statement alone from accounts (pgbench), {CLIENTS} clients"),
            from_accounts.per_second,
            "bets/s",
        )
        .baseline("anonymous (pgbench)", anonymous.per_second)
        .details(json!({ "accounts": from_accounts, "anonymous": anonymous })),
    );
    Ok(())
}

/// One account with funds for exactly `FUNDED` bets, 64 of them at once: how many are placed,
/// and what is left available.
async fn exact_funds(system: &System, results: &mut Results) -> anyhow::Result<()> {
    const FUNDED: usize = 10;
    let token = funded_accounts(system, 1, &format!("{}.00", FUNDED * 10))
        .await?
        .remove(0);
    let http = reqwest::Client::new();
    let base = format!("http://{}", system.bet_maker_address);
    let event = betting_event(0);
    let bets = (0..64).map(|_| {
        http.post(format!("{base}/bet"))
            .bearer_auth(&token)
            .json(&json!({ "event_id": event, "amount": "10.00" }))
            .send()
    });
    let mut placed = 0;
    for response in futures_util::future::join_all(bets).await {
        let status = response?.status().as_u16();
        ensure!(
            matches!(status, 201 | 409),
            "a racing bet answered {status}"
        );
        placed += usize::from(status == 201);
    }
    let account: Value = http
        .get(format!("{base}/account"))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    let left = account["available"].to_string();
    results.rows.push(
        Row::new(
            format!("10 one account, 64 concurrent bets of 10.00, funds for {FUNDED}: placed (available after: {left})"),
            placed as f64,
            "bets",
        )
        .goal(Goal::AtLeast(FUNDED as f64))
        .details(json!({ "placed": placed, "funded": FUNDED, "available": left })),
    );
    ensure!(
        placed == FUNDED && left == "0.00",
        "{placed} bets placed with funds for {FUNDED}, {left} left"
    );
    Ok(())
}
