//! Talking to a `TestApp` over HTTP: public and admin requests, the event routes, readiness,
//! metrics and problem answers.

use std::time::Duration;

use serde_json::{Value, json};

use super::{TOKEN, TestApp, WAIT};

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A request with the operator token.
    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(TOKEN)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_event(&self, body: Value) -> reqwest::Response {
        self.admin(reqwest::Method::POST, "/events")
            .json(&body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn patch_event(&self, id: &str, body: Value) -> reqwest::Response {
        self.admin(reqwest::Method::PATCH, &format!("/events/{id}"))
            .json(&body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn finish_event(&self, id: &str, status: &str) -> reqwest::Response {
        self.admin(reqwest::Method::PUT, &format!("/events/{id}/status"))
            .json(&json!({ "status": status }))
            .send()
            .await
            .expect("request sent")
    }

    /// `PUT /events/{id}/status` with any body.
    pub async fn put_status(&self, id: &str, body: Value) -> reqwest::Response {
        self.admin(reqwest::Method::PUT, &format!("/events/{id}/status"))
            .json(&body)
            .send()
            .await
            .expect("request sent")
    }

    /// Creates an event with a deadline a day ahead and returns its body.
    pub async fn create_event(&self, id: &str, coefficient: &str) -> Value {
        let response = self
            .post_event(json!({ "id": id, "coefficient": coefficient, "deadline": in_a_day() }))
            .await;
        assert_eq!(response.status(), 201, "creating {id}");
        response.json().await.expect("event JSON")
    }

    /// Polls `path` until it answers `status`, or panics after [`WAIT`].
    pub async fn wait_for_status(&self, path: &str, status: u16) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let response = self
                .http
                .get(self.url(path))
                .send()
                .await
                .expect("request sent");
            if response.status() == status {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{path} never answered {status}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The value of a metric (its name, with its labels if it has any, as `/metrics` writes
    /// them), as `/metrics` shows it now.
    pub async fn metric(&self, name: &str) -> Option<f64> {
        test_support::metric(&self.http, &self.address, name).await
    }

    /// `line_provider_commit_handed_back_total` of `reason`: work the writer handed back to be
    /// done alone.
    pub async fn handed_back(&self, reason: &str) -> Option<f64> {
        self.metric(&handed_back_metric(reason)).await
    }

    /// Polls a metric until it equals `value`, or panics after [`WAIT`] with what the outbox
    /// and the broker connection showed then (where a stuck relay says why).
    pub async fn wait_for_metric(&self, name: &str, value: f64) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let text = self.metrics_text().await;
            if test_support::http::metric_in(&text, name) == Some(value) {
                return;
            }
            if tokio::time::Instant::now() >= deadline {
                let relay: Vec<&str> = text
                    .lines()
                    .filter(|line| {
                        line.starts_with("line_provider_outbox")
                            || line.starts_with("line_provider_broker")
                    })
                    .collect();
                panic!(
                    "timed out waiting until {name} = {value}; /metrics showed {:?}, and:\n{}",
                    test_support::http::metric_in(&text, name),
                    relay.join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The whole of `/metrics` now.
    pub async fn metrics_text(&self) -> String {
        test_support::http::metrics_text(&self.http, &self.address).await
    }
}

/// An RFC 3339 instant one day from now.
pub fn in_a_day() -> String {
    let instant = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    instant
        .replace_nanosecond(0)
        .expect("valid")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("formats")
}

/// The line of `line_provider_commit_handed_back_total` for `reason`, without its value.
pub fn handed_back_metric(reason: &str) -> String {
    format!("line_provider_commit_handed_back_total{{reason=\"{reason}\"}}")
}
