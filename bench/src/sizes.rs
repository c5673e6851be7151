//! How much work each figure does: the full run's sizes, and the quick run's, which only check
//! that the benchmark works.

use std::time::Duration;

/// How much work each figure does.
#[derive(Debug)]
pub struct Sizes {
    /// Uncounted load before each measured load.
    pub warmup: Duration,
    /// Each measured load.
    pub load: Duration,
    /// Events of figure 3.
    pub propagation_events: usize,
    /// Events created and finished in figure 4, and in each flow of figure 9.
    pub flow_events: usize,
    /// How many times figure 4 runs its flow and its baseline, one after the other.
    pub flow_rounds: usize,
    /// Bets of the events finished in figure 5, in order; the last also feeds figure 6.
    pub settlements: Vec<usize>,
    /// Funded accounts figure 10's bets come from.
    pub accounts: usize,
    /// Account bets of figure 11's event, and the accounts they come from.
    pub wallet_bets: usize,
    pub wallet_accounts: usize,
    /// Lines of figure 12's long statement, and of the ledger at least when it is read.
    pub statement_lines: usize,
    pub ledger_lines: usize,
}

impl Sizes {
    pub fn new(quick: bool) -> Self {
        if quick {
            Self {
                warmup: Duration::from_millis(300),
                load: Duration::from_secs(1),
                propagation_events: 50,
                flow_events: 200,
                flow_rounds: 1,
                settlements: vec![1_000, 10_000],
                accounts: 2_000,
                wallet_bets: 20_000,
                wallet_accounts: 2_000,
                statement_lines: 10_000,
                ledger_lines: 50_000,
            }
        } else {
            Self {
                warmup: Duration::from_secs(1),
                load: Duration::from_secs(8),
                propagation_events: 1_000,
                flow_events: 5_000,
                flow_rounds: 3,
                settlements: vec![10_000, 100_000, 1_000_000],
                accounts: 10_000,
                wallet_bets: 1_000_000,
                wallet_accounts: 100_000,
                statement_lines: 100_000,
                ledger_lines: 1_000_000,
            }
        }
    }
}
