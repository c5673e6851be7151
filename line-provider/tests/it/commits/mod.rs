//! Group commit: changes of concurrent requests are written together, each request still gets
//! its own answer, two changes of one event never share a statement, and a change the
//! database refuses fails alone.
//!
//! To make a batch for certain, a test holds the outbox locked from a connection of its own:
//! the first change's statement waits for the lock, the changes sent meanwhile wait for the
//! writer (`line_provider_commit_waiting` counts them), and once the lock is released they
//! are written together.
//!
//! # Layout
//! - `batches.rs`: what one batch writes (new events in one statement, each change of one
//!   event a version of its own, one event per id);
//! - `alone.rs`: work a batch hands back to its request, made alone (a piece the database
//!   refuses, an event another session holds or moved on since the batch read it);
//! - this file: sending changes, holding them in one batch, making the database refuse one.

mod alone;
mod batches;

use futures_util::future::join_all;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::helpers::{TestApp, WAIT, in_a_day};

/// Sends `body` to `path` with `method` as an operator, on a task of its own; its status.
fn send(app: &TestApp, method: reqwest::Method, path: &str, body: Value) -> JoinHandle<u16> {
    let request = app.admin(method, path).json(&body);
    tokio::spawn(async move {
        request
            .send()
            .await
            .expect("request sent")
            .status()
            .as_u16()
    })
}

fn create(app: &TestApp, id: &str) -> JoinHandle<u16> {
    send(
        app,
        reqwest::Method::POST,
        "/events",
        json!({ "id": id, "coefficient": "1.85", "deadline": in_a_day() }),
    )
}

/// Holds the outbox locked until a first change waits for it and `then` are all waiting for
/// the writer; releases it and returns every status, the first's first.
async fn in_one_batch(
    app: &TestApp,
    first: impl FnOnce() -> JoinHandle<u16>,
    then: impl FnOnce() -> Vec<JoinHandle<u16>>,
) -> Vec<u16> {
    let holder = app.database().await;
    holder
        .batch_execute("BEGIN; LOCK TABLE outbox IN EXCLUSIVE MODE")
        .await
        .unwrap();
    let first = first();
    test_support::wait_until("the first change waits for the outbox", WAIT, || async {
        app.statements_waiting_for_a_lock().await == 1
    })
    .await;
    let then = then();
    let waiting = then.len() as f64;
    app.wait_for_metric("line_provider_commit_waiting", waiting)
        .await;
    holder.batch_execute("ROLLBACK").await.unwrap();
    let mut statuses = vec![first.await.unwrap()];
    for status in join_all(then).await {
        statuses.push(status.unwrap());
    }
    statuses
}

/// Makes the database refuse `operation` (`INSERT` or `UPDATE`) on the event `refused`, as it
/// would refuse a value.
async fn refuse(app: &TestApp, operation: &str) {
    app.database()
        .await
        .batch_execute(&format!(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
                 $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
             CREATE TRIGGER refuse BEFORE {operation} ON events
                 FOR EACH ROW WHEN (NEW.id = 'refused') EXECUTE FUNCTION refuse();"
        ))
        .await
        .unwrap();
}

/// The event `id` as line-provider serves it.
async fn event(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/events/{id}"))
        .await
        .json()
        .await
        .unwrap()
}
