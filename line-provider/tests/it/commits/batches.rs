//! What one batch writes: new events in one statement, each change of one event a version of
//! its own, and one event per id.

use serde_json::json;

use crate::helpers::{TestApp, spawn_app};

use super::{create, event, in_one_batch, send};

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
