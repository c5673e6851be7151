//! The operator token, its check, and the re-publish route.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Options, assert_problem, body_of, in_a_day, spawn_app, spawn_app_with};

#[tokio::test]
async fn changing_routes_answer_401_without_the_token_or_with_a_wrong_one() {
    let app = spawn_app().await;
    app.create_event("e1", "1.85").await;
    let attempts = [
        (
            Method::POST,
            "/events",
            json!({ "coefficient": 2, "deadline": in_a_day() }),
        ),
        (Method::PATCH, "/events/e1", json!({ "coefficient": 2 })),
        (
            Method::PUT,
            "/events/e1/status",
            json!({ "status": "finished_win" }),
        ),
        (Method::POST, "/admin/republish", json!({})),
    ];
    for (method, path, body) in attempts {
        let anonymous = app
            .http
            .request(method.clone(), app.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
        assert_problem(anonymous, 401).await;
        let wrong = app
            .http
            .request(method, app.url(path))
            .bearer_auth("not-the-token")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_problem(wrong, 401).await;
    }
    let event: Value = app.get("/events/e1").await.json().await.unwrap();
    assert_eq!(event["version"], 1, "nothing changed");
}

#[tokio::test]
async fn reading_routes_need_no_token() {
    let app = spawn_app().await;
    app.create_event("e1", "1.85").await;
    assert_eq!(app.get("/events").await.status(), 200);
    assert_eq!(app.get("/events/e1").await.status(), 200);
}

#[tokio::test]
async fn without_an_admin_token_configured_the_changing_routes_are_open() {
    let app = spawn_app_with(Options {
        admin_token: None,
        ..Options::default()
    })
    .await;
    let response = app
        .http
        .post(app.url("/events"))
        .json(&json!({ "id": "open", "coefficient": 2, "deadline": in_a_day() }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn the_token_check_answers_204_for_the_token_and_401_for_a_wrong_one_or_none() {
    let app = spawn_app().await;

    let right = app.admin(Method::GET, "/admin/token").send().await.unwrap();
    let wrong = app
        .http
        .get(app.url("/admin/token"))
        .bearer_auth("not-the-token")
        .send()
        .await
        .unwrap();
    let none = app.get("/admin/token").await;

    assert_eq!(right.status(), 204);
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    assert_problem(wrong, 401).await;
    assert_problem(none, 401).await;
}

#[tokio::test]
async fn without_an_admin_token_configured_the_token_check_passes_any_token() {
    let app = spawn_app_with(Options {
        admin_token: None,
        ..Options::default()
    })
    .await;

    let any = app
        .http
        .get(app.url("/admin/token"))
        .bearer_auth("anything")
        .send()
        .await
        .unwrap();

    assert_eq!(any.status(), 204);
    assert_eq!(app.get("/admin/token").await.status(), 204);
}

#[tokio::test]
async fn republish_sends_the_current_state_of_every_event_again() {
    let mut app = spawn_app().await;
    app.create_event("a", "1.10").await;
    app.create_event("b", "1.20").await;
    app.patch_event("b", json!({ "coefficient": 1.3 })).await;
    app.create_event("c", "1.30").await;
    app.finish_event("c", "finished_lose").await;
    for _ in 0..5 {
        app.next_message().await;
    }

    let response = app
        .admin(Method::POST, "/admin/republish")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 202);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "events": 3 })
    );
    let mut seen = Vec::new();
    for _ in 0..3 {
        let delivery = app.next_message().await;
        let body = body_of(&delivery);
        seen.push((
            delivery.routing_key.to_string(),
            body["event"]["id"].as_str().unwrap().to_owned(),
            body["event"]["version"].as_u64().unwrap(),
        ));
    }
    seen.sort_by(|x, y| x.1.cmp(&y.1));
    assert_eq!(
        seen,
        [
            ("event.created".to_owned(), "a".to_owned(), 1),
            ("event.updated".to_owned(), "b".to_owned(), 2),
            ("event.finished".to_owned(), "c".to_owned(), 2),
        ]
    );
}
