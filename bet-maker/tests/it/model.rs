//! A model-based test of bet-maker's projection: random histories of events, delivered with
//! duplicates, reordering and stale versions, interleaved with bets; after every step the
//! service must agree with a reference model a few lines long.

use std::collections::BTreeMap;

use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use shared_messages::{EventChange, EventSnapshot, EventStatus};

use crate::helpers::{TestApp, event, spawn_app};

/// One step of a test case.
#[derive(Debug, Clone)]
enum Step {
    /// Deliver version `version` (1-based) of event `event`'s history.
    Deliver { event: usize, version: usize },
    /// Bet on event `event`.
    Bet { event: usize },
}

/// The true history of one event: created, some odds changes, maybe a result or a
/// cancellation, then maybe corrections of it (each to another final status).
#[derive(Debug, Clone)]
struct History {
    odds: Vec<i64>,
    result: Option<EventStatus>,
    corrections: Vec<EventStatus>,
}

impl History {
    fn len(&self) -> usize {
        self.odds.len() + usize::from(self.result.is_some()) + self.corrections.len()
    }

    /// The snapshot at `version` (1-based).
    fn snapshot(&self, id: &str, version: usize) -> (EventChange, EventSnapshot) {
        let odds = self.odds[(version - 1).min(self.odds.len() - 1)];
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
        prop::collection::vec(101_i64..999, 1..4),
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
fn case() -> impl Strategy<Value = (Vec<History>, Vec<Step>)> {
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
                (0..count).prop_map(|event| Step::Bet { event }),
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
                    Step::Bet { .. } => true,
                }));
                (Just(histories), Just(steps).prop_shuffle())
            },
        )
    })
}

/// What bet-maker must hold: per event, the newest version delivered (a final status is
/// never followed by `new` in a true history), and the bets settled by each outcome, first
/// and again by corrections.
#[derive(Debug, Default)]
struct Model {
    events: BTreeMap<usize, EventSnapshot>,
    bets: Vec<(String, usize, Decimal)>,
    settled: BTreeMap<&'static str, usize>,
    resettled: BTreeMap<&'static str, usize>,
}

impl Model {
    fn deliver(&mut self, event: usize, snapshot: EventSnapshot) {
        let held = self
            .events
            .get(&event)
            .map(|held| (held.version, held.status));
        if held.is_some_and(|(version, _)| version >= snapshot.version) {
            return;
        }
        if snapshot.status.is_final() {
            let outcome = match snapshot.status {
                EventStatus::FinishedWin => "won",
                EventStatus::FinishedLose => "lost",
                _ => "void",
            };
            let bets = self.bets.iter().filter(|(_, on, _)| *on == event).count();
            let counts = if held.is_some_and(|(_, status)| status.is_final()) {
                &mut self.resettled
            } else {
                &mut self.settled
            };
            *counts.entry(outcome).or_default() += bets;
        }
        self.events.insert(event, snapshot);
    }

    /// The status a bet must get now, and the odds it locks.
    fn bet(&self, event: usize) -> (u16, Option<Decimal>) {
        match self.events.get(&event) {
            None => (404, None),
            Some(held) if held.status.is_final() => (409, None),
            Some(held) => (201, Some(held.coefficient)),
        }
    }
}

async fn handled(app: &TestApp) -> f64 {
    let mut total = 0.0;
    for name in [
        "bet_maker_messages_applied_total",
        "bet_maker_messages_stale_total",
        "bet_maker_messages_dead_lettered_total",
    ] {
        total += app.metric(name).await.unwrap_or(0.0);
    }
    total
}

async fn run_case(histories: Vec<History>, steps: Vec<Step>) {
    let app = spawn_app().await;
    let mut model = Model::default();
    let ids: Vec<String> = (0..histories.len()).map(|i| format!("ev{i}")).collect();
    for step in steps {
        match step {
            Step::Deliver { event, version } => {
                let (change, snapshot) = histories[event].snapshot(&ids[event], version);
                let before = handled(&app).await;
                app.publish(change, &snapshot).await;
                app.wait_until("the message is handled", || async {
                    handled(&app).await > before
                })
                .await;
                model.deliver(event, snapshot);
            }
            Step::Bet { event } => {
                let response = app
                    .bet(json!({ "event_id": ids[event], "amount": 1 }))
                    .await;
                let (status, odds) = model.bet(event);
                assert_eq!(response.status(), status, "bet on {}", ids[event]);
                if let Some(odds) = odds {
                    let bet: Value = response.json().await.unwrap();
                    assert_eq!(bet["coefficient"].to_string(), format!("{odds:.2}"));
                    model
                        .bets
                        .push((bet["id"].as_str().unwrap().to_owned(), event, odds));
                }
            }
        }
    }
    assert_eq!(
        app.metric("bet_maker_messages_dead_lettered_total").await,
        Some(0.0)
    );
    // The open events, in bet-maker's order, are the model's unfinished ones.
    let mut open: Vec<(String, String)> = model
        .events
        .iter()
        .filter(|(_, held)| !held.status.is_final())
        .map(|(event, held)| (ids[*event].clone(), format!("{:.2}", held.coefficient)))
        .collect();
    open.sort();
    let mut served: Vec<(String, String)> = app
        .get_json("/events")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                e["coefficient"].to_string(),
            )
        })
        .collect();
    served.sort();
    assert_eq!(served, open);
    // Every bet: pending while its event is open, else won or lost as its event finished, void
    // if it was cancelled.
    for (id, event, _) in &model.bets {
        let bet = app.get_json(&format!("/bets/{id}")).await;
        let expected = match model.events[event].status {
            EventStatus::New => "pending",
            EventStatus::FinishedWin => "won",
            EventStatus::FinishedLose => "lost",
            EventStatus::Cancelled => "void",
        };
        assert_eq!(bet["status"], expected, "bet {id} on {}", ids[*event]);
    }
    // The settlement metrics counted every bet of an event once at its first final status,
    // and once more at each correction applied.
    for (metric, expected) in [("settled", &model.settled), ("resettled", &model.resettled)] {
        for outcome in ["won", "lost", "void"] {
            let counted = app
                .metric(&format!(
                    r#"bet_maker_bets_{metric}_total{{outcome="{outcome}"}}"#
                ))
                .await
                .unwrap_or(0.0);
            let expected = expected.get(outcome).copied().unwrap_or(0);
            assert_eq!(counted as usize, expected, "bets {metric} {outcome}");
        }
    }
    // And the stored versions are the model's.
    for (event, held) in &model.events {
        let stored = app
            .sql_count(&format!(
                "SELECT version FROM events WHERE id = '{}'",
                ids[*event]
            ))
            .await;
        assert_eq!(stored as u64, held.version, "version of {}", ids[*event]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_projection_equals_the_model_whatever_the_order_and_duplicates((histories, steps) in case()) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(run_case(histories, steps));
    }
}
