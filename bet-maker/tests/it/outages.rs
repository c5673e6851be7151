//! Outages: the consumer reconnects to a broker that came back, and waits out a database
//! outage without losing or dead-lettering a message. Each is simulated by a TCP proxy the
//! test cuts; the shared broker and database are never stopped.

use serde_json::json;
use shared_messages::{EventChange, EventStatus};

use crate::helpers::{Options, assert_problem, event, spawn_app, spawn_app_with};

#[tokio::test]
async fn the_consumer_reconnects_by_itself_when_the_broker_comes_back() {
    let app = spawn_app_with(Options {
        broker_proxy: true,
        ..Options::default()
    })
    .await;
    app.open_event("before", "2.00").await;

    app.broker_proxy.as_ref().unwrap().cut();
    app.wait_until("readiness is 503", || async {
        app.get("/health/ready").await.status() == 503
    })
    .await;
    app.publish(
        EventChange::Created,
        &event("during", 1, EventStatus::New, "2.00"),
    )
    .await;
    app.broker_proxy.as_ref().unwrap().restore();

    app.wait_for_open_event("during").await;
    app.wait_until("readiness is 200", || async {
        app.get("/health/ready").await.status() == 200
    })
    .await;
    assert_eq!(
        app.metric("bet_maker_consumer_reconnects_total").await,
        Some(1.0)
    );
    app.publish(
        EventChange::Created,
        &event("after", 1, EventStatus::New, "2.00"),
    )
    .await;
    app.wait_for_open_event("after").await;
}

#[tokio::test]
async fn a_message_arriving_during_a_database_outage_is_applied_once_it_ends() {
    let app = spawn_app_with(Options {
        database_proxy: true,
        ..Options::default()
    })
    .await;
    app.open_event("e1", "2.00").await;
    let bet = app.place("e1", "1").await;

    app.database_proxy.as_ref().unwrap().cut();
    app.publish(
        EventChange::Finished,
        &event("e1", 2, EventStatus::FinishedWin, "2.00"),
    )
    .await;
    let during = app.bet(json!({ "event_id": "e1", "amount": 1 })).await;
    assert_problem(during, 503).await;
    // The open events come from memory for up to MAX_AGE, then from the database.
    app.wait_until("GET /events looks at the database", || async {
        app.get("/events").await.status() == 503
    })
    .await;
    assert_problem(app.get("/events").await, 503).await;
    app.wait_until("the consumer retried", || async {
        app.metric("bet_maker_message_retries_total")
            .await
            .unwrap_or(0.0)
            >= 2.0
    })
    .await;
    app.database_proxy.as_ref().unwrap().restore();

    app.wait_for_metric(r#"bet_maker_bets_settled_total{outcome="won"}"#, 1.0)
        .await;
    let settled = app
        .get_json(&format!("/bets/{}", bet["id"].as_str().unwrap()))
        .await;
    assert_eq!(settled["status"], "won");
    assert_eq!(
        app.metric("bet_maker_messages_dead_lettered_total").await,
        Some(0.0)
    );
}

#[tokio::test]
async fn a_stopping_service_hands_unfinished_work_back_to_the_queue() {
    let mut app = spawn_app_with(Options {
        database_proxy: true,
        ..Options::default()
    })
    .await;
    app.database_proxy.as_ref().unwrap().cut();
    app.publish(
        EventChange::Created,
        &event("e1", 1, EventStatus::New, "2.00"),
    )
    .await;
    app.wait_until("the consumer holds the delivery", || async {
        app.ready_messages().await == 0
    })
    .await;
    app.wait_until("the consumer retried", || async {
        app.metric("bet_maker_message_retries_total")
            .await
            .unwrap_or(0.0)
            >= 1.0
    })
    .await;

    app.stop()
        .await
        .expect("a clean stop, even with the database away");

    // A quorum queue takes a delivery back when the broker has closed the consumer's channel,
    // a moment after the connection is gone.
    app.wait_until("the delivery is back in the queue", || async {
        app.ready_messages().await == 1
    })
    .await;
    assert_eq!(
        app.sql_count("SELECT count(*) FROM events").await,
        0,
        "nothing was applied"
    );
}

#[tokio::test]
async fn a_database_that_refuses_writes_delays_messages_but_never_dead_letters_them() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    let bet = app.place("e1", "1").await;
    app.sql_execute(&format!(
        "ALTER DATABASE \"{}\" SET default_transaction_read_only = on",
        app.database
    ))
    .await;
    app.sql_execute(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}' AND pid <> pg_backend_pid()",
        app.database
    ))
    .await;

    app.publish(
        EventChange::Finished,
        &event("e1", 2, EventStatus::FinishedWin, "2.00"),
    )
    .await;
    app.wait_until("the consumer retried", || async {
        app.metric("bet_maker_message_retries_total")
            .await
            .unwrap_or(0.0)
            >= 1.0
    })
    .await;
    app.sql_execute(&format!(
        "ALTER DATABASE \"{}\" RESET default_transaction_read_only",
        app.database
    ))
    .await;
    app.sql_execute(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}' AND pid <> pg_backend_pid()",
        app.database
    ))
    .await;

    app.wait_for_metric(r#"bet_maker_bets_settled_total{outcome="won"}"#, 1.0)
        .await;
    assert_eq!(
        app.metric("bet_maker_messages_dead_lettered_total").await,
        Some(0.0)
    );
    let settled = app
        .get_json(&format!("/bets/{}", bet["id"].as_str().unwrap()))
        .await;
    assert_eq!(settled["status"], "won");
}
