//! What a test checks of an HTTP answer: a problem+json document, a metric, the ids of a list.

use std::future::Future;
use std::time::Duration;

use serde_json::Value;

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

/// The value of the metric `name` (with its labels as printed, if any) that the service at
/// `address` shows on `/metrics` now.
pub async fn metric(http: &reqwest::Client, address: &str, name: &str) -> Option<f64> {
    metric_in(&metrics_text(http, address).await, name)
}

/// The whole of `/metrics` of the service at `address` now.
pub async fn metrics_text(http: &reqwest::Client, address: &str) -> String {
    http.get(format!("{address}/metrics"))
        .send()
        .await
        .expect("request sent")
        .text()
        .await
        .expect("metrics text")
}

/// The value of the metric `name` in Prometheus text.
pub fn metric_in(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// The `id` of every object of a JSON array.
pub fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a JSON array")
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// Polls `condition` until it holds, or fails the test after `within`.
pub async fn wait_until<F, Fut>(what: &str, within: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
