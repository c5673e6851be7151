//! Outages: the consumer reconnects to a broker that came back, and waits out a database
//! outage without losing or dead-lettering a message. Each is simulated by a TCP proxy the
//! test cuts; the shared broker and database are never stopped.

use serde_json::json;
use shared_messages::{EventChange, EventStatus};

use crate::helpers::{Options, assert_problem, event, spawn_app_with};

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
    assert_problem(app.get("/events").await, 503).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
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
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    app.stop()
        .await
        .expect("a clean stop, even with the database away");

    let count = app.sql_count("SELECT count(*) FROM events").await;
    assert_eq!(count, 0, "nothing was applied");
    // The delivery went back to the queue, unacknowledged, for the next consumer.
    let connection = lapin::Connection::connect(&crate::helpers::amqp_url(), Default::default())
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    let queue = channel
        .queue_declare(
            app.topology.queue.as_str().into(),
            lapin::options::QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(queue.message_count(), 1);
}
