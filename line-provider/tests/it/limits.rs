//! An event's limits (`min_stake`, `max_stake`, `max_liability`): set on creation, changed,
//! removed, served, kept in the history and published, at schema version 3 while the event has
//! one.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{
    TestApp, as_published, assert_problem, body_of, in_a_day, schema_version, spawn_app,
};

/// The three limits as written in JSON (`null` when unset).
fn limits_of(event: &Value) -> [String; 3] {
    ["min_stake", "max_stake", "max_liability"].map(|member| {
        assert!(event.get(member).is_some(), "{member} missing from {event}");
        event[member].to_string()
    })
}

/// The next message, checked to be `routing_key` about `served` as served, and its version.
async fn next_published(app: &mut TestApp, routing_key: &str, served: &Value) -> Option<u32> {
    let delivery = app.next_message().await;
    assert_eq!(delivery.routing_key.as_str(), routing_key);
    assert_eq!(body_of(&delivery)["event"], as_published(served));
    schema_version(&delivery)
}

#[tokio::test]
async fn an_event_created_with_limits_serves_them_and_publishes_them_at_schema_version_3() {
    let mut app = spawn_app().await;

    let response = app
        .post_event(json!({
            "id": "e1", "coefficient": 2, "deadline": in_a_day(),
            "min_stake": "1.5", "max_stake": 500, "max_liability": 25000.5,
        }))
        .await;

    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let expected = ["1.50", "500.00", "25000.50"].map(str::to_owned);
    assert_eq!(limits_of(&created), expected);
    let stored: Value = app.get("/events/e1").await.json().await.unwrap();
    assert_eq!(stored, created);
    let listed: Value = app.get("/events").await.json().await.unwrap();
    assert_eq!(listed[0], created);
    let delivery = app.next_message().await;
    assert_eq!(delivery.routing_key.as_str(), "event.created");
    assert_eq!(schema_version(&delivery), Some(3));
    let text = String::from_utf8_lossy(&delivery.data).into_owned();
    for member in [
        r#""min_stake":1.50"#,
        r#""max_stake":500.00"#,
        r#""max_liability":25000.50"#,
    ] {
        assert!(text.contains(member), "{member} not in {text}");
    }
    assert_eq!(body_of(&delivery)["event"], as_published(&created));
}

#[tokio::test]
async fn an_event_without_limits_serves_nulls_and_its_message_has_none_at_its_kind_s_version() {
    let mut app = spawn_app().await;
    let plain = app.create_event("plain", "1.85").await;
    let nulls: Value = app
        .post_event(json!({
            "id": "nulls", "coefficient": 2, "deadline": in_a_day(),
            "min_stake": null, "max_stake": null, "max_liability": null,
        }))
        .await
        .json()
        .await
        .unwrap();

    for event in [&plain, &nulls] {
        assert_eq!(
            limits_of(event),
            ["null", "null", "null"].map(str::to_owned)
        );
        let delivery = app.next_message().await;
        assert_eq!(schema_version(&delivery), Some(1));
        let message = body_of(&delivery);
        assert_eq!(message["event"]["id"], event["id"]);
        for member in ["min_stake", "max_stake", "max_liability"] {
            assert!(message["event"].get(member).is_none(), "{message}");
        }
    }
}

#[tokio::test]
async fn a_change_sets_changes_and_removes_each_limit_and_publishes_it() {
    let mut app = spawn_app().await;
    app.create_event("e1", "1.85").await;
    app.next_message().await;

    let steps = [
        (json!({ "min_stake": 2 }), ["2.00", "null", "null"], 3),
        (
            json!({ "max_stake": "100", "max_liability": 1000 }),
            ["2.00", "100.00", "1000.00"],
            3,
        ),
        (
            json!({ "min_stake": 5, "max_liability": "999.99" }),
            ["5.00", "100.00", "999.99"],
            3,
        ),
        (
            json!({ "min_stake": null }),
            ["null", "100.00", "999.99"],
            3,
        ),
        (
            json!({ "max_stake": null, "max_liability": null }),
            ["null", "null", "null"],
            1,
        ),
    ];
    for (version, (body, limits, schema)) in (2..).zip(steps) {
        let response = app.patch_event("e1", body.clone()).await;
        assert_eq!(response.status(), 200, "{body}");
        let event: Value = response.json().await.unwrap();
        assert_eq!(event["version"], version, "{body}");
        assert_eq!(limits_of(&event), limits.map(str::to_owned), "{body}");
        assert_eq!(event["coefficient"].to_string(), "1.85");
        let published = next_published(&mut app, "event.updated", &event).await;
        assert_eq!(published, Some(schema), "{body}");
    }
    let stored: Value = app.get("/events/e1").await.json().await.unwrap();
    assert_eq!(stored["version"], 6);
}

#[tokio::test]
async fn a_change_of_odds_keeps_the_limits_and_a_change_to_the_same_limits_is_a_no_op() {
    let mut app = spawn_app().await;
    app.post_event(json!({
        "id": "e1", "coefficient": 2, "deadline": in_a_day(), "max_liability": 300,
    }))
    .await;
    app.next_message().await;

    let changed: Value = app
        .patch_event("e1", json!({ "coefficient": "2.50" }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(limits_of(&changed)[2], "300.00");
    assert_eq!(
        next_published(&mut app, "event.updated", &changed).await,
        Some(3)
    );
    for same in [
        json!({ "max_liability": "300.00" }),
        json!({ "min_stake": null }),
        json!({ "max_stake": null, "coefficient": 2.5 }),
    ] {
        let response = app.patch_event("e1", same.clone()).await;
        assert_eq!(response.status(), 200, "{same}");
        let event: Value = response.json().await.unwrap();
        assert_eq!(event, changed, "{same} changes nothing");
    }
    app.assert_no_message_for(Duration::from_millis(1500)).await;
}

#[tokio::test]
async fn a_finished_event_keeps_its_limits_and_they_can_no_longer_change() {
    let mut app = spawn_app().await;
    app.post_event(json!({
        "id": "e1", "coefficient": 2, "deadline": in_a_day(), "min_stake": 1,
    }))
    .await;
    app.next_message().await;
    let finished: Value = app
        .finish_event("e1", "finished_win")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(limits_of(&finished)[0], "1.00");
    assert_eq!(
        next_published(&mut app, "event.finished", &finished).await,
        Some(3),
        "the finish of an event with limits is described by schema 3"
    );

    for body in [
        json!({ "max_stake": 10 }),
        json!({ "min_stake": null }),
        json!({ "min_stake": 1 }),
    ] {
        let problem = assert_problem(app.patch_event("e1", body.clone()).await, 409).await;
        assert!(
            problem["type"]
                .as_str()
                .unwrap()
                .ends_with("event-finished"),
            "{body}: {problem}"
        );
    }
    let stored: Value = app.get("/events/e1").await.json().await.unwrap();
    assert_eq!(stored, finished);
    app.assert_no_message_for(Duration::from_millis(1500)).await;
}

#[tokio::test]
async fn the_history_shows_the_limits_of_every_version() {
    let app = spawn_app().await;
    app.post_event(json!({
        "id": "e1", "coefficient": 2, "deadline": in_a_day(), "min_stake": 1,
    }))
    .await;
    app.patch_event("e1", json!({ "max_stake": 50 })).await;
    app.patch_event("e1", json!({ "min_stake": null, "max_liability": 70 }))
        .await;

    let history: Value = app.get("/events/e1/history").await.json().await.unwrap();

    let versions: Vec<(u64, [String; 3])> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["version"].as_u64().unwrap(), limits_of(v)))
        .collect();
    let expected = [
        (1, ["1.00", "null", "null"]),
        (2, ["1.00", "50.00", "null"]),
        (3, ["null", "50.00", "70.00"]),
    ]
    .map(|(version, limits)| (version, limits.map(str::to_owned)));
    assert_eq!(versions, expected);
}

#[tokio::test]
async fn the_openapi_document_describes_the_limits_as_optional_nullable_money() {
    let app = spawn_app().await;
    let document: Value = app.get("/openapi.json").await.json().await.unwrap();
    let schemas = &document["components"]["schemas"];
    for request in ["CreateEventRequest", "ChangeEventRequest"] {
        let required = schemas[request]["required"].as_array().cloned();
        for member in ["min_stake", "max_stake", "max_liability"] {
            let types: Vec<Value> = schemas[request]["properties"][member]["oneOf"]
                .as_array()
                .unwrap_or_else(|| panic!("{request}.{member}"))
                .iter()
                .map(|item| item["type"].clone())
                .collect();
            assert_eq!(types, [json!("number"), json!("string"), json!("null")]);
            assert!(!required.iter().flatten().any(|r| r == member));
        }
    }
    for body in ["EventBody", "VersionBody"] {
        for member in ["min_stake", "max_stake", "max_liability"] {
            let schema = &schemas[body]["properties"][member];
            assert_eq!(schema["type"], json!(["number", "null"]), "{body}.{member}");
            assert_eq!(schema["maximum"], 1_000_000_000, "{body}.{member}");
        }
    }
}

#[tokio::test]
async fn republishing_sends_each_event_s_limits_at_the_version_that_describes_them() {
    let mut app = spawn_app().await;
    let limited: Value = app
        .post_event(json!({ "id": "a", "coefficient": 2, "deadline": in_a_day(), "max_stake": 10 }))
        .await
        .json()
        .await
        .unwrap();
    let plain = app.create_event("b", "2.00").await;
    app.next_message().await;
    app.next_message().await;

    let response = app
        .admin(reqwest::Method::POST, "/admin/republish")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 202);
    let first = next_published(&mut app, "event.created", &limited).await;
    let second = next_published(&mut app, "event.created", &plain).await;
    assert_eq!((first, second), (Some(3), Some(1)));
}
