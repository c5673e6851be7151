//! A model-based test of bet-maker's projection: random histories of events, delivered with
//! duplicates, reordering and stale versions, interleaved with bets; after every step the
//! service must agree with a reference model a few lines long.

use std::collections::BTreeMap;

mod batches;
mod cases;
mod wallet_cases;
mod wallets;

use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use shared_messages::{EventSnapshot, EventStatus};

use crate::helpers::{TestApp, spawn_app};
use cases::{History, Step, case};

/// What bet-maker must hold: per event, the newest version delivered (a final status is
/// never followed by `new` in a true history), and the bets settled by each outcome, first
/// and again by corrections.
#[derive(Debug, Default)]
struct Model {
    events: BTreeMap<usize, EventSnapshot>,
    /// Each bet placed: its id, event, stake and odds.
    bets: Vec<(String, usize, Decimal, Decimal)>,
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
            let bets = self
                .bets
                .iter()
                .filter(|(_, on, _, _)| *on == event)
                .count();
            let counts = if held.is_some_and(|(_, status)| status.is_final()) {
                &mut self.resettled
            } else {
                &mut self.settled
            };
            *counts.entry(outcome).or_default() += bets;
        }
        self.events.insert(event, snapshot);
    }

    /// The status a bet of `amount` (accepting only odds `seen`, if given) must get now,
    /// and the odds it locks: refused on an unknown or final event, at odds not accepted, or
    /// over the event's liability limit (what its bets took at their own odds).
    fn bet(&self, event: usize, amount: Decimal, seen: Option<Decimal>) -> (u16, Option<Decimal>) {
        let Some(held) = self.events.get(&event) else {
            return (404, None);
        };
        if held.status.is_final() || seen.is_some_and(|seen| seen != held.coefficient) {
            return (409, None);
        }
        let taken: Decimal = self
            .bets
            .iter()
            .filter(|(_, on, _, _)| *on == event)
            .map(|(_, _, stake, odds)| stake * (odds - Decimal::ONE))
            .sum();
        let liability = amount * (held.coefficient - Decimal::ONE);
        match held.max_liability {
            Some(limit) if liability > Decimal::ZERO && taken + liability > limit => (409, None),
            _ => (201, Some(held.coefficient)),
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

/// Delivers a message (waiting until it is handled) or places an anonymous bet, checking the
/// answer against the model and keeping the model up to date.
async fn apply(
    app: &TestApp,
    histories: &[History],
    ids: &[String],
    model: &mut Model,
    step: Step,
) {
    match step {
        Step::Deliver { event, version } => {
            let (change, snapshot) = histories[event].snapshot(&ids[event], version);
            let before = handled(app).await;
            app.publish(change, &snapshot).await;
            app.wait_until("the message is handled", || async {
                handled(app).await > before
            })
            .await;
            model.deliver(event, snapshot);
        }
        Step::Bet {
            event,
            amount,
            seen,
        } => {
            let seen = seen.map(|version| histories[event].snapshot("-", version).1.coefficient);
            let mut body = json!({ "event_id": ids[event], "amount": amount });
            if let Some(seen) = seen {
                body["coefficient"] = json!(format!("{seen:.2}"));
            }
            let response = app.bet(body).await;
            let amount = Decimal::from(amount);
            let (status, odds) = model.bet(event, amount, seen);
            assert_eq!(
                response.status(),
                status,
                "bet of {amount} on {}",
                ids[event]
            );
            if let Some(odds) = odds {
                let bet: Value = response.json().await.unwrap();
                assert_eq!(bet["coefficient"].to_string(), format!("{odds:.2}"));
                model
                    .bets
                    .push((bet["id"].as_str().unwrap().to_owned(), event, amount, odds));
            }
        }
    }
}

async fn run_case(histories: Vec<History>, steps: Vec<Step>) {
    let app = spawn_app().await;
    let mut model = Model::default();
    let ids: Vec<String> = (0..histories.len()).map(|i| format!("ev{i}")).collect();
    for step in steps {
        apply(&app, &histories, &ids, &mut model, step).await;
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
    for (id, event, _, _) in &model.bets {
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
