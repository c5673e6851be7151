//! Health, metrics, the OpenAPI document and the offline docs.

use serde_json::Value;

use crate::helpers::{Options, spawn_app, spawn_app_with};

#[tokio::test]
async fn liveness_and_readiness_answer_200_when_everything_is_up() {
    let app = spawn_app().await;
    assert_eq!(app.get("/health/live").await.status(), 200);
    app.wait_for_status("/health/ready", 200).await;
}

#[tokio::test]
async fn readiness_answers_503_with_the_reason_while_the_broker_is_unreachable() {
    let app = spawn_app_with(Options {
        proxy: Some(true),
        ..Options::default()
    })
    .await;
    app.wait_for_status("/health/ready", 200).await;
    app.cut_broker().await;
    let response = app.get("/health/ready").await;
    assert_eq!(response.status(), 503);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("broker unreachable")
    );
    assert_eq!(
        app.get("/health/live").await.status(),
        200,
        "alive all the same"
    );
}

#[tokio::test]
async fn metrics_count_changes_and_published_messages() {
    let mut app = spawn_app().await;
    app.create_event("e1", "1.50").await;
    app.finish_event("e1", "finished_lose").await;
    app.next_message().await;
    app.next_message().await;

    app.wait_for_metric("line_provider_outbox_published_total", 2.0)
        .await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    for line in [
        r#"line_provider_event_changes_total{routing_key="event.created"} 1"#,
        r#"line_provider_event_changes_total{routing_key="event.finished"} 1"#,
        "line_provider_broker_connected 1",
        "line_provider_event_change_retries_total 0",
        r#"line_provider_commit_handed_back_total{reason="held_or_changed"} 0"#,
        r#"line_provider_commit_handed_back_total{reason="not_found"} 0"#,
        r#"line_provider_commit_handed_back_total{reason="batch_failed"} 0"#,
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    assert!(text.contains("line_provider_outbox_pending 0"), "{text}");
    assert!(
        text.contains(r#"route="/events/{id}/status""#),
        "HTTP requests by route"
    );
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let app = spawn_app().await;
    let document: Value = app.get("/openapi.json").await.json().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with('3'));
    test_support::assert_unique_operation_ids(&document);
    let paths = &document["paths"];
    for (path, method) in [
        ("/events", "get"),
        ("/events", "post"),
        ("/events/{id}", "get"),
        ("/events/{id}", "patch"),
        ("/events/{id}/status", "put"),
        ("/admin/republish", "post"),
        ("/admin/token", "get"),
        ("/health/live", "get"),
        ("/health/ready", "get"),
        ("/metrics", "get"),
    ] {
        assert!(
            paths[path][method].is_object(),
            "{method} {path} is missing"
        );
    }
    let coefficient =
        &document["components"]["schemas"]["CreateEventRequest"]["properties"]["coefficient"];
    assert!(
        coefficient["oneOf"].is_array(),
        "coefficient takes a number or a string: {coefficient}"
    );
    let change = &document["components"]["schemas"]["ChangeEventRequest"];
    assert_eq!(change["minProperties"], 1, "{change}");
    assert!(change.get("maxProperties").is_none(), "{change}");
}

#[tokio::test]
async fn the_interactive_docs_are_served_by_the_service_itself() {
    let app = spawn_app().await;
    let redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/docs"))
        .send()
        .await
        .unwrap();
    assert!(redirect.status().is_redirection());

    let page = app.get("/docs/").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("https://"),
        "no asset comes from the internet"
    );
    for asset in [
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-ui.css",
        "/docs/swagger-initializer.js",
    ] {
        let response = app.get(asset).await;
        assert_eq!(response.status(), 200, "{asset}");
        assert!(
            response.bytes().await.unwrap().len() > 100,
            "{asset} has content"
        );
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let first = app.get("/events").await.headers()["x-request-id"].clone();
    let second = app.get("/nowhere").await.headers()["x-request-id"].clone();
    assert!(!first.is_empty());
    assert_ne!(first, second);
}

#[tokio::test]
async fn a_database_outage_answers_503_and_the_service_recovers_by_itself() {
    let app = spawn_app_with(Options {
        database_proxy: true,
        ..Options::default()
    })
    .await;
    app.create_event("e1", "1.50").await;

    app.database_proxy.as_ref().unwrap().cut();
    let listing = app.get("/events").await;
    assert_eq!(listing.headers()["retry-after"], "1");
    crate::helpers::assert_problem(listing, 503).await;
    let change = app
        .patch_event("e1", serde_json::json!({ "coefficient": 2 }))
        .await;
    crate::helpers::assert_problem(change, 503).await;
    let ready: Value = app.get("/health/ready").await.json().await.unwrap();
    assert!(
        ready["detail"].as_str().unwrap().contains("database"),
        "{ready}"
    );

    app.database_proxy.as_ref().unwrap().restore();
    app.wait_for_status("/events/e1", 200).await;
    let change = app
        .patch_event("e1", serde_json::json!({ "coefficient": 2 }))
        .await;
    assert_eq!(change.status(), 200);
}

#[tokio::test]
async fn the_healthcheck_subcommand_passes_only_while_the_service_is_ready() {
    let app = spawn_app_with(Options {
        proxy: Some(true),
        ..Options::default()
    })
    .await;
    app.wait_for_status("/health/ready", 200).await;
    let port: u16 = app.address.rsplit(':').next().unwrap().parse().unwrap();
    let address = service_support::healthcheck::local_address([0, 0, 0, 0].into(), port);
    let check =
        move || tokio::task::spawn_blocking(move || service_support::healthcheck::check(address));

    assert_eq!(check().await.unwrap(), Ok(()));
    app.cut_broker().await;
    let refused = check().await.unwrap().unwrap_err();
    assert!(
        refused.contains("503") && refused.contains("broker"),
        "{refused}"
    );

    let nobody = service_support::healthcheck::local_address([127, 0, 0, 1].into(), 1);
    assert!(
        tokio::task::spawn_blocking(move || service_support::healthcheck::check(nobody))
            .await
            .unwrap()
            .is_err()
    );
}
