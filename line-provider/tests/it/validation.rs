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
        // No URL can address these: `/events/..` is `/`.
        json!("."),
        json!(".."),
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

#[tokio::test]
async fn invalid_limits_are_refused_with_422_naming_the_limit_on_create_and_change() {
    let app = spawn_app().await;
    let created = app.create_event("e1", "1.85").await;
    let cases = [
        raw("0"),
        json!("0.00"),
        raw("-1"),
        raw("1.555"),
        json!("1.555"),
        raw("1000000000.01"),
        json!("1000000001"),
        raw("1e10"),
        json!("1e2"),
        json!("abc"),
        json!(""),
        json!(true),
        json!([5]),
        json!({ "value": 5 }),
    ];
    for field in ["min_stake", "max_stake", "max_liability"] {
        for value in &cases {
            let body = json!({ "id": "x", "coefficient": 2, "deadline": in_a_day(), field: value });
            let problem = assert_problem(app.post_event(body).await, 422).await;
            assert_eq!(problem["field"], field, "creating with {value}");
            assert!(problem["type"].as_str().unwrap().ends_with("invalid-value"));
            let change = app.patch_event("e1", json!({ field: value })).await;
            let problem = assert_problem(change, 422).await;
            assert_eq!(problem["field"], field, "changing to {value}");
        }
    }
    assert_problem(app.get("/events/x").await, 404).await;
    let event: Value = app.get("/events/e1").await.json().await.unwrap();
    assert_eq!(event, created);
}

#[tokio::test]
async fn the_largest_limits_and_every_spelling_of_money_are_accepted() {
    let app = spawn_app().await;
    let response = app
        .post_event(json!({
            "id": "e1", "coefficient": 2, "deadline": in_a_day(),
            "min_stake": raw("0.01"), "max_stake": "1000000000", "max_liability": raw("1e9"),
        }))
        .await;
    assert_eq!(response.status(), 201);
    let text = response.text().await.unwrap();
    for member in [
        r#""min_stake":0.01"#,
        r#""max_stake":1000000000.00"#,
        r#""max_liability":1000000000.00"#,
    ] {
        assert!(text.contains(member), "{member} not in {text}");
    }
}

#[tokio::test]
async fn a_smallest_stake_above_the_largest_is_refused_on_create_and_by_a_change() {
    let app = spawn_app().await;
    let body = json!({
        "id": "x", "coefficient": 2, "deadline": in_a_day(), "min_stake": 10, "max_stake": "9.99",
    });
    let problem = assert_problem(app.post_event(body).await, 422).await;
    assert_eq!(problem["field"], "min_stake");
    assert_problem(app.get("/events/x").await, 404).await;

    let response = app
        .post_event(
            json!({ "id": "e1", "coefficient": 2, "deadline": in_a_day(), "min_stake": 10 }),
        )
        .await;
    let created: Value = response.json().await.unwrap();
    for body in [
        json!({ "max_stake": 5 }),
        json!({ "min_stake": 10, "max_stake": 5 }),
        json!({ "min_stake": 20, "max_stake": 15, "coefficient": 3 }),
    ] {
        let problem = assert_problem(app.patch_event("e1", body.clone()).await, 422).await;
        assert_eq!(problem["field"], "min_stake", "{body}");
        assert!(
            problem["detail"].as_str().unwrap().contains("max_stake"),
            "{problem}"
        );
    }
    let event: Value = app.get("/events/e1").await.json().await.unwrap();
    assert_eq!(event, created, "a refused change changes nothing");
    let equal = app.patch_event("e1", json!({ "max_stake": 10 })).await;
    assert_eq!(
        equal.status(),
        200,
        "the smallest stake may equal the largest"
    );
    let lower_both = app
        .patch_event("e1", json!({ "min_stake": 1, "max_stake": 2 }))
        .await;
    assert_eq!(lower_both.status(), 200, "both move together");
}

#[tokio::test]
async fn an_empty_change_is_refused_with_every_member_it_could_have_named() {
    let app = spawn_app().await;
    app.create_event("e1", "1.85").await;
    let problem = assert_problem(app.patch_event("e1", json!({})).await, 422).await;
    let detail = problem["detail"].as_str().unwrap();
    for member in [
        "coefficient",
        "deadline",
        "min_stake",
        "max_stake",
        "max_liability",
    ] {
        assert!(detail.contains(member), "{detail}");
    }
}
