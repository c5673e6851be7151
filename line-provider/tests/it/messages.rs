//! What reaches the exchange: one message per change, with the contract's properties, in order.

use std::time::Duration;

use lapin::types::AMQPValue;
use serde_json::{Value, json};
use shared_messages::EventMessage;

use crate::helpers::{WAIT, as_published, assert_problem, body_of, spawn_app};

#[tokio::test]
async fn a_created_event_is_published_with_the_contract_properties() {
    let mut app = spawn_app().await;
    let event = app.create_event("match-7", "1.85").await;

    let delivery = app.next_message().await;

    assert_eq!(delivery.exchange.as_str(), app.topology.exchange);
    assert_eq!(delivery.routing_key.as_str(), "event.created");
    let properties = &delivery.properties;
    assert_eq!(properties.delivery_mode(), &Some(2), "persistent");
    assert_eq!(
        properties.content_type().as_ref().map(|s| s.as_str()),
        Some("application/json")
    );
    assert_eq!(
        properties.kind().as_ref().map(|s| s.as_str()),
        Some("event.created")
    );
    assert_eq!(
        properties.app_id().as_ref().map(|s| s.as_str()),
        Some("line-provider")
    );
    assert!(properties.timestamp().is_some_and(|t| t > 1_700_000_000));
    let headers = properties.headers().as_ref().expect("headers");
    assert_eq!(
        headers.inner().get("schema-version"),
        Some(&AMQPValue::LongUInt(1))
    );

    let body = body_of(&delivery);
    let message_id = properties
        .message_id()
        .as_ref()
        .expect("message_id")
        .to_string();
    assert_eq!(body["message_id"], message_id);
    assert_eq!(
        body["event"],
        as_published(&event),
        "the message carries the event as served"
    );
    assert!(String::from_utf8_lossy(&delivery.data).contains(r#""coefficient":1.85"#));
    let parsed: EventMessage =
        serde_json::from_slice(&delivery.data).expect("the shared type reads it");
    assert_eq!(parsed.event.version, 1);
}

#[tokio::test]
async fn every_change_of_an_event_is_published_in_order_with_unique_ids() {
    let mut app = spawn_app().await;
    app.create_event("e1", "1.10").await;
    for cents in 11..=15 {
        let response = app
            .patch_event("e1", json!({ "coefficient": format!("1.{cents}") }))
            .await;
        assert_eq!(response.status(), 200);
    }
    app.finish_event("e1", "finished_win").await;

    let mut versions = Vec::new();
    let mut keys = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for _ in 0..7 {
        let delivery = app.next_message().await;
        let body = body_of(&delivery);
        versions.push(body["event"]["version"].as_u64().unwrap());
        keys.push(delivery.routing_key.to_string());
        ids.insert(body["message_id"].as_str().unwrap().to_owned());
    }

    assert_eq!(versions, (1..=7).collect::<Vec<_>>());
    assert_eq!(keys[0], "event.created");
    assert!(keys[1..6].iter().all(|k| k == "event.updated"));
    assert_eq!(keys[6], "event.finished");
    assert_eq!(ids.len(), 7, "message ids are unique");
}

#[tokio::test]
async fn concurrent_changes_of_one_event_each_get_a_version_and_are_published_in_order() {
    let mut app = spawn_app().await;
    app.create_event("e1", "1.10").await;

    // 24 odds changes at once, and a finish racing them.
    let changes =
        (0..24).map(|n| app.patch_event("e1", json!({ "coefficient": format!("{}.00", n + 2) })));
    let (answers, finish) = tokio::join!(
        futures_util::future::join_all(changes),
        app.finish_event("e1", "finished_lose")
    );
    assert_eq!(finish.status(), 200);
    let mut answered = vec![finish.json::<Value>().await.unwrap()];
    // A change that came after the finish is refused; every other one was applied once.
    for answer in answers {
        match answer.status().as_u16() {
            200 => answered.push(answer.json().await.unwrap()),
            409 => {
                let problem = assert_problem(answer, 409).await;
                assert!(
                    problem["type"]
                        .as_str()
                        .unwrap()
                        .ends_with("event-finished")
                );
            }
            other => panic!("a change answered {other}"),
        }
    }
    answered.sort_by_key(|event| event["version"].as_u64());
    let versions: Vec<u64> = answered
        .iter()
        .map(|e| e["version"].as_u64().unwrap())
        .collect();
    let count = answered.len() as u64;
    assert_eq!(
        versions,
        (2..=count + 1).collect::<Vec<_>>(),
        "one version per change"
    );
    assert_eq!(
        answered.last().unwrap()["status"],
        "finished_lose",
        "the finish is last"
    );

    // Each answer is what was published for its version, in version order.
    assert_eq!(body_of(&app.next_message().await)["event"]["version"], 1);
    for event in &answered {
        let delivery = app.next_message().await;
        assert_eq!(body_of(&delivery)["event"], as_published(event));
    }
    app.assert_no_message_for(Duration::from_millis(1500)).await;
    let stored: Value = app.get("/events/e1").await.json().await.unwrap();
    assert_eq!(&stored, answered.last().unwrap());
    // The history holds every version once, in order, as it was answered.
    let history: Value = app.get("/events/e1/history").await.json().await.unwrap();
    let history = history.as_array().unwrap();
    assert_eq!(history.len(), answered.len() + 1);
    for (kept, event) in history[1..].iter().zip(&answered) {
        assert_eq!(
            (&kept["version"], &kept["status"], &kept["coefficient"]),
            (&event["version"], &event["status"], &event["coefficient"])
        );
        assert_eq!(kept["changed_at"], event["updated_at"]);
    }
}

#[tokio::test]
async fn a_change_that_loses_a_race_is_decided_again_on_the_winner() {
    let mut app = spawn_app().await;
    // The writer of one process takes one change of an event at a time; two replicas race.
    let replica = app.spawn_replica().await;
    app.create_event("e1", "1.10").await;
    app.next_message().await;
    // Holding the row as re-publishing does makes both changes read version 1 and wait to
    // write version 2.
    let holder = app.database().await;
    holder
        .batch_execute("BEGIN; SELECT 1 FROM events WHERE id = 'e1' FOR SHARE")
        .await
        .unwrap();
    let both = futures_util::future::join(
        app.patch_event("e1", json!({ "coefficient": "2.00" })),
        replica.patch_event("e1", json!({ "deadline": 4_102_444_800_u64 })),
    );
    let release = async {
        test_support::wait_until("both changes wait for the row", WAIT, || async {
            app.statements_waiting_for_a_lock().await == 2
        })
        .await;
        holder.batch_execute("COMMIT").await.unwrap();
    };
    let ((first, second), ()) = tokio::join!(both, release);

    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (200, 200)
    );
    let mut versions = [
        first.json::<Value>().await.unwrap()["version"]
            .as_u64()
            .unwrap(),
        second.json::<Value>().await.unwrap()["version"]
            .as_u64()
            .unwrap(),
    ];
    versions.sort_unstable();
    assert_eq!(versions, [2, 3]);
    let retries = app
        .metric("line_provider_event_change_retries_total")
        .await
        .unwrap()
        + replica
            .metric("line_provider_event_change_retries_total")
            .await
            .unwrap();
    assert_eq!(retries, 1.0);
    let stored: Value = app.get("/events/e1").await.json().await.unwrap();
    // Whichever won, the other was applied on top of it: both changes are in the event.
    assert_eq!(stored["coefficient"].to_string(), "2.00");
    assert_eq!(stored["deadline"], "2100-01-01T00:00:00Z");
    assert_eq!(stored["version"], 3);
}

#[tokio::test]
async fn no_op_changes_and_refused_requests_publish_nothing() {
    let mut app = spawn_app().await;
    let created = app.create_event("e1", "1.10").await;
    app.next_message().await;

    app.patch_event("e1", json!({ "coefficient": "1.10" }))
        .await;
    app.patch_event("e1", json!({ "coefficient": 0 })).await;
    app.finish_event("e1", "finished_win").await;
    app.next_message().await;
    app.finish_event("e1", "finished_win").await;
    app.finish_event("e1", "finished_lose").await;

    app.assert_no_message_for(Duration::from_millis(1500)).await;
    let event: Value = app.get("/events/e1").await.json().await.unwrap();
    assert_eq!(event["version"], 2);
    assert_eq!(event["created_at"], created["created_at"]);
}

#[tokio::test]
async fn messages_wait_in_bet_makers_queue_before_bet_maker_ever_ran() {
    let app = spawn_app().await;
    // The relay declares bet-maker's queue when it connects, before its first publish.
    app.wait_for_status("/health/ready", 200).await;
    app.create_event("early", "1.50").await;

    let connection = lapin::Connection::connect(&crate::helpers::amqp_url(), Default::default())
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    let deadline = tokio::time::Instant::now() + crate::helpers::WAIT;
    loop {
        let got = channel
            .basic_get(
                app.topology.queue.as_str().into(),
                lapin::options::BasicGetOptions { no_ack: true },
            )
            .await
            .unwrap();
        if let Some(message) = got {
            let body: Value = serde_json::from_slice(&message.delivery.data).unwrap();
            assert_eq!(body["event"]["id"], "early");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the message never reached bet-maker's queue"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
