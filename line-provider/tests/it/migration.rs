//! Migrations on a database that an older line-provider filled: its events read the same, get
//! a history from their current version on, and take the new changes.

use serde_json::{Value, json};

use crate::helpers::{Options, body_of, schema_version, spawn_app_with};

mod embedded {
    refinery::embed_migrations!("../migrations/line-provider");
}

/// The schema before cancellation, reasons and the history.
const BEFORE_THE_LIFECYCLE: i32 = 2;

#[tokio::test]
async fn events_stored_by_the_first_schema_read_the_same_and_get_a_history() {
    let name = format!("test_lp_{}", uuid::Uuid::new_v4().simple());
    let mut old = test_support::create_database(&name).await;
    embedded::migrations::runner()
        .set_target(refinery::Target::Version(BEFORE_THE_LIFECYCLE))
        .run_async(&mut old)
        .await
        .unwrap();
    // As the first schema stored them: one open event at version 2, one finished at 3.
    old.batch_execute(
        "INSERT INTO events (id, coefficient, deadline, status, version, created_at, updated_at)
         VALUES ('open', 1.85, '2099-01-01T00:00:00Z', 'new', 2,
                 '2026-11-24T12:00:00Z', '2026-11-24T12:30:00Z'),
                ('done', 2.10, '2026-11-24T18:00:00Z', 'finished_win', 3,
                 '2026-11-24T12:00:00Z', '2026-11-24T20:00:00Z')",
    )
    .await
    .unwrap();
    drop(old);

    let app = spawn_app_with(Options {
        database: Some(name),
        ..Options::default()
    })
    .await;

    let open: Value = app.get("/events/open").await.json().await.unwrap();
    assert_eq!(
        (&open["status"], &open["version"], &open["reason"]),
        (&json!("new"), &json!(2), &Value::Null)
    );
    let history: Value = app.get("/events/done/history").await.json().await.unwrap();
    let only = &history.as_array().unwrap()[..];
    assert_eq!(only.len(), 1, "{history}");
    assert_eq!(
        (
            &only[0]["version"],
            &only[0]["status"],
            only[0]["coefficient"].to_string(),
            &only[0]["reason"],
            &only[0]["changed_at"],
        ),
        (
            &json!(3),
            &json!("finished_win"),
            "2.10".to_owned(),
            &Value::Null,
            &json!("2026-11-24T20:00:00Z"),
        )
    );
    let cancelled = app
        .put_status(
            "open",
            json!({ "status": "cancelled", "reason": "after the upgrade" }),
        )
        .await;
    assert_eq!(cancelled.status(), 200);
    let corrected = app
        .admin(reqwest::Method::POST, "/events/done/corrections")
        .json(&json!({ "status": "finished_lose", "reason": "after the upgrade" }))
        .send()
        .await
        .unwrap();
    assert_eq!(corrected.status(), 200);
    let history: Value = app.get("/events/done/history").await.json().await.unwrap();
    let versions: Vec<u64> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, [3, 4]);
}

/// The schema before limits.
const BEFORE_LIMITS: i32 = 4;

#[tokio::test]
async fn events_stored_before_limits_have_none_and_their_waiting_messages_keep_their_version() {
    let name = format!("test_lp_{}", uuid::Uuid::new_v4().simple());
    let mut old = test_support::create_database(&name).await;
    embedded::migrations::runner()
        .set_target(refinery::Target::Version(BEFORE_LIMITS))
        .run_async(&mut old)
        .await
        .unwrap();
    // As the schema before limits stored them: an open event and a cancelled one, with their
    // history, and the cancellation's message still waiting for the broker.
    old.batch_execute(
        "INSERT INTO events (id, coefficient, deadline, status, version, created_at, updated_at,
                             reason)
         VALUES ('open', 1.85, '2099-01-01T00:00:00Z', 'new', 1,
                 '2026-11-24T12:00:00Z', '2026-11-24T12:00:00Z', NULL),
                ('gone', 2.10, '2099-01-01T00:00:00Z', 'cancelled', 2,
                 '2026-11-24T12:00:00Z', '2026-11-24T13:00:00Z', 'rain');
         INSERT INTO event_versions (event_id, version, status, coefficient, deadline, reason,
                                     changed_at)
         VALUES ('open', 1, 'new', 1.85, '2099-01-01T00:00:00Z', NULL, '2026-11-24T12:00:00Z'),
                ('gone', 2, 'cancelled', 2.10, '2099-01-01T00:00:00Z', 'rain',
                 '2026-11-24T13:00:00Z');
         INSERT INTO outbox (message_id, routing_key, event_id, body, created_at)
         VALUES ('0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a71', 'event.cancelled', 'gone',
                 '{\"message_id\":\"0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a71\"}',
                 '2026-11-24T13:00:00Z')",
    )
    .await
    .unwrap();
    drop(old);

    let mut app = spawn_app_with(Options {
        database: Some(name),
        ..Options::default()
    })
    .await;

    let waiting = app.next_message().await;
    assert_eq!(waiting.routing_key.as_str(), "event.cancelled");
    assert_eq!(schema_version(&waiting), Some(2), "as its routing key says");
    for id in ["open", "gone"] {
        let event: Value = app
            .get(&format!("/events/{id}"))
            .await
            .json()
            .await
            .unwrap();
        let history: Value = app
            .get(&format!("/events/{id}/history"))
            .await
            .json()
            .await
            .unwrap();
        for value in [&event, &history[0]] {
            for member in ["min_stake", "max_stake", "max_liability"] {
                assert_eq!(value.get(member), Some(&Value::Null), "{id}: {value}");
            }
        }
    }
    let changed = app.patch_event("open", json!({ "max_stake": 20 })).await;
    assert_eq!(changed.status(), 200);
    let delivery = app.next_message().await;
    assert_eq!(body_of(&delivery)["event"]["version"], 2);
    assert_eq!(schema_version(&delivery), Some(3));
    let history: Value = app.get("/events/open/history").await.json().await.unwrap();
    assert_eq!(history[1]["max_stake"].to_string(), "20.00");

    // The database refuses what the API does, as a second line.
    let database = app.database().await;
    for (assignment, constraint) in [
        ("min_stake = 30", "events_stakes_ordered"),
        ("min_stake = 0", "events_min_stake_range"),
        ("max_stake = 1000000000.01", "events_max_stake_range"),
        ("max_liability = -1", "events_max_liability_range"),
    ] {
        let refused = database
            .execute(
                &format!("UPDATE events SET {assignment} WHERE id = 'open'"),
                &[],
            )
            .await
            .unwrap_err();
        let violated = refused.as_db_error().and_then(|e| e.constraint());
        assert_eq!(violated, Some(constraint), "{assignment}: {refused}");
    }
}
