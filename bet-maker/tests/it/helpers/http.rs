//! Talking to a `TestApp` over HTTP: requests, bets, the open events, metrics and problem
//! answers.

use serde_json::{Value, json};

pub use test_support::assert_problem;

use super::TestApp;

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("JSON")
    }

    /// `POST /bet` with a JSON body.
    pub async fn bet(&self, body: Value) -> reqwest::Response {
        self.http
            .post(self.url("/bet"))
            .json(&body)
            .send()
            .await
            .expect("request sent")
    }

    /// Places a bet that must be accepted; returns it.
    pub async fn place(&self, event_id: &str, amount: &str) -> Value {
        let response = self
            .bet(json!({ "event_id": event_id, "amount": amount }))
            .await;
        assert_eq!(response.status(), 201, "bet on {event_id}");
        response.json().await.expect("bet JSON")
    }

    /// The ids of the events `GET /events` lists now.
    pub async fn open_event_ids(&self) -> Vec<String> {
        test_support::ids(&self.get_json("/events").await)
    }

    /// The value of a metric (first series of that name), as `/metrics` shows it now.
    pub async fn metric(&self, name: &str) -> Option<f64> {
        test_support::metric(&self.http, &self.address, name).await
    }

    /// Polls a metric until it equals `value`.
    pub async fn wait_for_metric(&self, name: &str, value: f64) {
        self.wait_until(&format!("{name} = {value}"), || async {
            self.metric(name).await == Some(value)
        })
        .await;
    }
}
