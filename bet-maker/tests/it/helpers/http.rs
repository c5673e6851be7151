//! Talking to a `TestApp` over HTTP: requests, bets, the open events, metrics and problem
//! answers.

use serde_json::{Value, json};

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

    pub async fn open_event_ids(&self) -> Vec<String> {
        let events = self.get_json("/events").await;
        events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The value of a metric (first series of that name), as `/metrics` shows it now.
    pub async fn metric(&self, name: &str) -> Option<f64> {
        let text = self
            .get("/metrics")
            .await
            .text()
            .await
            .expect("metrics text");
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
    }

    /// Polls a metric until it equals `value`.
    pub async fn wait_for_metric(&self, name: &str, value: f64) {
        self.wait_until(&format!("{name} = {value}"), || async {
            self.metric(name).await == Some(value)
        })
        .await;
    }
}

/// Asserts a problem+json answer with `status`, and returns its body.
pub async fn assert_problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status, "unexpected status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.expect("problem JSON");
    assert_eq!(body["status"], status);
    for member in ["type", "title", "detail"] {
        assert!(
            body[member].as_str().is_some_and(|s| !s.is_empty()),
            "problem lacks {member}: {body}"
        );
    }
    body
}
