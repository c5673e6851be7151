//! Every value rule of the contract, through the HTTP API: 422 with the field named.

use serde_json::{Value, json};

use crate::helpers::{assert_problem, in_a_day, spawn_app};

fn raw(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[tokio::test]
async fn invalid_coefficients_are_refused_with_422() {
    let app = spawn_app().await;
    let cases = [
        raw("0"),
        raw("0.00"),
        raw("-1.5"),
        raw("1.555"),
        raw("1.500"),
        raw("1555e-3"),
        raw("10000.01"),
        raw("1e400"),
        json!("NaN"),
        json!("1.5e0"),
        json!("abc"),
        json!(""),
        json!(true),
        json!(null),
        json!([1.5]),
    ];
    for coefficient in cases {
        let response = app
            .post_event(json!({ "id": "x", "coefficient": coefficient, "deadline": in_a_day() }))
            .await;
        let problem = assert_problem(response, 422).await;
        assert_eq!(problem["field"], "coefficient", "for {coefficient}");
    }
    assert_problem(app.get("/events/x").await, 404).await;
}

#[tokio::test]
async fn valid_coefficient_spellings_are_accepted() {
    let app = spawn_app().await;
    for (i, (coefficient, expected)) in [
        (raw("1.85"), "1.85"),
        (raw("2"), "2.00"),
        (json!("3.5"), "3.50"),
        (raw("1.5e1"), "15.00"),
        (raw("10000.00"), "10000.00"),
        (raw("0.01"), "0.01"),
    ]
    .into_iter()
    .enumerate()
    {
        let response = app
            .post_event(json!({ "id": format!("ok{i}"), "coefficient": coefficient, "deadline": in_a_day() }))
            .await;
        assert_eq!(response.status(), 201, "for {coefficient}");
        let text = response.text().await.unwrap();
        assert!(
            text.contains(&format!(r#""coefficient":{expected}"#)),
            "{text}"
        );
    }
}

#[tokio::test]
async fn invalid_deadlines_are_refused_with_422() {
    let app = spawn_app().await;
    for deadline in [
        json!("2099-01-01T00:00:00"),
        json!("2099-01-01"),
        json!("soon"),
        json!(-5),
        raw("4102444800.5"),
        json!(253_370_764_800_u64),
        json!("9999-01-01T00:00:00Z"),
        json!(true),
        json!(null),
    ] {
        let response = app
            .post_event(json!({ "id": "x", "coefficient": 2, "deadline": deadline }))
            .await;
        let problem = assert_problem(response, 422).await;
        assert_eq!(problem["field"], "deadline", "for {deadline}");
    }
}

#[tokio::test]
async fn invalid_ids_are_refused_with_422() {
    let app = spawn_app().await;
    for id in [
        json!(""),
        json!("a b"),
        json!("a/b"),
        json!("é"),
        json!("x".repeat(65)),
        json!(1.5),
        json!(true),
    ] {
        let response = app
            .post_event(json!({ "id": id, "coefficient": 2, "deadline": in_a_day() }))
            .await;
        let problem = assert_problem(response, 422).await;
        assert_eq!(problem["field"], "id", "for {id}");
    }
    let longest = "x".repeat(64);
    let response = app
        .post_event(json!({ "id": longest, "coefficient": 2, "deadline": in_a_day() }))
        .await;
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn a_change_with_an_invalid_value_changes_nothing() {
    let app = spawn_app().await;
    let created = app.create_event("e1", "1.85").await;

    for body in [
        json!({ "coefficient": 0 }),
        json!({ "coefficient": "1.999" }),
        json!({ "deadline": "tomorrow" }),
        json!({ "coefficient": 2, "deadline": "tomorrow" }),
    ] {
        assert_problem(app.patch_event("e1", body).await, 422).await;
    }
    let event: Value = app.get("/events/e1").await.json().await.unwrap();
    assert_eq!(event, created);
}

#[tokio::test]
async fn missing_and_unknown_fields_are_refused_with_422() {
    let app = spawn_app().await;
    let cases = [
        json!({ "coefficient": 2 }),
        json!({ "deadline": in_a_day() }),
        json!({ "coefficient": 2, "deadline": in_a_day(), "colour": "red" }),
        json!([1, 2]),
        json!("event"),
    ];
    for body in cases {
        assert_problem(app.post_event(body).await, 422).await;
    }
    app.create_event("e1", "1.85").await;
    assert_problem(app.patch_event("e1", json!({ "coef": 2 })).await, 422).await;
    let response = app
        .admin(reqwest::Method::PUT, "/events/e1/status")
        .json(&json!({ "result": "finished_win" }))
        .send()
        .await
        .unwrap();
    assert_problem(response, 422).await;
}
