//! Wallets take results exactly once: the real bet-maker binary killed with SIGKILL in the
//! middle of an event's payout and restarted, and two replicas paying the same events. A small
//! `PAYOUT_CHUNK` makes a payout of a few hundred bets last long enough to be cut.

use futures_util::StreamExt;
use integration_tests::process::Process;
use integration_tests::{System, TOKEN};
use serde_json::{Value, json};

const ACCOUNTS: usize = 8;
const BETS_PER_ACCOUNT: usize = 40;
const BETS: i64 = (ACCOUNTS * BETS_PER_ACCOUNT) as i64;

fn bet_maker_env(system: &System) -> Vec<(&'static str, String)> {
    let mut env = system.process_env("bet-maker");
    env.extend([
        ("ACCOUNTS", "true".to_owned()),
        ("PAYOUT_CHUNK", "2".to_owned()),
    ]);
    env
}

/// Opens the accounts, funds each with 1 000.00 and places their bets of 1.00 on `events`
/// (in turn); their tokens.
async fn bettors(system: &System, bm: &str, events: &[&str]) -> Vec<String> {
    let http = &system.http;
    let mut tokens = Vec::new();
    for n in 0..ACCOUNTS {
        let opened: Value = http
            .post(format!("{bm}/accounts"))
            .json(&json!({ "name": format!("bettor-{n}") }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let deposit = http
            .post(format!(
                "{bm}/accounts/{}/deposits",
                opened["id"].as_str().unwrap()
            ))
            .bearer_auth(TOKEN)
            .header("Idempotency-Key", format!("funds-{n}"))
            .json(&json!({ "amount": "1000.00" }))
            .send()
            .await
            .unwrap();
        assert_eq!(deposit.status(), 201);
        tokens.push(opened["token"].as_str().unwrap().to_owned());
    }
    let bets = tokens.iter().flat_map(|token| {
        (0..BETS_PER_ACCOUNT).map(move |n| {
            let event = events[n % events.len()];
            http.post(format!("{bm}/bet"))
                .bearer_auth(token)
                .json(&json!({ "event_id": event, "amount": "1.00" }))
                .send()
        })
    });
    let statuses: Vec<u16> = futures_util::stream::iter(bets)
        .buffer_unordered(16)
        .map(|response| response.unwrap().status().as_u16())
        .collect()
        .await;
    assert!(statuses.iter().all(|status| *status == 201), "{statuses:?}");
    tokens
}

/// Every account bet paid once, each wallet right to the cent, the book's identity whole.
async fn assert_paid_once(system: &System) {
    system
        .wait_until("every wallet took its results", || async {
            system
                .bet_maker_count(
                    "SELECT count(*) FROM bets b
                     WHERE NOT EXISTS (SELECT FROM paid_bets p WHERE p.bet_id = b.id)",
                )
                .await
                == 0
        })
        .await;
    let won = "SELECT count(*) FROM ledger WHERE kind = 'won'";
    assert_eq!(system.bet_maker_count(won).await, BETS);
    let twice = "SELECT count(*) FROM (SELECT bet_id FROM ledger WHERE kind = 'won'
                 GROUP BY bet_id HAVING count(*) > 1) AS twice";
    assert_eq!(system.bet_maker_count(twice).await, 0);
    // 1 000.00 − 40 × 1.00 staked + 40 × 2.50 won.
    let wrong = "SELECT count(*) FROM accounts WHERE available <> 1060.00 OR held <> 0";
    assert_eq!(system.bet_maker_count(wrong).await, 0);
    let unbalanced = "SELECT count(*) FROM (SELECT 1 FROM accounts a
        LEFT JOIN (SELECT account_id, sum(available_leg) AS available FROM ledger
                   GROUP BY account_id) l ON l.account_id = a.id
        WHERE a.available <> l.available) AS drift";
    assert_eq!(system.bet_maker_count(unbalanced).await, 0);
    let identity = "SELECT count(*) FROM (SELECT 1 FROM ledger_totals
        HAVING sum(deposits) - sum(withdrawals) <> sum(available) + sum(held) + sum(book)) AS broken";
    assert_eq!(system.bet_maker_count(identity).await, 0);
}

#[tokio::test]
async fn a_bet_maker_killed_mid_payout_pays_every_bet_once_after_restart() {
    let system = System::new().await;
    let lp = system.start_line_provider().await;
    let env = bet_maker_env(&system);
    let bm = Process::start("bet-maker", &env);
    bm.wait_ready(&system.http).await;
    system.create_event(&lp, "e1", "2.50").await;
    system
        .wait_until("bet-maker holds e1", || async {
            system.bet_maker_count("SELECT count(*) FROM events").await == 1
        })
        .await;
    bettors(&system, &bm.address, &["e1"]).await;

    system.finish(&lp, "e1", "finished_win").await;
    let paid = "SELECT count(*) FROM paid_bets";
    system
        .wait_until("the payout is under way", || async {
            system.bet_maker_count(paid).await > 0
        })
        .await;
    bm.kill();
    let paid_at_kill = system.bet_maker_count(paid).await;
    assert!(
        paid_at_kill < BETS,
        "the kill came after the payout ({paid_at_kill} paid)"
    );

    let restarted = Process::start("bet-maker", &env);
    restarted.wait_ready(&system.http).await;
    assert_paid_once(&system).await;
    eprintln!("{paid_at_kill} of {BETS} bets were paid when bet-maker was killed");
}

#[tokio::test]
async fn two_replicas_paying_the_same_events_pay_every_bet_once() {
    let system = System::new().await;
    let lp = system.start_line_provider().await;
    let env = bet_maker_env(&system);
    let first = Process::start("bet-maker", &env);
    first.wait_ready(&system.http).await;
    let second = Process::start("bet-maker", &env);
    second.wait_ready(&system.http).await;
    for id in ["e1", "e2"] {
        system.create_event(&lp, id, "2.50").await;
    }
    system
        .wait_until("bet-maker holds both events", || async {
            system.bet_maker_count("SELECT count(*) FROM events").await == 2
        })
        .await;
    bettors(&system, &first.address, &["e1", "e2"]).await;

    system.finish(&lp, "e1", "finished_win").await;
    system.finish(&lp, "e2", "finished_win").await;
    assert_paid_once(&system).await;
    let mut paid_by = Vec::new();
    for replica in [&first, &second] {
        paid_by.push(
            system
                .process_metric(replica, "bet_maker_bets_paid_total")
                .await
                .unwrap_or(0.0),
        );
    }
    assert_eq!(paid_by.iter().sum::<f64>(), BETS as f64, "{paid_by:?}");
    eprintln!("bets paid by each replica: {paid_by:?}");
}
