//! Migrations on a database that an older line-provider filled: its events read the same, get
//! a history from their current version on, and take the new changes.

use serde_json::{Value, json};

use crate::helpers::{Options, spawn_app_with};

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
