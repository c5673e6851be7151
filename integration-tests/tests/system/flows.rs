//! The flows users rely on when nothing goes wrong, and when a service starts late or loses
//! its data.

use integration_tests::System;

#[tokio::test]
async fn an_event_created_bet_on_and_finished_settles_the_bets_through_the_broker() {
    let system = System::new().await;
    let lp = system.start_line_provider().await;
    let bm = system.start_bet_maker().await;

    system.create_event(&lp, "final", "1.85").await;
    system
        .wait_until("bet-maker lists the event", || async {
            system.open_events(&bm).await == ["final"]
        })
        .await;
    let (status, winning) = system.bet(&bm, "final", "10.50").await;
    assert_eq!(status, 201);
    system.create_event(&lp, "semi", "3.00").await;
    system
        .wait_until("bet-maker lists the second event", || async {
            system.open_events(&bm).await.len() == 2
        })
        .await;
    let (_, losing) = system.bet(&bm, "semi", "5").await;

    system.finish(&lp, "final", "finished_win").await;
    system.finish(&lp, "semi", "finished_lose").await;

    system
        .wait_until("both bets are settled", || async {
            system
                .bet_maker_count(
                    "SELECT count(*) FROM bets b JOIN events e ON e.id = b.event_id
                     WHERE e.status = 'new'",
                )
                .await
                == 0
        })
        .await;
    let won = system
        .get_json(&bm, &format!("/bets/{}", winning["id"].as_str().unwrap()))
        .await;
    let lost = system
        .get_json(&bm, &format!("/bets/{}", losing["id"].as_str().unwrap()))
        .await;
    assert_eq!(
        (won["status"].as_str(), lost["status"].as_str()),
        (Some("won"), Some("lost"))
    );
    assert_eq!(won["coefficient"].to_string(), "1.85");
    assert!(system.open_events(&bm).await.is_empty());
    let (status, _) = system.bet(&bm, "final", "1").await;
    assert_eq!(status, 409, "a finished event takes no bets");
    lp.stop().await;
    bm.stop().await;
}

#[tokio::test]
async fn a_bet_maker_started_after_everything_happened_holds_every_event_in_its_final_state() {
    let system = System::new().await;
    let lp = system.start_line_provider().await;
    for i in 0..5 {
        system.create_event(&lp, &format!("e{i}"), "2.00").await;
    }
    system.change_odds(&lp, "e1", "2.50").await;
    system.finish(&lp, "e2", "finished_win").await;
    system.finish(&lp, "e3", "finished_lose").await;
    system.change_odds(&lp, "e4", "4.00").await;
    system.change_odds(&lp, "e4", "4.50").await;
    system
        .wait_until("the outbox is drained", || async {
            system
                .line_provider_count("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                .await
                == 0
        })
        .await;

    let bm = system.start_bet_maker().await;

    // Ten messages wait in its queue; all of them must be applied before looking.
    system
        .wait_until("bet-maker applied every message", || async {
            system.metric(&bm, "bet_maker_messages_applied_total").await == Some(10.0)
        })
        .await;
    let events = system.get_json(&bm, "/events").await;
    let odds: Vec<(String, String)> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                e["coefficient"].to_string(),
            )
        })
        .collect();
    assert_eq!(
        odds,
        [
            ("e0".into(), "2.00".into()),
            ("e1".into(), "2.50".into()),
            ("e4".into(), "4.50".into())
        ]
    );
    assert_eq!(
        system
            .bet_maker_count("SELECT count(*) FROM events WHERE status <> 'new'")
            .await,
        2
    );
    lp.stop().await;
    bm.stop().await;
}

#[tokio::test]
async fn a_bet_maker_whose_database_was_lost_is_restored_by_a_republish() {
    let system = System::new().await;
    let lp = system.start_line_provider().await;
    let bm = system.start_bet_maker().await;
    for i in 0..4 {
        system.create_event(&lp, &format!("e{i}"), "2.00").await;
    }
    system.finish(&lp, "e0", "finished_win").await;
    system.change_odds(&lp, "e1", "3.10").await;
    system
        .wait_until("bet-maker is up to date", || async {
            system.open_events(&bm).await.len() == 3
        })
        .await;

    bm.stop().await;
    system.drop_bet_maker_database().await;
    let bm = system.start_bet_maker().await;
    assert!(
        system.open_events(&bm).await.is_empty(),
        "a fresh database knows no event"
    );
    let response = system
        .http
        .post(format!("{}/admin/republish", lp.address))
        .bearer_auth(integration_tests::TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);

    system
        .wait_until("the events are back", || async {
            system.open_events(&bm).await.len() == 3
        })
        .await;
    assert_eq!(
        system.bet_maker_count("SELECT count(*) FROM events").await,
        4
    );
    assert_eq!(
        system
            .bet_maker_count("SELECT count(*) FROM events WHERE id = 'e1' AND coefficient = 3.10")
            .await,
        1
    );
    assert_eq!(
        system
            .bet_maker_count(
                "SELECT count(*) FROM events WHERE id = 'e0' AND status = 'finished_win'"
            )
            .await,
        1
    );
    lp.stop().await;
    bm.stop().await;
}

#[tokio::test]
async fn two_bet_makers_on_one_queue_and_database_settle_every_bet_exactly_once() {
    let system = System::new().await;
    let lp = system.start_line_provider().await;
    let first = system.start_bet_maker().await;
    let second = system.start_bet_maker().await;
    let ids: Vec<String> = (0..8).map(|i| format!("e{i}")).collect();
    for id in &ids {
        system.create_event(&lp, id, "1.50").await;
    }
    system
        .wait_until("both replicas list every event", || async {
            system.open_events(&first).await.len() == 8
                && system.open_events(&second).await.len() == 8
        })
        .await;

    let bets = async {
        let mut accepted = 0;
        for round in 0..10 {
            for (i, id) in ids.iter().enumerate() {
                let replica = if (i + round) % 2 == 0 {
                    &first
                } else {
                    &second
                };
                let (status, _) = system.bet(replica, id, "1").await;
                assert!(status == 201 || status == 409, "{status}");
                accepted += usize::from(status == 201);
            }
        }
        accepted
    };
    let operator = async {
        for (i, id) in ids.iter().enumerate() {
            system.change_odds(&lp, id, "1.75").await;
            system
                .finish(
                    &lp,
                    id,
                    if i % 2 == 0 {
                        "finished_win"
                    } else {
                        "finished_lose"
                    },
                )
                .await;
        }
    };
    let (accepted, ()) = tokio::join!(bets, operator);

    // Settled once: the finishes the two replicas applied between them counted every bet once
    // (each replica counts after its commit and ack, so the sum is polled).
    let settled = || async {
        let mut settled = 0.0;
        for replica in [&first, &second] {
            for outcome in ["won", "lost"] {
                let name = format!(r#"bet_maker_bets_settled_total{{outcome="{outcome}"}}"#);
                settled += system.metric(replica, &name).await.unwrap_or(0.0);
            }
        }
        settled as usize
    };
    system
        .wait_until("every event is finished and its bets counted", || async {
            system
                .bet_maker_count("SELECT count(*) FROM events WHERE status = 'new'")
                .await
                == 0
                && settled().await >= accepted
        })
        .await;
    assert_eq!(settled().await, accepted, "no bet counted twice");
    let listed = system.get_json(&first, "/bets").await;
    assert_eq!(listed.as_array().unwrap().len(), accepted);
    assert_eq!(
        system
            .bet_maker_count("SELECT count(*) FROM events WHERE version <> 3")
            .await,
        0
    );
    lp.stop().await;
    first.stop().await;
    second.stop().await;
}
