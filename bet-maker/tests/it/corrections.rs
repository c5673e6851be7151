//! Corrections: every bet of an event follows its corrected final status at once (won ↔ lost ↔
//! void) with a new `settled_at`, and the newest version wins whatever the delivery order.

use serde_json::Value;
use shared_messages::{EventChange, EventSnapshot, EventStatus};

use crate::helpers::{TestApp, event, spawn_app};

fn version(id: &str, number: u64, status: EventStatus) -> EventSnapshot {
    event(id, number, status, "2.00")
}

async fn status_of(app: &TestApp, bet: &Value) -> Value {
    app.get_json(&format!("/bets/{}", bet["id"].as_str().unwrap()))
        .await
}

#[tokio::test]
async fn bets_follow_a_corrected_result_with_a_new_settled_at() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    let bets = [app.place("e1", "1").await, app.place("e1", "2").await];
    app.publish(
        EventChange::Finished,
        &version("e1", 2, EventStatus::FinishedWin),
    )
    .await;
    app.wait_for_metric(r#"bet_maker_bets_settled_total{outcome="won"}"#, 2.0)
        .await;
    let won = status_of(&app, &bets[0]).await;
    assert_eq!(won["status"], "won");

    app.publish(
        EventChange::Corrected,
        &version("e1", 3, EventStatus::FinishedLose),
    )
    .await;
    app.wait_for_metric(r#"bet_maker_bets_resettled_total{outcome="lost"}"#, 2.0)
        .await;

    for bet in &bets {
        let now = status_of(&app, bet).await;
        assert_eq!(now["status"], "lost");
        assert!(now["settled_at"].as_str().unwrap() > won["settled_at"].as_str().unwrap());
    }
    assert_eq!(
        app.metric(r#"bet_maker_bets_settled_total{outcome="lost"}"#)
            .await,
        None,
        "a correction is not a second first settlement"
    );
    let lost = app.get_json("/bets?status=lost").await;
    assert_eq!(lost.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_cancellation_and_a_result_correct_each_other_in_bet_maker() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    let bet = app.place("e1", "1").await;
    app.publish(
        EventChange::Cancelled,
        &version("e1", 2, EventStatus::Cancelled),
    )
    .await;
    app.publish(
        EventChange::Corrected,
        &version("e1", 3, EventStatus::FinishedWin),
    )
    .await;
    app.wait_for_metric(r#"bet_maker_bets_resettled_total{outcome="won"}"#, 1.0)
        .await;
    assert_eq!(status_of(&app, &bet).await["status"], "won");

    app.publish(
        EventChange::Corrected,
        &version("e1", 4, EventStatus::Cancelled),
    )
    .await;
    app.wait_for_metric(r#"bet_maker_bets_resettled_total{outcome="void"}"#, 1.0)
        .await;
    assert_eq!(status_of(&app, &bet).await["status"], "void");
    assert!(app.open_event_ids().await.is_empty());
}

#[tokio::test]
async fn a_correction_wins_over_a_duplicate_of_the_original_finish_in_either_order() {
    let app = spawn_app().await;
    let finish = |id: &str| version(id, 2, EventStatus::FinishedWin);
    let correction = |id: &str| version(id, 3, EventStatus::FinishedLose);
    for id in ["late-duplicate", "correction-first"] {
        app.open_event(id, "2.00").await;
    }
    let late = app.place("late-duplicate", "1").await;
    let first = app.place("correction-first", "1").await;

    // The finish, its correction, then the finish again (a redelivery).
    app.publish(EventChange::Finished, &finish("late-duplicate"))
        .await;
    app.publish(EventChange::Corrected, &correction("late-duplicate"))
        .await;
    app.publish(EventChange::Finished, &finish("late-duplicate"))
        .await;
    // The correction overtakes the finish.
    app.publish(EventChange::Corrected, &correction("correction-first"))
        .await;
    app.publish(EventChange::Finished, &finish("correction-first"))
        .await;
    app.wait_for_metric("bet_maker_messages_stale_total", 2.0)
        .await;

    for bet in [&late, &first] {
        assert_eq!(status_of(&app, bet).await["status"], "lost", "{bet}");
    }
    for id in ["late-duplicate", "correction-first"] {
        let stored = app
            .sql_count(&format!("SELECT version FROM events WHERE id = '{id}'"))
            .await;
        assert_eq!(stored, 3, "{id}");
    }
}

#[tokio::test]
async fn a_newer_final_version_republished_as_a_finish_corrects_a_stale_copy() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    let bet = app.place("e1", "1").await;
    app.publish(
        EventChange::Finished,
        &version("e1", 2, EventStatus::FinishedWin),
    )
    .await;

    // POST /admin/republish sends a corrected event's state as `event.finished`.
    app.publish(
        EventChange::Finished,
        &version("e1", 3, EventStatus::FinishedLose),
    )
    .await;
    app.wait_for_metric("bet_maker_messages_applied_total", 3.0)
        .await;

    assert_eq!(status_of(&app, &bet).await["status"], "lost");
}

#[tokio::test]
async fn a_final_event_is_never_taken_back_to_new() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    app.publish(
        EventChange::Finished,
        &version("e1", 2, EventStatus::FinishedWin),
    )
    .await;
    app.publish(EventChange::Updated, &version("e1", 3, EventStatus::New))
        .await;
    app.wait_for_metric("bet_maker_messages_stale_total", 1.0)
        .await;

    let status = app
        .sql_count("SELECT count(*) FROM events WHERE id = 'e1' AND status = 'finished_win'")
        .await;
    assert_eq!(status, 1);
    assert!(app.open_event_ids().await.is_empty());
}
