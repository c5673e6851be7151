//! Crashes: a service killed with SIGKILL (the real binary, as a child process) loses nothing.

use integration_tests::System;

#[tokio::test]
async fn a_line_provider_killed_with_messages_unpublished_sends_them_all_after_restart() {
    let system = System::new().await;
    let bm = system.start_bet_maker().await;
    let lp = system.start_line_provider_process().await;
    system.broker.cut();
    let changes = async {
        for i in 0..6 {
            let id = format!("e{i}");
            send(&system, &lp.address, reqwest::Method::POST, "/events",
                serde_json::json!({ "id": id, "coefficient": 2, "deadline": "2099-01-01T00:00:00Z" })).await;
            send(
                &system,
                &lp.address,
                reqwest::Method::PATCH,
                &format!("/events/{id}"),
                serde_json::json!({ "coefficient": "2.50" }),
            )
            .await;
        }
        for i in 0..3 {
            send(
                &system,
                &lp.address,
                reqwest::Method::PUT,
                &format!("/events/e{i}/status"),
                serde_json::json!({ "status": "finished_win" }),
            )
            .await;
        }
    };
    changes.await;
    assert_eq!(
        system
            .line_provider_count("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            .await,
        15
    );

    lp.kill();
    system.broker.restore();
    let _restarted = system.start_line_provider_process().await;

    system
        .wait_until("every message is published", || async {
            system
                .line_provider_count("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                .await
                == 0
        })
        .await;
    system
        .wait_until("bet-maker holds every event at its last version", || async {
            system.bet_maker_count("SELECT count(*) FROM events WHERE version = CASE WHEN status = 'new' THEN 2 ELSE 3 END").await == 6
        })
        .await;
    // Each message applied once (the metric counts after the acknowledgement, so poll it).
    system
        .wait_until("15 messages are applied", || async {
            system.metric(&bm, "bet_maker_messages_applied_total").await == Some(15.0)
        })
        .await;
    assert_eq!(
        system.metric(&bm, "bet_maker_messages_stale_total").await,
        Some(0.0),
        "published in order, none twice"
    );
    bm.stop().await;
}

#[tokio::test]
async fn a_bet_maker_killed_mid_burst_loses_nothing_and_settles_each_bet_once() {
    let system = System::new().await;
    let lp = system.start_line_provider().await;
    let bm = system.start_bet_maker_process().await;
    for i in 0..4 {
        system
            .create_event(&lp, &format!("bet-on-{i}"), "2.00")
            .await;
    }
    system
        .wait_until("bet-maker knows the events", || async {
            system.bet_maker_count("SELECT count(*) FROM events").await == 4
        })
        .await;
    for i in 0..4 {
        for _ in 0..5 {
            let response = system
                .http
                .post(format!("{}/bet", bm.address))
                .json(&serde_json::json!({ "event_id": format!("bet-on-{i}"), "amount": 1 }))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 201);
        }
    }

    // A burst: 600 new events and the four results pile up in the outbox while the broker is
    // away, then reach bet-maker all at once; it is killed while it works through them.
    system.broker.cut();
    for i in 0..600 {
        system
            .create_event(&lp, &format!("burst-{i}"), "1.50")
            .await;
    }
    for i in 0..4 {
        system
            .finish(
                &lp,
                &format!("bet-on-{i}"),
                if i % 2 == 0 {
                    "finished_win"
                } else {
                    "finished_lose"
                },
            )
            .await;
    }
    system.broker.restore();
    system
        .wait_until("bet-maker is mid-burst", || async {
            system.bet_maker_count("SELECT count(*) FROM events").await >= 40
        })
        .await;
    bm.kill();
    let applied_before_restart = system.bet_maker_count("SELECT count(*) FROM events").await;
    let bm = system.start_bet_maker_process().await;

    system
        .wait_until("every event arrived", || async {
            system.bet_maker_count("SELECT count(*) FROM events").await == 604
                && system
                    .bet_maker_count("SELECT count(*) FROM events WHERE status <> 'new'")
                    .await
                    == 4
        })
        .await;
    assert!(
        applied_before_restart < 604,
        "the kill happened mid-burst ({applied_before_restart} applied)"
    );
    // Each bet counted once in its event's tally, which the settlement metrics read.
    assert_eq!(
        system
            .bet_maker_count("SELECT sum(bets)::bigint FROM event_tallies")
            .await,
        20
    );
    assert_eq!(
        system.bet_maker_count("SELECT count(*) FROM bets").await,
        20
    );
    drop(bm);
    lp.stop().await;
}

async fn send(
    system: &System,
    base: &str,
    method: reqwest::Method,
    path: &str,
    body: serde_json::Value,
) {
    let response = system
        .http
        .request(method, format!("{base}{path}"))
        .bearer_auth(integration_tests::TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
}
