//! An event's life past its result, through the broker: cancellation voids every bet, and a
//! correction moves every bet to the corrected result, even one made while bet-maker was down.

use integration_tests::System;

#[tokio::test]
async fn a_cancelled_event_voids_its_bets_through_the_broker_and_takes_no_more() {
    let system = System::new().await;
    let lp = system.start_line_provider().await;
    let bm = system.start_bet_maker().await;
    for id in ["abandoned", "played"] {
        system.create_event(&lp, id, "2.40").await;
    }
    system
        .wait_until("bet-maker lists both events", || async {
            system.open_events(&bm).await.len() == 2
        })
        .await;
    let (_, voided) = system.bet(&bm, "abandoned", "20").await;
    let (_, pending) = system.bet(&bm, "played", "7").await;

    let cancelled = system.finish(&lp, "abandoned", "cancelled").await;
    assert_eq!(cancelled["status"], "cancelled");

    let bet_path = format!("/bets/{}", voided["id"].as_str().unwrap());
    system
        .wait_until("the bet on the cancelled event is void", || async {
            system.get_json(&bm, &bet_path).await["status"] == "void"
        })
        .await;
    let void = system.get_json(&bm, &bet_path).await;
    assert_eq!(void["amount"].to_string(), "20.00");
    assert!(void["settled_at"].is_string());
    let other = system
        .get_json(&bm, &format!("/bets/{}", pending["id"].as_str().unwrap()))
        .await;
    assert_eq!(other["status"], "pending");
    assert_eq!(system.open_events(&bm).await, ["played"]);
    let (status, _) = system.bet(&bm, "abandoned", "1").await;
    assert_eq!(status, 409, "a cancelled event takes no bets");
    assert_eq!(
        system
            .metric(&bm, r#"bet_maker_bets_settled_total{outcome="void"}"#)
            .await,
        Some(1.0)
    );
    assert_eq!(
        system
            .metric(&bm, "bet_maker_messages_dead_lettered_total")
            .await,
        Some(0.0)
    );
    lp.stop().await;
    bm.stop().await;
}

#[tokio::test]
async fn a_correction_made_while_bet_maker_is_down_is_applied_once_it_is_back() {
    let system = System::new().await;
    let lp = system.start_line_provider().await;
    let bm = system.start_bet_maker().await;
    system.create_event(&lp, "derby", "1.90").await;
    system
        .wait_until("bet-maker lists the event", || async {
            system.open_events(&bm).await == ["derby"]
        })
        .await;
    let (_, bet) = system.bet(&bm, "derby", "10").await;
    system.finish(&lp, "derby", "finished_win").await;
    let bet_path = format!("/bets/{}", bet["id"].as_str().unwrap());
    system
        .wait_until("the bet is won", || async {
            system.get_json(&bm, &bet_path).await["status"] == "won"
        })
        .await;
    bm.stop().await;

    let corrected = system
        .correct(&lp, "derby", "finished_lose", "the away side scored last")
        .await;
    assert_eq!(corrected["version"], 3);
    let bm = system.start_bet_maker().await;

    system
        .wait_until("the bet follows the correction", || async {
            system.get_json(&bm, &bet_path).await["status"] == "lost"
        })
        .await;
    let history = system.get_json(&lp, "/events/derby/history").await;
    let statuses: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|version| version["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["new", "finished_win", "finished_lose"]);
    lp.stop().await;
    bm.stop().await;
}

#[tokio::test]
async fn a_correction_made_while_the_broker_is_cut_is_applied_once_it_is_back() {
    let system = System::new().await;
    let lp = system.start_line_provider().await;
    let bm = system.start_bet_maker().await;
    system.create_event(&lp, "final", "2.00").await;
    system
        .wait_until("bet-maker lists the event", || async {
            system.open_events(&bm).await == ["final"]
        })
        .await;
    let (_, bet) = system.bet(&bm, "final", "10").await;
    system.finish(&lp, "final", "cancelled").await;
    let bet_path = format!("/bets/{}", bet["id"].as_str().unwrap());
    system
        .wait_until("the bet is void", || async {
            system.get_json(&bm, &bet_path).await["status"] == "void"
        })
        .await;

    system.broker.cut();
    system
        .correct(&lp, "final", "finished_win", "it was played after all")
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        system.get_json(&bm, &bet_path).await["status"],
        "void",
        "nothing reaches bet-maker while the broker is away"
    );
    system.broker.restore();

    system
        .wait_until("the bet follows the correction", || async {
            system.get_json(&bm, &bet_path).await["status"] == "won"
        })
        .await;
    assert_eq!(
        system
            .metric(&bm, r#"bet_maker_bets_resettled_total{outcome="won"}"#)
            .await,
        Some(1.0)
    );
    lp.stop().await;
    bm.stop().await;
}
