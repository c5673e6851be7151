//! Health, metrics, the OpenAPI document and the offline docs.

use serde_json::Value;
use shared_messages::{EventChange, EventStatus};

use crate::helpers::{Options, event, spawn_app, spawn_app_with};

#[tokio::test]
async fn liveness_and_readiness_answer_200_when_everything_is_up() {
    let app = spawn_app().await;
    assert_eq!(app.get("/health/live").await.status(), 200);
    assert_eq!(app.get("/health/ready").await.status(), 200);
}

#[tokio::test]
async fn metrics_count_bets_and_messages() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    app.place("e1", "1").await;

    let response = app.get("/metrics").await;
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    for line in [
        "bet_maker_bets_placed_total 1",
        "bet_maker_messages_applied_total 1",
        "bet_maker_messages_stale_total 0",
        "bet_maker_messages_dead_lettered_total 0",
        "bet_maker_message_retries_total 0",
        "bet_maker_consumer_reconnects_total 0",
        "bet_maker_broker_connected 1",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
}

#[tokio::test]
async fn the_consumer_lag_counts_from_the_change_at_line_provider() {
    let app = spawn_app().await;
    let mut late = event("late", 1, EventStatus::New, "2.00");
    late.updated_at -= time::Duration::minutes(1);

    app.publish(EventChange::Created, &late).await;
    app.wait_for_metric("bet_maker_consumer_lag_seconds_count", 1.0)
        .await;

    let bucket = |le: &'static str| {
        let app = &app;
        async move {
            app.metric(&format!(
                r#"bet_maker_consumer_lag_seconds_bucket{{le="{le}"}}"#
            ))
            .await
        }
    };
    assert_eq!(
        bucket("30").await,
        Some(0.0),
        "a minute late is not under 30 s"
    );
    assert_eq!(bucket("300").await, Some(1.0));
    let sum = app
        .metric("bet_maker_consumer_lag_seconds_sum")
        .await
        .unwrap();
    assert!((60.0..70.0).contains(&sum), "lag {sum} s");
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let app = spawn_app().await;
    let document: Value = app.get_json("/openapi.json").await;
    assert!(document["openapi"].as_str().unwrap().starts_with('3'));
    test_support::assert_unique_operation_ids(&document);
    for (path, method) in [
        ("/events", "get"),
        ("/bet", "post"),
        ("/bets", "get"),
        ("/bets/{id}", "get"),
        ("/health/live", "get"),
        ("/health/ready", "get"),
        ("/metrics", "get"),
    ] {
        assert!(
            document["paths"][path][method].is_object(),
            "{method} {path} is missing"
        );
    }
    let amount = &document["components"]["schemas"]["PlaceBetRequest"]["properties"]["amount"];
    assert!(
        amount["oneOf"].is_array(),
        "amount takes a number or a string: {amount}"
    );
}

#[tokio::test]
async fn the_interactive_docs_are_served_by_the_service_itself() {
    let app = spawn_app().await;
    let html = app.get("/docs/").await.text().await.unwrap();
    assert!(html.contains("swagger-ui") && !html.contains("https://"));
    for asset in ["/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css"] {
        assert_eq!(app.get(asset).await.status(), 200, "{asset}");
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_problem_json() {
    let app = spawn_app().await;
    let response = app.get("/nowhere").await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let response = app.http.delete(app.url("/bets")).send().await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}

#[tokio::test]
async fn readiness_answers_503_while_the_broker_is_unreachable() {
    let app = spawn_app_with(Options {
        broker_proxy: true,
        ..Options::default()
    })
    .await;
    app.broker_proxy.as_ref().unwrap().cut();

    app.wait_until("readiness is 503", || async {
        app.get("/health/ready").await.status() == 503
    })
    .await;
    let problem: Value = app.get("/health/ready").await.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("broker"));
    assert_eq!(app.get("/health/live").await.status(), 200);
}

#[tokio::test]
async fn the_healthcheck_subcommand_passes_only_while_the_service_is_ready() {
    let app = spawn_app_with(Options {
        broker_proxy: true,
        ..Options::default()
    })
    .await;
    let port: u16 = app.address.rsplit(':').next().unwrap().parse().unwrap();
    let address = service_support::healthcheck::local_address([0, 0, 0, 0].into(), port);
    let check =
        move || tokio::task::spawn_blocking(move || service_support::healthcheck::check(address));

    assert_eq!(check().await.unwrap(), Ok(()));
    app.broker_proxy.as_ref().unwrap().cut();
    app.wait_until("readiness is 503", || async {
        app.get("/health/ready").await.status() == 503
    })
    .await;
    let refused = check().await.unwrap().unwrap_err();
    assert!(
        refused.contains("503") && refused.contains("broker"),
        "{refused}"
    );
}
