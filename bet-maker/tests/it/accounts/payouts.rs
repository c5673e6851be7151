//! Results taken into wallets: a win pays stake × odds, a loss keeps the stake, a void gives it
//! back, a correction posts the difference (even below zero, which then stops bets and
//! withdrawals); by the worker in the background, and by a bettor's own read however far the
//! worker is behind.

use serde_json::Value;
use shared_messages::{EventChange, EventStatus};

use super::bets::{balances, bet_as, funded};
use super::{OPERATOR, app, assert_reconciled, deposit, get_with, withdraw};
use crate::helpers::{TestApp, assert_problem, event, server_url, with_database};

pub(super) async fn settle(app: &TestApp, change: EventChange, version: u64, status: EventStatus) {
    app.publish(change, &event("match-1", version, status, "2.50"))
        .await;
}

/// Waits until the account of `token` shows `available` and `held`.
pub(super) async fn wait_for_balances(app: &TestApp, token: &str, available: &str, held: &str) {
    app.wait_until(&format!("available {available}, held {held}"), || async {
        balances(app, token).await == (available.to_owned(), held.to_owned())
    })
    .await;
}

pub(super) async fn statement_kinds(app: &TestApp, token: &str) -> Vec<(String, String)> {
    let lines: Value = get_with(app, "/account/statement", token)
        .await
        .json()
        .await
        .unwrap();
    lines
        .as_array()
        .unwrap()
        .iter()
        .map(|line| {
            (
                line["kind"].as_str().unwrap().to_owned(),
                line["amount"].to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_win_pays_stake_times_odds_a_loss_keeps_the_stake_and_a_void_gives_it_back() {
    let app = app().await;
    let (_, winner) = funded(&app, "Ada", "100.00").await;
    app.open_event("match-1", "2.50").await;
    let bet: Value = bet_as(&app, &winner, "match-1", "30.00")
        .await
        .json()
        .await
        .unwrap();
    settle(&app, EventChange::Finished, 2, EventStatus::FinishedWin).await;
    wait_for_balances(&app, &winner, "145.00", "0.00").await;
    assert_eq!(
        statement_kinds(&app, &winner).await[0],
        ("won".into(), "75.00".into())
    );
    let paid = get_with(
        &app,
        &format!("/bets/{}", bet["id"].as_str().unwrap()),
        &winner,
    )
    .await
    .json::<Value>()
    .await
    .unwrap();
    assert_eq!(paid["status"], "won");
    assert_ne!(paid["paid_at"], Value::Null);
    let ledger: Value = get_with(&app, "/ledger", OPERATOR)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ledger["book"].to_string(), "-45.00");

    // The result changes: a loss keeps the stake, then a void gives it back; each a correction.
    settle(&app, EventChange::Corrected, 3, EventStatus::FinishedLose).await;
    wait_for_balances(&app, &winner, "70.00", "0.00").await;
    assert_eq!(
        statement_kinds(&app, &winner).await[0],
        ("correction".into(), "-75.00".into())
    );
    settle(&app, EventChange::Corrected, 4, EventStatus::Cancelled).await;
    wait_for_balances(&app, &winner, "100.00", "0.00").await;
    let ledger: Value = get_with(&app, "/ledger", OPERATOR)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ledger["book"].to_string(), "0.00");
    assert_eq!(
        app.sql_count("SELECT count(*) FROM ledger WHERE bet_id IS NOT NULL")
            .await,
        4
    );
    assert_reconciled(&app).await;
}

#[tokio::test]
async fn a_bettor_s_own_read_takes_the_result_however_far_the_worker_is_behind() {
    let app = app().await;
    let (_, token) = funded(&app, "Ada", "100.00").await;
    app.open_event("match-1", "2.50").await;
    assert_eq!(bet_as(&app, &token, "match-1", "10.00").await.status(), 201);
    // The worker is kept off the event: its place is locked by another session.
    app.app_sql("INSERT INTO payouts (event_id, version, turn) VALUES ('match-1', 0, 0)")
        .await;
    let holder = app.app_client().await;
    holder
        .batch_execute("BEGIN; SELECT * FROM payouts WHERE event_id = 'match-1' FOR UPDATE")
        .await
        .unwrap();
    settle(&app, EventChange::Finished, 2, EventStatus::FinishedWin).await;
    app.wait_until("the event is finished", || async {
        app.sql_count("SELECT count(*) FROM events WHERE status = 'finished_win'")
            .await
            == 1
    })
    .await;
    assert_eq!(
        app.sql_count(
            "SELECT count(*) FROM bets b
             WHERE NOT EXISTS (SELECT FROM paid_bets p WHERE p.bet_id = b.id)",
        )
        .await,
        1,
        "the worker paid while kept off"
    );
    // Counted as unpaid where the operator looks, and in the backlog's gauge.
    let ledger = get_with(&app, "/ledger", OPERATOR)
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(ledger["unpaid_bets"], 1, "{ledger}");
    let exposure: Value = get_with(&app, "/events/match-1/exposure", OPERATOR)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(exposure["unpaid_bets"], 1, "{exposure}");
    app.wait_for_metric("bet_maker_payout_backlog_bets", 1.0)
        .await;
    // The first read shows the win.
    assert_eq!(
        balances(&app, &token).await,
        ("115.00".into(), "0.00".into())
    );
    let ledger = get_with(&app, "/ledger", OPERATOR)
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(ledger["unpaid_bets"], 0, "{ledger}");
    app.wait_for_metric("bet_maker_payout_backlog_bets", 0.0)
        .await;
    holder.batch_execute("ROLLBACK").await.unwrap();
    assert_reconciled(&app).await;
}

#[tokio::test]
async fn a_correction_below_zero_stops_bets_and_withdrawals_until_a_deposit() {
    let app = app().await;
    let (id, token) = funded(&app, "Ada", "100.00").await;
    app.open_event("match-1", "2.50").await;
    app.open_event("match-2", "2.00").await;
    assert_eq!(
        bet_as(&app, &token, "match-1", "100.00").await.status(),
        201
    );
    settle(&app, EventChange::Finished, 2, EventStatus::FinishedWin).await;
    wait_for_balances(&app, &token, "250.00", "0.00").await;
    assert_eq!(
        withdraw(&app, &token, "200.00", "out-1").await.status(),
        201
    );
    settle(&app, EventChange::Corrected, 3, EventStatus::FinishedLose).await;
    wait_for_balances(&app, &token, "-200.00", "0.00").await;

    let problem = assert_problem(bet_as(&app, &token, "match-2", "1.00").await, 409).await;
    assert_eq!(problem["available"].to_string(), "-200.00");
    assert_problem(withdraw(&app, &token, "1.00", "out-2").await, 409).await;
    assert_eq!(
        deposit(&app, &id, "200.00", "back-to-zero").await.status(),
        201
    );
    assert_problem(bet_as(&app, &token, "match-2", "0.01").await, 409).await;
    assert_eq!(deposit(&app, &id, "10.00", "more").await.status(), 201);
    assert_eq!(bet_as(&app, &token, "match-2", "10.00").await.status(), 201);
    assert_reconciled(&app).await;
}

#[tokio::test]
async fn every_account_bet_of_an_event_is_paid_once_whoever_pays() {
    let app = app().await;
    app.open_event("match-1", "2.50").await;
    let mut tokens = Vec::new();
    for n in 0..5 {
        let (_, token) = funded(&app, &format!("bettor-{n}"), "100.00").await;
        for _ in 0..3 {
            assert_eq!(bet_as(&app, &token, "match-1", "10.00").await.status(), 201);
        }
        tokens.push(token);
    }
    app.place("match-1", "10.00").await;
    settle(&app, EventChange::Finished, 2, EventStatus::FinishedWin).await;
    // Readers racing the worker: every wallet ends with three wins, once each.
    let reads = tokens.iter().map(|token| balances(&app, token));
    futures_util::future::join_all(reads).await;
    for token in &tokens {
        wait_for_balances(&app, token, "145.00", "0.00").await;
    }
    app.wait_until("the event is paid", || async {
        app.sql_count("SELECT count(*) FROM events WHERE paid_version = version")
            .await
            == 1
    })
    .await;
    assert_eq!(
        app.sql_count("SELECT count(*) FROM ledger WHERE kind = 'won'")
            .await,
        15
    );
    let exposure: Value = get_with(&app, "/events/match-1/exposure", OPERATOR)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (exposure["bets"].clone(), exposure["unpaid_bets"].clone()),
        (16.into(), 0.into())
    );
    // A correction makes all 15 unpaid again until the wallets take it.
    settle(&app, EventChange::Corrected, 3, EventStatus::FinishedLose).await;
    for token in &tokens {
        wait_for_balances(&app, token, "70.00", "0.00").await;
    }
    app.wait_until("the correction is paid", || async {
        get_with(&app, "/ledger", OPERATOR)
            .await
            .json::<Value>()
            .await
            .unwrap()["unpaid_bets"]
            == 0
    })
    .await;
    assert_eq!(
        app.sql_count("SELECT count(*) FROM ledger WHERE kind = 'correction'")
            .await,
        15
    );
    assert_eq!(
        app.sql_count(
            "SELECT count(*) FROM paid_bets p JOIN bets b ON b.id = p.bet_id
             WHERE b.account_id IS NULL",
        )
        .await,
        0
    );
    assert_reconciled(&app).await;
}

#[tokio::test]
async fn only_results_owed_to_wallets_wait_for_the_worker_in_the_order_they_came() {
    // No worker runs without accounts: what is due stays due, for the test to read.
    let app = crate::helpers::spawn_app().await;
    let mut bets = Vec::new();
    for id in ["b-first", "a-second", "c-anonymous"] {
        app.open_event(id, "2.00").await;
        bets.push(
            app.place(id, "10.00").await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // As if an account had a bet on the first two.
    app.app_sql("UPDATE event_tallies SET account_bets = 1 WHERE event_id <> 'c-anonymous'")
        .await;
    for (id, bet) in ["b-first", "a-second", "c-anonymous"].iter().zip(&bets) {
        app.publish(
            EventChange::Finished,
            &event(id, 2, EventStatus::FinishedWin, "2.00"),
        )
        .await;
        app.wait_until("the bet is won", || async {
            app.get_json(&format!("/bets/{bet}")).await["status"] == "won"
        })
        .await;
    }
    let config = with_database(&server_url(), &app.database).parse().unwrap();
    let pool = bet_maker::db::pool(config, 1).unwrap();
    let due = bet_maker::db::due_events(&pool.get().await.unwrap(), 16)
        .await
        .unwrap();
    assert_eq!(due, ["b-first", "a-second"]);
}
