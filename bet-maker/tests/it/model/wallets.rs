//! The model-based test with accounts: the same random histories (duplicated, reordered,
//! corrected), interleaved with deposits, withdrawals, account bets, reads and runs of the
//! payout worker (held off otherwise by a lock on its table, so that reads and bets must take
//! their results themselves). After every step the book's identity holds and every balance is
//! the sum of its lines; after each read, the account equals a reference model of a few lines.

use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use shared_messages::EventStatus;

use super::Model;
use super::cases::{History, Step};
use super::wallet_cases::{ACCOUNTS, Money, wallet_case};
use crate::accounts::assert_reconciled;
use crate::helpers::{Options, TestApp, spawn_app_with};

const OPERATOR: &str = "operator-s3cret";

/// What an account's wallet holds once it took every known result.
#[derive(Debug, Default, Clone)]
struct Wallet {
    moved_in: Decimal,
    /// Its bets: event, stake, odds.
    bets: Vec<(usize, Decimal, Decimal)>,
}

impl Wallet {
    /// `available` and `held` with every result of `model`'s events taken.
    fn balances(&self, model: &Model) -> (Decimal, Decimal) {
        let mut available = self.moved_in;
        let mut held = Decimal::ZERO;
        for (event, stake, odds) in &self.bets {
            available -= stake;
            match model.events[event].status {
                EventStatus::New => held += stake,
                EventStatus::FinishedWin => available += (stake * odds).trunc_with_scale(2),
                EventStatus::FinishedLose => {}
                EventStatus::Cancelled => available += stake,
            }
        }
        (available, held)
    }
}

fn decimal(value: &Value) -> Decimal {
    value.to_string().parse().unwrap()
}

async fn send(request: reqwest::RequestBuilder) -> reqwest::Response {
    request.send().await.unwrap()
}

/// Waits until the worker has paid every known result.
async fn paid_up(app: &TestApp) {
    app.wait_until("every result is paid", || async {
        let ledger: Value = send(app.http.get(app.url("/ledger")).bearer_auth(OPERATOR))
            .await
            .json()
            .await
            .unwrap();
        ledger["unpaid_bets"].as_i64() == Some(0)
    })
    .await;
}

async fn run(histories: Vec<History>, steps: Vec<Money>) {
    let app = spawn_app_with(Options {
        admin_token: Some(OPERATOR),
        accounts: true,
        ..Options::default()
    })
    .await;
    let mut model = Model::default();
    let ids: Vec<String> = (0..histories.len()).map(|i| format!("ev{i}")).collect();
    let mut accounts = Vec::new();
    for n in 0..ACCOUNTS {
        let opened: Value = send(
            app.http
                .post(app.url("/accounts"))
                .json(&json!({ "name": format!("a{n}") })),
        )
        .await
        .json()
        .await
        .unwrap();
        accounts.push((
            opened["id"].as_str().unwrap().to_owned(),
            opened["token"].as_str().unwrap().to_owned(),
        ));
    }
    let mut wallets = vec![Wallet::default(); ACCOUNTS];
    // The worker waits on this lock (its first statement of each event inserts into the table).
    let worker_held = app.app_client().await;
    worker_held
        .batch_execute("BEGIN; LOCK TABLE payouts IN SHARE MODE")
        .await
        .unwrap();
    for (n, step) in steps.into_iter().enumerate() {
        match step {
            Money::Projection(step) => super::apply(&app, &histories, &ids, &mut model, step).await,
            Money::Deposit { account, amount } => {
                let url = app.url(&format!("/accounts/{}/deposits", accounts[account].0));
                let request = app.http.post(url).bearer_auth(OPERATOR);
                let request = request.header("Idempotency-Key", format!("d{n}"));
                let response = send(request.json(&json!({ "amount": amount }))).await;
                assert_eq!(response.status(), 201);
                wallets[account].moved_in += Decimal::from(amount);
            }
            Money::Withdraw { account, amount } => {
                let request = app.http.post(app.url("/account/withdrawals"));
                let request = request.bearer_auth(&accounts[account].1);
                let request = request.header("Idempotency-Key", format!("w{n}"));
                let response = send(request.json(&json!({ "amount": amount }))).await;
                let amount = Decimal::from(amount);
                let expected = if wallets[account].balances(&model).0 >= amount {
                    201
                } else {
                    409
                };
                assert_eq!(response.status(), expected, "withdrawal of {amount}");
                if expected == 201 {
                    wallets[account].moved_in -= amount;
                }
            }
            Money::Bet {
                account,
                event,
                amount,
            } => {
                let request = app
                    .http
                    .post(app.url("/bet"))
                    .bearer_auth(&accounts[account].1);
                let body = json!({ "event_id": ids[event], "amount": amount });
                let response = send(request.json(&body)).await;
                let amount = Decimal::from(amount);
                let (mut status, odds) = model.bet(event, amount, None);
                if status == 201 && wallets[account].balances(&model).0 < amount {
                    status = 409;
                }
                assert_eq!(
                    response.status(),
                    status,
                    "account bet of {amount} on {}",
                    ids[event]
                );
                if status == 201 {
                    let bet: Value = response.json().await.unwrap();
                    let odds = odds.unwrap();
                    let id = bet["id"].as_str().unwrap().to_owned();
                    model.bets.push((id, event, amount, odds));
                    wallets[account].bets.push((event, amount, odds));
                }
            }
            Money::Pay => {
                worker_held.batch_execute("COMMIT").await.unwrap();
                paid_up(&app).await;
                worker_held
                    .batch_execute("BEGIN; LOCK TABLE payouts IN SHARE MODE")
                    .await
                    .unwrap();
            }
            Money::Read { account } => {
                let request = app
                    .http
                    .get(app.url("/account"))
                    .bearer_auth(&accounts[account].1);
                let read: Value = send(request).await.json().await.unwrap();
                let (available, held) = wallets[account].balances(&model);
                assert_eq!(
                    (decimal(&read["available"]), decimal(&read["held"])),
                    (available, held),
                    "account {account}"
                );
            }
        }
        assert_reconciled(&app).await;
    }
    // In the end the worker pays everything, and each wallet is the model's.
    worker_held.batch_execute("COMMIT").await.unwrap();
    paid_up(&app).await;
    for (account, wallet) in wallets.iter().enumerate() {
        let stored = app
            .sql_text(&format!(
                "SELECT available::text || ' ' || held::text FROM accounts WHERE id = '{}'",
                accounts[account].0
            ))
            .await
            .unwrap();
        let (available, held) = wallet.balances(&model);
        let expected = format!("{:.2} {:.2}", available, held);
        assert_eq!(stored, expected, "account {account} as the worker left it");
    }
}

/// The case the random ones must not miss: a result taken, then corrected, with the worker
/// held off: the next read takes the correction itself.
#[tokio::test]
async fn a_read_takes_a_correction_of_a_result_its_wallet_already_took() {
    let history = History::new(
        vec![(250, None)],
        Some(EventStatus::FinishedWin),
        vec![EventStatus::FinishedLose, EventStatus::Cancelled],
    );
    let deliver = |version| Money::Projection(Step::Deliver { event: 0, version });
    let read = Money::Read { account: 0 };
    let steps = vec![
        Money::Deposit {
            account: 0,
            amount: 30,
        },
        deliver(1),
        Money::Bet {
            account: 0,
            event: 0,
            amount: 10,
        },
        deliver(2),
        read.clone(),
        deliver(3),
        read.clone(),
        Money::Withdraw {
            account: 0,
            amount: 20,
        },
        deliver(4),
        read,
    ];
    run(vec![history], steps).await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_wallet_equals_the_model_and_the_book_balances_after_every_step((histories, steps) in wallet_case()) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(run(histories, steps));
    }
}
