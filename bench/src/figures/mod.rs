//! The figures of BENCHMARKS.md, one file each, each with the baseline it is compared with,
//! measured in the same run; and what they share (the betting events, the results, polling).

mod accounts;
mod book;
mod footprint;
mod history;
mod payout_floor;
mod payouts;
mod placing;
mod propagation;
mod queues;
mod reading;
mod seeding;
mod settlement;
mod statement;
mod throughput;

pub use accounts::account_bets;
pub use book::{exposure, limits};
pub use footprint::{final_footprint, idle_footprint};
pub use history::history;
pub use payouts::payouts;
pub use placing::{placing_bets, seed_betting_events};
pub use propagation::propagation;
pub use queues::queue_types;
pub use reading::reading;
pub use settlement::settlement;
pub use statement::{early_ledger, statement};
pub use throughput::message_throughput;

use std::time::{Duration, Instant};

use anyhow::{bail, ensure};

use crate::load::{Call, Connection, Measured};
use crate::report::Row;
use crate::system::System;

/// The events bets are placed on in figures 1, 2 and 5: `1000000` … `1000099`.
pub const BETTING_EVENTS: usize = 100;
const FIRST_BETTING_EVENT: usize = 1_000_000;

fn betting_event(n: usize) -> String {
    (FIRST_BETTING_EVENT + n % BETTING_EVENTS).to_string()
}

/// A POST /bet on one of the betting events, spread over them.
pub(crate) fn bet_call(client: usize, n: u64) -> Call {
    let event = betting_event(client * 31 + n as usize);
    Call::post(
        "/bet",
        format!(r#"{{"event_id":"{event}","amount":10.00}}"#),
    )
}

/// The figures collected so far, and every load run behind them.
#[derive(Default)]
pub struct Results {
    pub rows: Vec<Row>,
    pub runs: Vec<(String, Measured)>,
}

impl Results {
    pub(crate) fn run(&mut self, name: impl Into<String>, measured: &Measured) {
        self.runs.push((name.into(), measured.clone()));
    }
}

/// Waits until `query` on bet-maker's database counts at least `count`.
pub(crate) async fn wait_count(system: &System, query: &str, count: i64) -> anyhow::Result<()> {
    let started = Instant::now();
    while system.bet_maker_count(query).await? < count {
        ensure!(
            started.elapsed() < Duration::from_secs(120),
            "bet-maker never reached {count} for {query}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// How often figure 3 asks bet-maker: often enough to resolve fractions of a millisecond,
/// seldom enough to leave most of the CPU to the system under test (asking back to back
/// took a core and doubled the tail).
const POLL_EVERY: Duration = Duration::from_micros(250);

pub(crate) async fn poll_until(
    connection: &mut Connection,
    call: &Call,
    since: Instant,
    done: impl Fn(&[u8]) -> bool,
) -> anyhow::Result<()> {
    loop {
        let asked = Instant::now();
        let (status, body) = connection.send(call).await?;
        if status == 200 && done(&body) {
            return Ok(());
        }
        if since.elapsed() > Duration::from_secs(30) {
            bail!("gave up after 30 s");
        }
        // tokio's timers tick in milliseconds; a quarter of one needs a thread sleep.
        if let Some(rest) = POLL_EVERY.checked_sub(asked.elapsed()) {
            tokio::task::block_in_place(|| std::thread::sleep(rest));
        }
    }
}

pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// 1 000 000 written with spaces.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}
