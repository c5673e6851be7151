//! The burst of the cluster test: rounds of creates, odds changes, bets and results at both
//! services, and what each answered.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use integration_tests::{Running, System, TOKEN};
use serde_json::{Value, json};

use super::REQUEST_TIMEOUT;

/// What the burst did and what line-provider answered.
pub(super) struct Burst {
    /// Change requests sent to line-provider.
    pub(super) requests: usize,
    /// line-provider's last answer for each event it acknowledged.
    pub(super) events: BTreeMap<String, Value>,
    /// Events line-provider holds open, oldest first.
    pub(super) open: Vec<String>,
    /// Bets bet-maker accepted: their id and event.
    pub(super) bets: Vec<(String, String)>,
    /// Bets bet-maker refused, by status (an event it does not know yet, or knows finished).
    pub(super) refused: BTreeMap<u16, usize>,
    /// Requests neither service should have failed.
    pub(super) failed: Vec<String>,
}

impl Burst {
    pub(super) fn new() -> Self {
        Self {
            requests: 0,
            events: BTreeMap::new(),
            open: Vec::new(),
            bets: Vec::new(),
            refused: BTreeMap::new(),
            failed: Vec::new(),
        }
    }

    /// Rounds of creates, odds changes, bets and results, until `faults_done`; each round
    /// counted in `rounds`.
    pub(super) async fn run(
        &mut self,
        system: &System,
        lp: &Running,
        bm: &Running,
        rounds: &AtomicUsize,
        faults_done: &AtomicBool,
    ) {
        let results = ["finished_win", "finished_lose", "cancelled"];
        let mut finished = 0;
        for round in 0.. {
            if faults_done.load(Ordering::SeqCst) {
                return;
            }
            assert!(round < 5000, "the faults never ended");
            for k in 0..3 {
                let id = format!("c{round}-{k}");
                let body =
                    json!({ "id": id, "coefficient": "2.00", "deadline": "2099-01-01T00:00:00Z" });
                if self
                    .change(system, lp, reqwest::Method::POST, "/events", body, 201)
                    .await
                {
                    self.open.push(id);
                }
            }
            let recent: Vec<String> = self.open.iter().rev().take(6).cloned().collect();
            for (j, id) in recent.iter().enumerate() {
                let coefficient = format!("1.{:02}", 10 + (round + j) % 90);
                let body = json!({ "coefficient": coefficient });
                self.change(
                    system,
                    lp,
                    reqwest::Method::PATCH,
                    &format!("/events/{id}"),
                    body,
                    200,
                )
                .await;
            }
            // Bets on the oldest open events, which the next rounds finish.
            let oldest: Vec<String> = self.open.iter().take(3).cloned().collect();
            for id in &oldest {
                self.bet(system, bm, id).await;
            }
            while self.open.len() > 12 {
                let id = self.open.remove(0);
                let body = json!({ "status": results[finished % results.len()] });
                finished += 1;
                self.change(
                    system,
                    lp,
                    reqwest::Method::PUT,
                    &format!("/events/{id}/status"),
                    body,
                    200,
                )
                .await;
            }
            rounds.store(round + 1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// One change at line-provider; records its answer when it is `expected`.
    async fn change(
        &mut self,
        system: &System,
        lp: &Running,
        method: reqwest::Method,
        path: &str,
        body: Value,
        expected: u16,
    ) -> bool {
        self.requests += 1;
        let response = system
            .http
            .request(method, format!("{}{path}", lp.address))
            .bearer_auth(TOKEN)
            .json(&body)
            .timeout(REQUEST_TIMEOUT)
            .send()
            .await;
        match response {
            Ok(response) if response.status() == expected => {
                let event: Value = response.json().await.unwrap();
                let id = event["id"].as_str().unwrap().to_owned();
                self.events.insert(id, event);
                true
            }
            Ok(response) => {
                self.failed.push(format!("{path}: {}", response.status()));
                false
            }
            Err(error) => {
                self.failed.push(format!("{path}: {error}"));
                false
            }
        }
    }

    /// One bet at bet-maker; a refusal because it does not know the event yet is no failure.
    async fn bet(&mut self, system: &System, bm: &Running, event: &str) {
        let response = system
            .http
            .post(format!("{}/bet", bm.address))
            .json(&json!({ "event_id": event, "amount": "1.00" }))
            .timeout(REQUEST_TIMEOUT)
            .send()
            .await;
        let response = match response {
            Ok(response) => response,
            Err(error) => return self.failed.push(format!("bet on {event}: {error}")),
        };
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        match status {
            201 => self
                .bets
                .push((body["id"].as_str().unwrap().to_owned(), event.to_owned())),
            404 | 409 => *self.refused.entry(status).or_default() += 1,
            _ => self.failed.push(format!("bet on {event}: {status} {body}")),
        }
    }

    /// The events bet-maker does not hold at line-provider's last version and status.
    pub(super) fn behind(&self, applied: &BTreeMap<String, (u64, String)>) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|(id, answer)| {
                let expected = (
                    version_of(answer),
                    answer["status"].as_str().unwrap().to_owned(),
                );
                match applied.get(id) {
                    Some(held) if *held == expected => None,
                    held => Some(format!("{id}: {held:?}, expected {expected:?}")),
                }
            })
            .collect()
    }
}

pub(super) fn version_of(event: &Value) -> u64 {
    event["version"].as_u64().expect("a version")
}
