//! Creating, reading, changing and finishing events.

use serde_json::{Value, json};

use crate::helpers::{assert_problem, in_a_day, spawn_app};

#[tokio::test]
async fn creating_an_event_answers_201_with_the_event_at_version_1() {
    let app = spawn_app().await;

    let response = app
        .post_event(
            json!({ "id": "match-1", "coefficient": 1.5, "deadline": "2099-01-01T21:00:00+03:00" }),
        )
        .await;

    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["location"], "/events/match-1");
    let text = response.text().await.unwrap();
    assert!(
        text.contains(r#""coefficient":1.50"#),
        "two decimals on output: {text}"
    );
    let event: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(event["id"], "match-1");
    assert_eq!(event["deadline"], "2099-01-01T18:00:00Z");
    assert_eq!(event["status"], "new");
    assert_eq!(event["version"], 1);
    assert!(event["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(event["created_at"], event["updated_at"]);
}

#[tokio::test]
async fn an_event_without_an_id_gets_one_from_the_service() {
    let app = spawn_app().await;

    let response = app
        .post_event(json!({ "coefficient": "2.25", "deadline": in_a_day() }))
        .await;

    assert_eq!(response.status(), 201);
    let event: Value = response.json().await.unwrap();
    let id = event["id"].as_str().unwrap();
    assert!(!id.is_empty());
    assert_eq!(app.get(&format!("/events/{id}")).await.status(), 200);
}

#[tokio::test]
async fn an_integer_id_means_its_decimal_string() {
    let app = spawn_app().await;

    let response = app
        .post_event(json!({ "id": 42, "coefficient": 2, "deadline": in_a_day() }))
        .await;

    assert_eq!(response.status(), 201);
    let event: Value = response.json().await.unwrap();
    assert_eq!(event["id"], "42");
    assert_eq!(app.get("/events/42").await.status(), 200);
}

#[tokio::test]
async fn a_deadline_in_unix_seconds_is_accepted() {
    let app = spawn_app().await;

    let response = app
        .post_event(json!({ "id": "u", "coefficient": 2, "deadline": 4_102_444_800_u64 }))
        .await;

    assert_eq!(response.status(), 201);
    let event: Value = response.json().await.unwrap();
    assert_eq!(event["deadline"], "2100-01-01T00:00:00Z");
}

#[tokio::test]
async fn creating_an_event_with_a_taken_id_answers_409() {
    let app = spawn_app().await;
    app.create_event("dup", "1.50").await;

    let response = app
        .post_event(json!({ "id": "dup", "coefficient": 3, "deadline": in_a_day() }))
        .await;

    let problem = assert_problem(response, 409).await;
    assert!(problem["detail"].as_str().unwrap().contains("dup"));
    let event: Value = app.get("/events/dup").await.json().await.unwrap();
    assert_eq!(
        event["coefficient"].to_string(),
        "1.50",
        "the first event is untouched"
    );
}

#[tokio::test]
async fn an_event_is_read_by_id_and_an_unknown_id_answers_404() {
    let app = spawn_app().await;
    let created = app.create_event("e1", "1.85").await;

    let response = app.get("/events/e1").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), created);

    assert_problem(app.get("/events/nope").await, 404).await;
    assert_problem(app.get("/events/not%20an%20id").await, 404).await;
}

#[tokio::test]
async fn events_are_listed_oldest_first_and_filtered_by_status() {
    let app = spawn_app().await;
    for id in ["a", "b", "c"] {
        app.create_event(id, "1.10").await;
    }
    assert_eq!(app.finish_event("b", "finished_win").await.status(), 200);
    assert_eq!(app.finish_event("c", "finished_lose").await.status(), 200);

    let ids = |events: Value| -> Vec<String> {
        events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        ids(app.get("/events").await.json().await.unwrap()),
        ["a", "b", "c"]
    );
    assert_eq!(
        ids(app.get("/events?status=new").await.json().await.unwrap()),
        ["a"]
    );
    assert_eq!(
        ids(app
            .get("/events?status=finished_win")
            .await
            .json()
            .await
            .unwrap()),
        ["b"]
    );
    assert_eq!(
        ids(app
            .get("/events?status=finished_lose")
            .await
            .json()
            .await
            .unwrap()),
        ["c"]
    );
    let problem = assert_problem(app.get("/events?status=draw").await, 422).await;
    assert_eq!(problem["field"], "status");
}

#[tokio::test]
async fn changing_the_odds_bumps_the_version() {
    let app = spawn_app().await;
    let created = app.create_event("e1", "1.85").await;

    let response = app.patch_event("e1", json!({ "coefficient": "2.1" })).await;

    assert_eq!(response.status(), 200);
    let event: Value = response.json().await.unwrap();
    assert_eq!(event["coefficient"].to_string(), "2.10");
    assert_eq!(event["deadline"], created["deadline"]);
    assert_eq!(event["version"], 2);
}

#[tokio::test]
async fn changing_the_deadline_bumps_the_version() {
    let app = spawn_app().await;
    app.create_event("e1", "1.85").await;

    let response = app
        .patch_event("e1", json!({ "deadline": "2099-06-01T12:00:00Z" }))
        .await;

    assert_eq!(response.status(), 200);
    let event: Value = response.json().await.unwrap();
    assert_eq!(event["deadline"], "2099-06-01T12:00:00Z");
    assert_eq!(event["coefficient"].to_string(), "1.85");
    assert_eq!(event["version"], 2);
}

#[tokio::test]
async fn a_change_to_the_same_values_is_a_no_op() {
    let app = spawn_app().await;
    let created = app.create_event("e1", "1.85").await;

    let response = app
        .patch_event(
            "e1",
            json!({ "coefficient": 1.85, "deadline": created["deadline"] }),
        )
        .await;

    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), created);
}

#[tokio::test]
async fn a_finished_event_cannot_change_and_unknown_events_answer_404() {
    let app = spawn_app().await;
    app.create_event("e1", "1.85").await;
    app.finish_event("e1", "finished_win").await;

    assert_problem(
        app.patch_event("e1", json!({ "coefficient": 3 })).await,
        409,
    )
    .await;
    assert_problem(
        app.patch_event("nope", json!({ "coefficient": 3 })).await,
        404,
    )
    .await;
    // The batch found no such event and handed the change back; made alone, it answered 404.
    assert_eq!(app.handed_back("not_found").await, Some(1.0));
}

#[tokio::test]
async fn an_empty_change_answers_422() {
    let app = spawn_app().await;
    app.create_event("e1", "1.85").await;

    assert_problem(app.patch_event("e1", json!({})).await, 422).await;
    assert_problem(
        app.patch_event("e1", json!({ "coefficient": null })).await,
        422,
    )
    .await;
}

#[tokio::test]
async fn finishing_an_event_sets_its_result_once() {
    let app = spawn_app().await;
    app.create_event("e1", "1.85").await;

    let response = app.finish_event("e1", "finished_win").await;
    assert_eq!(response.status(), 200);
    let finished: Value = response.json().await.unwrap();
    assert_eq!(finished["status"], "finished_win");
    assert_eq!(finished["version"], 2);

    let again = app.finish_event("e1", "finished_win").await;
    assert_eq!(again.status(), 200, "the same result again is a no-op");
    assert_eq!(again.json::<Value>().await.unwrap(), finished);

    assert_problem(app.finish_event("e1", "finished_lose").await, 409).await;
    let problem = assert_problem(app.finish_event("e1", "new").await, 422).await;
    assert_eq!(problem["field"], "status");
    assert_problem(app.finish_event("nope", "finished_win").await, 404).await;
    let event: Value = app.get("/events/e1").await.json().await.unwrap();
    assert_eq!(event, finished);
}

#[tokio::test]
async fn an_event_with_a_deadline_in_the_past_is_created_closed_for_betting() {
    let app = spawn_app().await;

    let response = app
        .post_event(json!({ "id": "closed", "coefficient": 2, "deadline": "2020-01-01T00:00:00Z" }))
        .await;

    assert_eq!(response.status(), 201);
    let event: Value = response.json().await.unwrap();
    assert_eq!(event["deadline"], "2020-01-01T00:00:00Z");
    assert_eq!(event["status"], "new");
}
