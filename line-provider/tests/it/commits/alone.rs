//! Work a batch hands back to its request, which makes it alone: a piece the database refuses
//! fails alone, an event another session holds holds up only its own changes, and a change
//! whose event moved on since the batch read it is decided again.

use futures_util::future::join_all;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::helpers::{WAIT, handed_back_metric, spawn_app};

use super::{create, event, in_one_batch, refuse, send};

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
