//! Talking to a system's services over HTTP: line-provider's admin API, bets, reads,
//! readiness and metrics, and waiting until a condition holds.

use std::future::Future;

use serde_json::{Value, json};

use crate::{Running, System, TOKEN, WAIT, process};

impl System {
    pub async fn create_event(&self, lp: &Running, id: &str, coefficient: &str) -> Value {
        let deadline = "2099-01-01T00:00:00Z";
        self.send(
            lp,
            reqwest::Method::POST,
            "/events",
            json!({ "id": id, "coefficient": coefficient, "deadline": deadline }),
            201,
        )
        .await
    }

    /// `POST /events` with `body` as it is; expects 201 and returns the event.
    pub async fn create_event_with(&self, lp: &Running, body: Value) -> Value {
        self.send(lp, reqwest::Method::POST, "/events", body, 201)
            .await
    }

    /// `PATCH /events/{id}` with `body`; expects 200 and returns the event.
    pub async fn patch_event(&self, lp: &Running, id: &str, body: Value) -> Value {
        self.send(
            lp,
            reqwest::Method::PATCH,
            &format!("/events/{id}"),
            body,
            200,
        )
        .await
    }

    /// `POST /bet` with `body` as it is; returns the status and body.
    pub async fn bet_with(&self, bm: &Running, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/bet", bm.address))
            .json(&body)
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `GET /events/{id}/exposure` on bet-maker with the operator token.
    pub async fn exposure(&self, bm: &Running, id: &str) -> Value {
        let response = self
            .http
            .get(format!("{}/events/{id}/exposure", bm.address))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("request sent");
        assert_eq!(response.status(), 200, "exposure of {id}");
        response.json().await.expect("JSON")
    }

    pub async fn change_odds(&self, lp: &Running, id: &str, coefficient: &str) -> Value {
        self.send(
            lp,
            reqwest::Method::PATCH,
            &format!("/events/{id}"),
            json!({ "coefficient": coefficient }),
            200,
        )
        .await
    }

    pub async fn finish(&self, lp: &Running, id: &str, status: &str) -> Value {
        self.send(
            lp,
            reqwest::Method::PUT,
            &format!("/events/{id}/status"),
            json!({ "status": status }),
            200,
        )
        .await
    }

    /// `POST /events/{id}/corrections`; expects 200 and returns the event.
    pub async fn correct(&self, lp: &Running, id: &str, status: &str, reason: &str) -> Value {
        self.send(
            lp,
            reqwest::Method::POST,
            &format!("/events/{id}/corrections"),
            json!({ "status": status, "reason": reason }),
            200,
        )
        .await
    }

    async fn send(
        &self,
        lp: &Running,
        method: reqwest::Method,
        path: &str,
        body: Value,
        status: u16,
    ) -> Value {
        let response = self
            .http
            .request(method, format!("{}{path}", lp.address))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .expect("request sent");
        assert_eq!(response.status(), status, "{path}");
        response.json().await.expect("JSON")
    }

    /// `POST /bet`; returns the status and body.
    pub async fn bet(&self, bm: &Running, event_id: &str, amount: &str) -> (u16, Value) {
        self.bet_with(bm, json!({ "event_id": event_id, "amount": amount }))
            .await
    }

    pub async fn get(&self, service: &Running, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", service.address))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_json(&self, service: &Running, path: &str) -> Value {
        let response = self.get(service, path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("JSON")
    }

    /// Ids of the events bet-maker lists as open.
    pub async fn open_events(&self, bm: &Running) -> Vec<String> {
        test_support::ids(&self.get_json(bm, "/events").await)
    }

    /// Polls until `condition` holds, or panics after [`WAIT`].
    pub async fn wait_until<F, Fut>(&self, what: &str, condition: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        test_support::wait_until(what, WAIT, condition).await;
    }

    /// Polls a service's readiness until it answers `status`.
    pub async fn wait_ready(&self, service: &Running, status: u16) {
        self.wait_until(&format!("{} is {status}", service.address), || async {
            self.get(service, "/health/ready").await.status() == status
        })
        .await;
    }

    /// The value of a metric (its name with labels, as printed), as a service shows it now.
    pub async fn metric(&self, service: &Running, name: &str) -> Option<f64> {
        test_support::metric(&self.http, &service.address, name).await
    }

    /// The same for a service running as a process.
    pub async fn process_metric(&self, service: &process::Process, name: &str) -> Option<f64> {
        test_support::metric(&self.http, &service.address, name).await
    }
}
