//! Group commit: changes of concurrent requests are written together, each request still gets
//! its own answer, two changes of one event never share a statement, and a change the
//! database refuses fails alone.
//!
//! To make a batch for certain, a test holds the outbox locked from a connection of its own:
//! the first change's statement waits for the lock, the changes sent meanwhile wait for the
//! writer (`line_provider_commit_waiting` counts them), and once the lock is released they
//! are written together.

use futures_util::future::join_all;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::helpers::{TestApp, WAIT, handed_back_metric, in_a_day, spawn_app};

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

async fn batches(app: &TestApp) -> (f64, f64) {
    (
        app.metric("line_provider_commit_batch_changes_count")
            .await
            .unwrap(),
        app.metric("line_provider_commit_batch_changes_sum")
            .await
            .unwrap(),
    )
}

#[tokio::test]
async fn changes_sent_while_a_commit_is_in_flight_are_written_in_one_statement() {
    let app = spawn_app().await;
    let ids: Vec<String> = (0..40).map(|n| format!("e{n}")).collect();

    let statuses = in_one_batch(
        &app,
        || create(&app, "first"),
        || ids.iter().map(|id| create(&app, id)).collect(),
    )
    .await;

    assert!(statuses.iter().all(|status| *status == 201), "{statuses:?}");
    // The first alone, then the forty together.
    assert_eq!(batches(&app).await, (2.0, 41.0));
    assert_eq!(app.sql_count("SELECT count(*) FROM events").await, 41);
    assert_eq!(
        app.sql_count("SELECT count(*) FROM event_versions WHERE version = 1")
            .await,
        41
    );
    assert_eq!(
        app.sql_count(
            "SELECT count(DISTINCT event_id) FROM outbox WHERE routing_key = 'event.created'"
        )
        .await,
        41
    );
    // Every event served as created, each message published.
    for id in &ids {
        let event = event(&app, id).await;
        assert_eq!(
            (event["version"].as_u64(), event["status"].as_str()),
            (Some(1), Some("new"))
        );
    }
    app.wait_for_metric("line_provider_outbox_published_total", 41.0)
        .await;
    assert_eq!(app.metric("line_provider_commit_waiting").await, Some(0.0));
}

#[tokio::test]
async fn two_creations_of_one_id_in_a_burst_give_one_event_and_a_409() {
    let app = spawn_app().await;

    let statuses = in_one_batch(
        &app,
        || create(&app, "first"),
        || {
            let mut then = Vec::new();
            for n in 0..5 {
                then.push(create(&app, "same"));
                then.push(create(&app, &format!("other-{n}")));
            }
            then
        },
    )
    .await;

    let same: Vec<u16> = statuses[1..].iter().step_by(2).copied().collect();
    let others: Vec<u16> = statuses[2..].iter().step_by(2).copied().collect();
    assert_eq!(
        (
            same.iter().filter(|s| **s == 201).count(),
            same.iter().filter(|s| **s == 409).count()
        ),
        (1, 4),
        "{same:?}"
    );
    assert_eq!(others, [201; 5]);
    let messages = app
        .sql_count("SELECT count(*) FROM outbox WHERE event_id = 'same'")
        .await;
    assert_eq!(messages, 1);
}

#[tokio::test]
async fn concurrent_changes_of_one_event_are_each_written_as_a_version_of_its_own() {
    let app = spawn_app().await;
    app.create_event("e1", "1.50").await;

    let statuses = in_one_batch(
        &app,
        || create(&app, "first"),
        || {
            (0..10)
                .map(|n| {
                    send(
                        &app,
                        reqwest::Method::PATCH,
                        "/events/e1",
                        json!({ "coefficient": format!("2.{n:02}") }),
                    )
                })
                .collect()
        },
    )
    .await;

    assert!(statuses.iter().all(|status| *status < 300), "{statuses:?}");
    let db = app.database().await;
    let versions: Vec<i64> = db
        .query(
            "SELECT (body::jsonb -> 'event' ->> 'version')::bigint FROM outbox
             WHERE event_id = 'e1' ORDER BY seq",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(versions, (1..=11).collect::<Vec<i64>>());
    let stored = app
        .sql_count("SELECT count(*) FROM event_versions WHERE event_id = 'e1'")
        .await;
    assert_eq!(stored, 11);
}

#[tokio::test]
async fn a_new_event_the_database_refuses_fails_alone_and_the_rest_of_its_batch_is_written() {
    let app = spawn_app().await;
    refuse(&app, "INSERT").await;

    let statuses = in_one_batch(
        &app,
        || create(&app, "first"),
        || {
            let mut then = vec![create(&app, "refused")];
            then.extend((0..10).map(|n| create(&app, &format!("e{n}"))));
            then
        },
    )
    .await;

    assert_eq!(statuses[1], 500);
    assert!(
        statuses[2..].iter().all(|status| *status == 201),
        "{statuses:?}"
    );
    // The failed batch's 11 new events, each then inserted alone.
    assert_eq!(app.handed_back("batch_failed").await, Some(11.0));
    assert_eq!(app.get("/events/refused").await.status().as_u16(), 404);
    for n in 0..10 {
        assert_eq!(
            app.get(&format!("/events/e{n}")).await.status().as_u16(),
            200
        );
    }
}

#[tokio::test]
async fn an_event_another_session_holds_holds_up_no_other_change() {
    let app = spawn_app().await;
    app.create_event("held", "1.50").await;
    app.create_event("free", "1.50").await;
    // As a re-publication holds every event it reads.
    let holder = app.database().await;
    holder
        .batch_execute("BEGIN; SELECT 1 FROM events WHERE id = 'held' FOR SHARE")
        .await
        .unwrap();
    // More changes of the held event than the pool has connections (16): they are made
    // alone, a few at a time, and the others wait without a connection.
    let waiting: Vec<JoinHandle<u16>> = (0..20)
        .map(|n| {
            send(
                &app,
                reqwest::Method::PATCH,
                "/events/held",
                json!({ "coefficient": format!("2.{n:02}") }),
            )
        })
        .collect();
    test_support::wait_until("changes of the held event wait for it", WAIT, || async {
        app.statements_waiting_for_a_lock().await == 4
    })
    .await;

    // Meanwhile other events are created and changed, in batches of the writer's.
    let others: Vec<JoinHandle<u16>> = (0..5)
        .map(|n| create(&app, &format!("new-{n}")))
        .chain((0..3).map(|n| {
            send(
                &app,
                reqwest::Method::PATCH,
                "/events/free",
                json!({ "coefficient": format!("3.0{n}") }),
            )
        }))
        .collect();
    let statuses: Vec<u16> = join_all(others)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(statuses, [201, 201, 201, 201, 201, 200, 200, 200]);
    assert!(
        waiting.iter().all(|change| !change.is_finished()),
        "the held event's changes still wait"
    );
    // Each change of the held event goes through a batch once, which hands it back.
    app.wait_for_metric(&handed_back_metric("held_or_changed"), 20.0)
        .await;

    holder.batch_execute("COMMIT").await.unwrap();
    let statuses: Vec<u16> = join_all(waiting)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(statuses, [200; 20]);
    let held = event(&app, "held").await;
    assert_eq!(held["version"], 21);
    // Made alone once free, none of them came back through a batch.
    assert_eq!(app.handed_back("held_or_changed").await, Some(20.0));
    assert_eq!(app.handed_back("batch_failed").await, Some(0.0));
}

#[tokio::test]
async fn a_change_the_database_refuses_fails_alone_and_the_other_changes_are_written() {
    let app = spawn_app().await;
    for n in 0..5 {
        app.create_event(&format!("e{n}"), "1.50").await;
    }
    app.create_event("refused", "1.50").await;
    refuse(&app, "UPDATE").await;
    let patch = |id: &str| {
        send(
            &app,
            reqwest::Method::PATCH,
            &format!("/events/{id}"),
            json!({ "coefficient": "2.50" }),
        )
    };

    let statuses = in_one_batch(
        &app,
        || create(&app, "first"),
        || {
            let mut then = vec![patch("refused")];
            then.extend((0..5).map(|n| patch(&format!("e{n}"))));
            then
        },
    )
    .await;

    assert_eq!(statuses[1], 500);
    assert_eq!(statuses[2..], [200; 5]);
    assert_eq!(app.handed_back("batch_failed").await, Some(6.0));
    let refused = event(&app, "refused").await;
    assert_eq!(refused["version"], 1);
    for n in 0..5 {
        let event: Value = app
            .get(&format!("/events/e{n}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            (event["version"].as_u64(), event["coefficient"].to_string()),
            (Some(2), "2.50".to_owned())
        );
    }
}

#[tokio::test]
async fn a_change_whose_event_moved_on_after_the_batch_read_it_is_decided_again() {
    let app = spawn_app().await;
    app.create_event("moved", "1.50").await;
    let holder = app.database().await;
    holder
        .batch_execute("BEGIN; LOCK TABLE outbox IN EXCLUSIVE MODE")
        .await
        .unwrap();
    let patch = send(
        &app,
        reqwest::Method::PATCH,
        "/events/moved",
        json!({ "coefficient": "2.50" }),
    );
    // The batch has read version 1; its write waits for the outbox.
    test_support::wait_until("the batch's write waits for the outbox", WAIT, || async {
        app.statements_waiting_for_a_lock().await == 1
    })
    .await;
    // Meanwhile another session moves the event to version 2.
    holder
        .batch_execute(
            "UPDATE events SET version = 2, deadline = deadline + interval '1 hour'
             WHERE id = 'moved';
             COMMIT",
        )
        .await
        .unwrap();

    assert_eq!(patch.await.unwrap(), 200);
    let moved = event(&app, "moved").await;
    assert_eq!(moved["version"], 3, "decided again on version 2: {moved}");
    assert_eq!(moved["coefficient"], 2.5);
    assert_eq!(app.handed_back("held_or_changed").await, Some(1.0));
}
