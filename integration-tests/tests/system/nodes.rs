//! Several brokers in `AMQP_URL`: each service connects to the first that answers and, when
//! that node goes away, moves to the next without a restart; nothing acknowledged is lost on
//! the way. (The two "nodes" here are two ways to one broker, cut one at a time; a cluster of
//! real nodes, one killed at a time, is `cluster.rs`.)

use integration_tests::System;

#[tokio::test]
async fn when_the_first_node_goes_away_both_services_move_to_the_next_and_nothing_is_lost() {
    let system = System::with_two_broker_urls().await;
    let second = system.second_broker.as_ref().unwrap();
    // The second node is the only one at first: a service starts on whichever answers.
    system.broker.cut();
    let lp = system.start_line_provider().await;
    let bm = system.start_bet_maker().await;
    system.wait_ready(&lp, 200).await;
    system.wait_ready(&bm, 200).await;
    system.create_event(&lp, "first", "2.00").await;
    system
        .wait_until("bet-maker has the first event", || async {
            system.open_events(&bm).await == ["first"]
        })
        .await;

    // Back to the first node, and the second one dies: both move without a restart.
    system.broker.restore();
    second.cut();
    system.create_event(&lp, "second", "2.00").await;
    let (_, bet) = system.bet(&bm, "first", "5").await;
    system.finish(&lp, "first", "finished_win").await;
    system
        .wait_until("bet-maker has the second event and the result", || async {
            system.open_events(&bm).await == ["second"]
        })
        .await;
    let bet_path = format!("/bets/{}", bet["id"].as_str().unwrap());
    system
        .wait_until("the bet is settled", || async {
            system.get_json(&bm, &bet_path).await["status"] == "won"
        })
        .await;
    for (service, name) in [
        (&lp, "line_provider_broker_reconnects_total"),
        (&bm, "bet_maker_consumer_reconnects_total"),
    ] {
        let reconnects = system.metric(service, name).await.unwrap_or(0.0);
        assert!(reconnects >= 1.0, "{name} = {reconnects}");
    }
    assert_eq!(
        system
            .metric(&bm, "bet_maker_messages_dead_lettered_total")
            .await,
        Some(0.0)
    );
    lp.stop().await;
    bm.stop().await;
}
