//! Settlement: a finished event turns every bet of it into won or lost at once (a bet reads its
//! event's result), and no bet is ever pending on a finished event or accepted after it.

use serde_json::{Value, json};
use shared_messages::{EventChange, EventStatus};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::helpers::{event, spawn_app};

#[tokio::test]
async fn bets_on_an_event_won_are_won_and_others_stay_pending() {
    let app = spawn_app().await;
    app.open_event("win", "2.00").await;
    app.open_event("other", "2.00").await;
    let winning = [app.place("win", "1").await, app.place("win", "2").await];
    let waiting = app.place("other", "3").await;

    app.publish(
        EventChange::Finished,
        &event("win", 2, EventStatus::FinishedWin, "2.00"),
    )
    .await;
    app.wait_for_metric(r#"bet_maker_bets_settled_total{outcome="won"}"#, 2.0)
        .await;

    for bet in winning {
        let now = app
            .get_json(&format!("/bets/{}", bet["id"].as_str().unwrap()))
            .await;
        assert_eq!(now["status"], "won");
        assert!(now["settled_at"].as_str().unwrap().ends_with('Z'));
    }
    let other = app
        .get_json(&format!("/bets/{}", waiting["id"].as_str().unwrap()))
        .await;
    assert_eq!(other["status"], "pending");
    assert!(other["settled_at"].is_null());
}

#[tokio::test]
async fn bets_on_an_event_lost_are_lost() {
    let app = spawn_app().await;
    app.open_event("lose", "2.00").await;
    let bet = app.place("lose", "1").await;

    app.publish(
        EventChange::Finished,
        &event("lose", 2, EventStatus::FinishedLose, "2.00"),
    )
    .await;
    app.wait_for_metric(r#"bet_maker_bets_settled_total{outcome="lost"}"#, 1.0)
        .await;

    let now = app
        .get_json(&format!("/bets/{}", bet["id"].as_str().unwrap()))
        .await;
    assert_eq!(now["status"], "lost");
}

#[tokio::test]
async fn a_repeated_finish_message_settles_nothing_twice() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    let bet = app.place("e1", "1").await;
    let finished = event("e1", 2, EventStatus::FinishedWin, "2.00");
    app.publish(EventChange::Finished, &finished).await;
    app.wait_for_metric(r#"bet_maker_bets_settled_total{outcome="won"}"#, 1.0)
        .await;
    let settled = app
        .get_json(&format!("/bets/{}", bet["id"].as_str().unwrap()))
        .await;

    app.publish(EventChange::Finished, &finished).await;
    app.wait_for_metric("bet_maker_messages_stale_total", 1.0)
        .await;

    let again = app
        .get_json(&format!("/bets/{}", bet["id"].as_str().unwrap()))
        .await;
    assert_eq!(again, settled, "settled_at unchanged");
}

#[tokio::test]
async fn bets_racing_the_finish_are_either_refused_or_settled() {
    bets_race_the_end_of_their_event(EventChange::Finished, EventStatus::FinishedLose, "lost")
        .await;
}

/// Bets race a message that ends their event (`change`, to `status`): each is either refused
/// or placed before it and then reads `outcome`, never anything else.
pub async fn bets_race_the_end_of_their_event(
    change: EventChange,
    status: EventStatus,
    outcome: &str,
) {
    let app = spawn_app().await;
    app.open_event("race", "2.00").await;

    // Bets go 16 at a time, before, during and after the finish, until a full round is refused.
    let first_round = tokio::sync::Notify::new();
    let bets = async {
        let mut accepted = Vec::new();
        let mut refused = 0;
        for round in 0.. {
            let closed_before = refused > 0;
            assert!(round < 1000, "the {change} never closed the event");
            let requests = (0..16).map(|i| app.bet(json!({ "event_id": "race", "amount": i + 1 })));
            let mut refused_now = 0;
            for response in futures_util::future::join_all(requests).await {
                match response.status().as_u16() {
                    201 => accepted.push(
                        response.json::<Value>().await.unwrap()["id"]
                            .as_str()
                            .unwrap()
                            .to_owned(),
                    ),
                    409 => refused_now += 1,
                    other => panic!("unexpected status {other}"),
                }
            }
            // This round started after every answer of the earlier ones: once a bet was refused
            // because the event ended, no later bet may be accepted.
            assert!(
                !closed_before || refused_now == 16,
                "round {round}: {} bets accepted after the event was seen ended",
                16 - refused_now
            );
            refused += refused_now;
            if round == 0 {
                first_round.notify_one();
            }
            if refused_now == 16 {
                break;
            }
        }
        (accepted, refused)
    };
    let finish = async {
        first_round.notified().await;
        app.publish(change, &event("race", 2, status, "2.00")).await;
    };
    let ((accepted, refused), ()) = tokio::join!(bets, finish);
    app.wait_for_metric("bet_maker_messages_applied_total", 2.0)
        .await;

    assert!(!accepted.is_empty() && refused >= 16);
    // The end counted exactly the bets that were accepted, none that raced it.
    app.wait_for_metric(
        &format!(r#"bet_maker_bets_settled_total{{outcome="{outcome}"}}"#),
        accepted.len() as f64,
    )
    .await;

    let listed = app.get_json("/bets?event_id=race").await;
    let listed: Vec<_> = listed.as_array().unwrap().iter().collect();
    assert_eq!(listed.len(), accepted.len(), "every accepted bet is listed");
    assert!(listed.iter().all(|bet| bet["status"] == outcome));
    // The result settled every bet after it was placed.
    let at = |bet: &Value, field: &str| {
        OffsetDateTime::parse(bet[field].as_str().unwrap(), &Rfc3339).unwrap()
    };
    assert!(
        listed
            .iter()
            .all(|bet| at(bet, "created_at") <= at(bet, "settled_at")),
        "a bet was placed after its event was settled"
    );
    let listed_ids: std::collections::HashSet<_> = listed
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(accepted.iter().all(|id| listed_ids.contains(id)));
}
