//! Bodies that are not what the contract asks for: always a problem+json 4xx, never a 500.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{assert_problem, in_a_day, spawn_app};

#[tokio::test]
async fn malformed_json_answers_400() {
    let app = spawn_app().await;
    // Syntax before shape: an unknown first member does not make bad JSON a 422.
    for body in [
        "{",
        "{\"coefficient\": }",
        "not json",
        "",
        "{\"a\":}",
        "{\"a\":1,}",
        "{} x",
    ] {
        let response = app
            .admin(Method::POST, "/events")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_problem(response, 400).await;
    }
}

#[tokio::test]
async fn a_body_not_declared_as_json_answers_415() {
    let app = spawn_app().await;
    let body = json!({ "coefficient": 2, "deadline": in_a_day() }).to_string();
    let with_type = app
        .admin(Method::POST, "/events")
        .header("content-type", "text/plain")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_problem(with_type, 415).await;
    let without_type = app
        .admin(Method::POST, "/events")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_problem(without_type, 415).await;
}

#[tokio::test]
async fn json_with_a_charset_or_a_json_suffix_is_accepted() {
    let app = spawn_app().await;
    for (i, content_type) in [
        "application/json; charset=utf-8",
        "application/merge-patch+json",
    ]
    .iter()
    .enumerate()
    {
        let body = json!({ "id": format!("e{i}"), "coefficient": 2, "deadline": in_a_day() });
        let response = app
            .admin(Method::POST, "/events")
            .header("content-type", *content_type)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "for {content_type}");
    }
}

#[tokio::test]
async fn a_body_over_64_kib_answers_413() {
    let app = spawn_app().await;
    let padding = "x".repeat(65 * 1024);
    let body = json!({ "id": "big", "coefficient": 2, "deadline": in_a_day(), "padding": padding });

    let response = app.post_event(body).await;

    assert_problem(response, 413).await;
    assert_problem(app.get("/events/big").await, 404).await;
}

#[tokio::test]
async fn an_unknown_route_answers_404_and_a_wrong_method_405() {
    let app = spawn_app().await;
    assert_problem(app.get("/nowhere").await, 404).await;
    let response = app.admin(Method::DELETE, "/events").send().await.unwrap();
    let allow = response.headers()["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    assert_problem(response, 405).await;
    let response = app.admin(Method::POST, "/events/e1").send().await.unwrap();
    assert_problem(response, 405).await;
    let response = app
        .admin(Method::POST, "/openapi.json")
        .send()
        .await
        .unwrap();
    assert_problem(response, 405).await;
}

#[tokio::test]
async fn values_that_once_crashed_or_slipped_through_are_refused_with_422() {
    let app = spawn_app().await;
    let cases = [
        (
            r#"{"coefficient": 2, "deadline": "9999-12-31T23:59:59-01:00"}"#,
            "deadline",
        ),
        (
            r#"{"coefficient": 1.00000000000000000000000000000000000001e2, "deadline": 4102444800}"#,
            "coefficient",
        ),
        (
            r#"{"coefficient": {"$serde_json::private::Number": "1.50"}, "deadline": 4102444800}"#,
            "coefficient",
        ),
        (
            r#"{"id": null, "coefficient": 2, "deadline": 4102444800}"#,
            "id",
        ),
        (
            r#"{"id": 1.5e0, "coefficient": 2, "deadline": 4102444800}"#,
            "id",
        ),
        (
            r#"{"coefficient": "0000000000000000000000001.5", "deadline": 4102444800}"#,
            "coefficient",
        ),
    ];
    for (body, field) in cases {
        let response = app
            .admin(Method::POST, "/events")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 422).await;
        assert_eq!(problem["field"], field, "for {body}");
    }
}
