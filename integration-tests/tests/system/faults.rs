//! Faults: the broker away, Postgres away, messages from foreign publishers.

use integration_tests::System;
use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable};

#[tokio::test]
async fn during_a_broker_outage_both_apis_keep_working_and_everything_arrives_after() {
    let system = System::new().await;
    let lp = system.start_line_provider().await;
    let bm = system.start_bet_maker().await;
    system.create_event(&lp, "known", "2.00").await;
    system
        .wait_until("bet-maker knows the event", || async {
            system.open_events(&bm).await == ["known"]
        })
        .await;

    system.broker.cut();
    system.wait_ready(&lp, 503).await;
    system.wait_ready(&bm, 503).await;
    let (status, bet) = system.bet(&bm, "known", "3").await;
    assert_eq!(
        status, 201,
        "bets on known events are taken during the outage"
    );
    system.create_event(&lp, "during", "1.50").await;
    system.finish(&lp, "known", "finished_win").await;

    system.broker.restore();
    system.wait_ready(&lp, 200).await;
    system.wait_ready(&bm, 200).await;
    system
        .wait_until("the new event arrived", || async {
            system.open_events(&bm).await == ["during"]
        })
        .await;
    system
        .wait_until("the bet is settled", || async {
            system
                .bet_maker_count(
                    "SELECT count(*) FROM bets b JOIN events e ON e.id = b.event_id
                     WHERE e.status = 'finished_win'",
                )
                .await
                == 1
        })
        .await;
    let settled = system
        .get_json(&bm, &format!("/bets/{}", bet["id"].as_str().unwrap()))
        .await;
    assert_eq!(settled["status"], "won");
    lp.stop().await;
    bm.stop().await;
}

#[tokio::test]
async fn during_a_postgres_outage_requests_fail_fast_with_503_and_both_services_recover() {
    let system = System::new().await;
    let lp = system.start_line_provider().await;
    let bm = system.start_bet_maker().await;
    system.create_event(&lp, "e1", "2.00").await;
    system
        .wait_until("bet-maker knows the event", || async {
            system.open_events(&bm).await == ["e1"]
        })
        .await;

    system.postgres.cut();
    // bet-maker serves its open events from memory for up to MAX_AGE; after that it must
    // look at the database, and fail fast.
    system
        .wait_until("bet-maker's GET /events looks at the database", || async {
            system.get(&bm, "/events").await.status() == 503
        })
        .await;
    for (service, path) in [(&lp, "/events"), (&bm, "/events"), (&bm, "/bets")] {
        let started = std::time::Instant::now();
        let response = system.get(service, path).await;
        assert_eq!(response.status(), 503, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(12),
            "{path} took {:?}",
            started.elapsed()
        );
    }
    let (status, _) = system.bet(&bm, "e1", "1").await;
    assert_eq!(status, 503);

    system.postgres.restore();
    system.wait_ready(&lp, 200).await;
    system.wait_ready(&bm, 200).await;
    let (status, _) = system.bet(&bm, "e1", "1").await;
    assert_eq!(status, 201);
    system.finish(&lp, "e1", "finished_lose").await;
    system
        .wait_until("the bet is settled", || async {
            system
                .bet_maker_count(
                    "SELECT count(*) FROM bets b JOIN events e ON e.id = b.event_id
                     WHERE e.status = 'finished_lose'",
                )
                .await
                == 1
        })
        .await;
    lp.stop().await;
    bm.stop().await;
}

#[tokio::test]
async fn poison_and_foreign_messages_are_dead_lettered_or_applied_as_the_contract_says() {
    let system = System::new().await;
    let lp = system.start_line_provider().await;
    let bm = system.start_bet_maker().await;
    // Publishing straight to the exchange needs the topology, which the services declare
    // when they connect.
    system.wait_ready(&lp, 200).await;
    system.wait_ready(&bm, 200).await;
    let mut future_schema = FieldTable::default();
    future_schema.insert("schema-version".into(), AMQPValue::LongUInt(99));

    system
        .publish_raw("event.created", b"not json", BasicProperties::default())
        .await;
    let valid_body = br#"{"message_id":"0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b","occurred_at":"2026-11-24T12:00:00Z","event":{"id":"ghost","coefficient":2.00,"deadline":"2099-01-01T00:00:00Z","status":"new","version":41,"created_at":"2026-11-24T12:00:00Z","updated_at":"2026-11-24T12:00:00Z"}}"#;
    system
        .publish_raw(
            "event.created",
            valid_body,
            BasicProperties::default().with_headers(future_schema),
        )
        .await;
    // A version from the future for an event bet-maker never saw: newer than nothing, so applied.
    system
        .publish_raw("event.updated", valid_body, BasicProperties::default())
        .await;
    system.create_event(&lp, "after", "1.10").await;

    system
        .wait_until("the valid messages are applied", || async {
            let open = system.open_events(&bm).await;
            open.contains(&"ghost".to_owned()) && open.contains(&"after".to_owned())
        })
        .await;
    assert_eq!(
        system
            .metric(&bm, "bet_maker_messages_dead_lettered_total")
            .await,
        Some(2.0)
    );
    lp.stop().await;
    bm.stop().await;
}
