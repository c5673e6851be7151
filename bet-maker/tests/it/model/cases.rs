//! The cases of the model-based test: true histories of events, and a delivery order with
//! bets in between.

use proptest::prelude::*;
use rust_decimal::Decimal;
use shared_messages::{EventChange, EventSnapshot, EventStatus};

use crate::helpers::event;

/// One step of a test case.
#[derive(Debug, Clone)]
pub enum Step {
    /// Deliver version `version` (1-based) of event `event`'s history.
    Deliver { event: usize, version: usize },
    /// Bet `amount` on event `event`; with `seen`, sending as the odds accepted those of
    /// that version (1-based) of the event's history.
    Bet {
        event: usize,
        amount: i64,
        seen: Option<usize>,
    },
}

/// The true history of one event: created, some odds changes, maybe a result or a
/// cancellation, then maybe corrections of it (each to another final status).
#[derive(Debug, Clone)]
pub struct History {
    /// The odds (in cents) of each open version, and its liability limit (whole units).
    odds: Vec<(i64, Option<i64>)>,
    result: Option<EventStatus>,
    corrections: Vec<EventStatus>,
}

impl History {
    /// A history of open versions at `odds` (cents, each with its limit), then `result`, then
    /// `corrections`.
    pub fn new(
        odds: Vec<(i64, Option<i64>)>,
        result: Option<EventStatus>,
        corrections: Vec<EventStatus>,
    ) -> Self {
        Self {
            odds,
            result,
            corrections,
        }
    }

    pub fn len(&self) -> usize {
        self.odds.len() + usize::from(self.result.is_some()) + self.corrections.len()
    }

    /// The snapshot at `version` (1-based).
    pub fn snapshot(&self, id: &str, version: usize) -> (EventChange, EventSnapshot) {
        let (odds, limit) = self.odds[(version - 1).min(self.odds.len() - 1)];
        let (change, status) = match (version, self.result) {
            (v, Some(_)) if v > self.odds.len() + 1 => (
                EventChange::Corrected,
                self.corrections[v - self.odds.len() - 2],
            ),
            (v, Some(EventStatus::Cancelled)) if v > self.odds.len() => {
                (EventChange::Cancelled, EventStatus::Cancelled)
            }
            (v, Some(result)) if v > self.odds.len() => (EventChange::Finished, result),
            (1, _) => (EventChange::Created, EventStatus::New),
            _ => (EventChange::Updated, EventStatus::New),
        };
        let mut snapshot = event(id, version as u64, status, "1.00");
        snapshot.coefficient = Decimal::new(odds, 2);
        snapshot.max_liability = limit.map(Decimal::from);
        (change, snapshot)
    }
}

fn final_status() -> impl Strategy<Value = EventStatus> {
    prop_oneof![
        Just(EventStatus::FinishedWin),
        Just(EventStatus::FinishedLose),
        Just(EventStatus::Cancelled)
    ]
}

fn history() -> impl Strategy<Value = History> {
    (
        prop::collection::vec((101_i64..400, prop::option::of(1_i64..12)), 1..4),
        prop::option::of(final_status()),
        prop::collection::vec(final_status(), 0..3),
    )
        .prop_map(|(odds, result, wanted)| {
            // A correction changes the status (the same one again is a no-op, no version).
            let mut corrections = Vec::new();
            let mut last = result;
            for status in wanted {
                if last.is_some() && last != Some(status) {
                    corrections.push(status);
                    last = Some(status);
                }
            }
            History {
                odds,
                result,
                corrections,
            }
        })
}

/// Histories of up to three events, and a delivery order: every version at least once (some
/// twice), shuffled, with bets in between.
pub fn case() -> impl Strategy<Value = (Vec<History>, Vec<Step>)> {
    prop::collection::vec(history(), 1..4).prop_flat_map(|histories| {
        let mut deliveries = Vec::new();
        for (event, history) in histories.iter().enumerate() {
            for version in 1..=history.len() {
                deliveries.push(Step::Deliver { event, version });
            }
        }
        let count = histories.len();
        let extra = prop::collection::vec(
            prop_oneof![
                (0..count, 1_i64..5, prop::option::of(1..4_usize)).prop_map(
                    |(event, amount, seen)| Step::Bet {
                        event,
                        amount,
                        seen,
                    }
                ),
                (0..count, 1..5_usize)
                    .prop_map(|(event, version)| Step::Deliver { event, version }),
            ],
            0..10,
        );
        (Just(histories), Just(deliveries), extra).prop_flat_map(
            |(histories, deliveries, extra)| {
                let histories_for_filter = histories.clone();
                let mut steps: Vec<Step> = deliveries;
                steps.extend(extra.into_iter().filter(|step| match step {
                    Step::Deliver { event, version } => {
                        *version <= histories_for_filter[*event].len()
                    }
                    Step::Bet { event, seen, .. } => {
                        seen.is_none_or(|seen| seen <= histories_for_filter[*event].odds.len())
                    }
                }));
                (Just(histories), Just(steps).prop_shuffle())
            },
        )
    })
}
