//! The outbox under a broker outage: the API keeps working, messages wait, and they go out in
//! order once the broker is back, without a restart. The broker is taken away by a TCP proxy
//! the test cuts (the shared broker itself is never stopped).

use std::time::Duration;

use serde_json::json;

use crate::helpers::{Options, body_of, in_a_day, spawn_app, spawn_app_with};

#[tokio::test]
async fn changes_made_while_the_broker_is_down_are_published_in_order_when_it_returns() {
    let mut app = spawn_app_with(Options {
        proxy: Some(true),
        ..Options::default()
    })
    .await;
    app.wait_for_status("/health/ready", 200).await;
    app.create_event("e1", "1.50").await;
    assert_eq!(body_of(&app.next_message().await)["event"]["version"], 1);
    // Only once the broker's confirm is recorded is the first message out of the outbox for
    // good; cutting earlier would (rightly) publish it again after the outage.
    app.wait_for_metric("line_provider_outbox_published_total", 1.0)
        .await;

    app.cut_broker().await;
    let patched = app.patch_event("e1", json!({ "coefficient": 1.75 })).await;
    let finished = app.finish_event("e1", "finished_win").await;
    let created = app
        .post_event(json!({ "id": "e2", "coefficient": 3, "deadline": in_a_day() }))
        .await;
    assert_eq!(
        (
            patched.status().as_u16(),
            finished.status().as_u16(),
            created.status().as_u16()
        ),
        (200, 200, 201)
    );
    app.assert_no_message_for(std::time::Duration::from_millis(500))
        .await;
    app.wait_for_metric("line_provider_outbox_pending", 3.0)
        .await;

    app.proxy.as_ref().unwrap().restore();
    app.wait_for_status("/health/ready", 200).await;

    let mut arrived = Vec::new();
    for _ in 0..3 {
        let delivery = app.next_message().await;
        let body = body_of(&delivery);
        arrived.push((
            delivery.routing_key.to_string(),
            body["event"]["id"].as_str().unwrap().to_owned(),
            body["event"]["version"].as_u64().unwrap(),
        ));
    }
    assert_eq!(
        arrived,
        [
            ("event.updated".to_owned(), "e1".to_owned(), 2),
            ("event.finished".to_owned(), "e1".to_owned(), 3),
            ("event.created".to_owned(), "e2".to_owned(), 1),
        ]
    );
}

#[tokio::test]
async fn a_broker_that_comes_up_after_the_service_receives_what_waited() {
    let mut app = spawn_app_with(Options {
        proxy: Some(false),
        ..Options::default()
    })
    .await;
    let problem: serde_json::Value = app.get("/health/ready").await.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("broker"),
        "{problem}"
    );

    app.create_event("early", "2.00").await;
    app.proxy.as_ref().unwrap().restore();

    let delivery = app.next_message().await;
    assert_eq!(body_of(&delivery)["event"]["id"], "early");
    app.wait_for_status("/health/ready", 200).await;
}

/// The relay's advisory lock key (see `db.rs`); a test holding it keeps the relay idle.
const RELAY_LOCK: i64 = 0x6c70_7265_6c61;

#[tokio::test]
async fn a_stopping_service_publishes_what_committed_before_it_stops() {
    let mut app = spawn_app_with(Options::default()).await;
    app.wait_for_status("/health/ready", 200).await;
    let blocker = app.database().await;
    blocker
        .execute("SELECT pg_advisory_lock($1)", &[&RELAY_LOCK])
        .await
        .unwrap();
    app.create_event("last", "2.00").await;
    app.assert_no_message_for(Duration::from_millis(1200)).await;

    blocker
        .execute("SELECT pg_advisory_unlock($1)", &[&RELAY_LOCK])
        .await
        .unwrap();
    app.stop().await.expect("a clean stop");

    let delivery = app.next_message().await;
    assert_eq!(body_of(&delivery)["event"]["id"], "last");
}

#[tokio::test]
async fn two_replicas_share_one_outbox_and_publish_each_event_in_order() {
    let mut first = spawn_app().await;
    let second = first.spawn_replica().await;
    let replicas = [&first, &second];
    for i in 0..6 {
        replicas[i % 2].create_event(&format!("e{i}"), "1.50").await;
    }
    for round in 0..3 {
        for i in 0..6 {
            let coefficient = format!("2.{round}{i}");
            let response = replicas[(i + round) % 2]
                .patch_event(&format!("e{i}"), json!({ "coefficient": coefficient }))
                .await;
            assert_eq!(response.status(), 200);
        }
    }

    let mut versions: std::collections::HashMap<String, Vec<u64>> = Default::default();
    for _ in 0..24 {
        let body = body_of(&first.next_message().await);
        versions
            .entry(body["event"]["id"].as_str().unwrap().to_owned())
            .or_default()
            .push(body["event"]["version"].as_u64().unwrap());
    }
    for (id, seen) in &versions {
        assert_eq!(seen, &[1, 2, 3, 4], "messages of {id} in version order");
    }
    assert_eq!(versions.len(), 6);
    // Every confirm is recorded (a row is marked after its confirm, just after delivery).
    let database = first.database().await;
    let deadline = tokio::time::Instant::now() + crate::helpers::WAIT;
    loop {
        let waiting: i64 = database
            .query_one(
                "SELECT count(*) FROM outbox WHERE published_at IS NULL",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if waiting == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{waiting} rows never marked published"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for replica in [&first, &second] {
        assert_eq!(
            replica
                .metric("line_provider_outbox_publish_failures_total")
                .await,
            Some(0.0),
            "published at the first attempt"
        );
    }
}

#[tokio::test]
async fn a_replica_that_cannot_relay_counts_what_waits_and_publishes_it_once_free() {
    let mut app = spawn_app().await;
    // Another replica's relay, as far as this one can tell: the relay lock held elsewhere.
    let other = app.database().await;
    other
        .execute(
            "SELECT pg_advisory_lock($1)",
            &[&line_provider::db::RELAY_LOCK],
        )
        .await
        .unwrap();
    app.create_event("e1", "1.50").await;
    app.create_event("e2", "1.50").await;

    app.wait_for_metric("line_provider_outbox_pending", 2.0)
        .await;
    app.assert_no_message_for(Duration::from_millis(300)).await;
    assert_eq!(
        app.metric("line_provider_outbox_published_total").await,
        Some(0.0)
    );

    other
        .execute(
            "SELECT pg_advisory_unlock($1)",
            &[&line_provider::db::RELAY_LOCK],
        )
        .await
        .unwrap();
    app.wait_for_metric("line_provider_outbox_published_total", 2.0)
        .await;
    app.wait_for_metric("line_provider_outbox_pending", 0.0)
        .await;
}

#[tokio::test]
async fn published_messages_older_than_the_retention_are_pruned() {
    let app = spawn_app().await;
    app.create_event("old", "2.00").await;
    app.wait_for_metric("line_provider_outbox_published_total", 1.0)
        .await;
    let database = app.database().await;
    database
        .execute(
            "UPDATE outbox SET published_at = now() - interval '2 days'",
            &[],
        )
        .await
        .unwrap();
    app.create_event("recent", "2.00").await;
    app.wait_for_metric("line_provider_outbox_published_total", 2.0)
        .await;
    let pool = line_provider::db::pool(
        line_provider::db::pg_config(&crate::helpers::database_url(&app.database)).unwrap(),
        1,
    )
    .unwrap();
    let client = pool.get().await.unwrap();

    let pruned = line_provider::db::prune_published(&client, Duration::from_secs(24 * 3600))
        .await
        .unwrap();

    assert_eq!(pruned, 1);
    // Published at the first attempt (a relay that timed out and published again would pass
    // the waits above, which are longer than its publish timeout).
    assert_eq!(
        app.metric("line_provider_outbox_publish_failures_total")
            .await,
        Some(0.0)
    );
    let left: Vec<String> = database
        .query("SELECT event_id FROM outbox", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(left, ["recent"]);
}

#[tokio::test]
async fn bet_maker_s_queue_declared_otherwise_by_an_older_version_still_receives_every_message() {
    use lapin::options::BasicGetOptions;
    use lapin::{Connection, ConnectionProperties};
    use shared_messages::Topology;
    use shared_messages::topology::QueueType;

    // bet-maker's queues as versions before quorum queues declared them: classic.
    let topology = Topology::with_prefix(&format!("test-{}", uuid::Uuid::new_v4().simple()));
    let connection =
        Connection::connect(&crate::helpers::amqp_url(), ConnectionProperties::default())
            .await
            .unwrap();
    let channel = connection.create_channel().await.unwrap();
    let classic = topology.clone().with_queue_type(QueueType::Classic);
    assert!(classic.declare(&connection).await.unwrap().as_asked());

    // line-provider serves and publishes; the move is bet-maker's.
    let mut app = spawn_app_with(Options {
        topology: Some(topology.clone()),
        ..Options::default()
    })
    .await;
    app.wait_for_status("/health/ready", 200).await;
    app.create_event("kept", "2.00").await;
    let delivery = app.next_message().await;
    assert_eq!(body_of(&delivery)["event"]["id"], "kept");
    let waiting = channel
        .basic_get(
            topology.queue.as_str().into(),
            BasicGetOptions { no_ack: true },
        )
        .await
        .unwrap()
        .expect("the message waits in the old queue");
    assert_eq!(body_of(&waiting.delivery)["event"]["id"], "kept");
}
