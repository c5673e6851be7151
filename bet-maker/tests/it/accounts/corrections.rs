//! Corrections of a result a wallet took: a correction undone after a bettor's own read took
//! it is a payout of its own, and the wallet ends where the event's result says.

use shared_messages::{EventChange, EventStatus};

use super::bets::{balances, bet_as, funded};
use super::payouts::{settle, statement_kinds, wait_for_balances};
use super::{app, assert_reconciled};

#[tokio::test]
async fn a_correction_undone_after_a_bettor_took_it_is_taken_back() {
    let app = app().await;
    let (_, token) = funded(&app, "Ada", "100.00").await;
    app.open_event("match-1", "2.50").await;
    assert_eq!(bet_as(&app, &token, "match-1", "10.00").await.status(), 201);
    settle(&app, EventChange::Finished, 2, EventStatus::FinishedWin).await;
    app.wait_until("the event is paid", || async {
        app.sql_count("SELECT count(*) FROM events WHERE paid_version = 2")
            .await
            == 1
    })
    .await;
    // The worker is held off; the bettor's own read takes the correction.
    let worker_held = app.app_client().await;
    worker_held
        .batch_execute("BEGIN; LOCK TABLE payouts IN SHARE MODE")
        .await
        .unwrap();
    settle(&app, EventChange::Corrected, 3, EventStatus::FinishedLose).await;
    app.wait_until("the correction is applied", || async {
        app.sql_count("SELECT count(*) FROM events WHERE version = 3")
            .await
            == 1
    })
    .await;
    assert_eq!(
        balances(&app, &token).await,
        ("90.00".into(), "0.00".into())
    );
    // Undone: the result is the one the event was paid for before, and the wallet follows.
    settle(&app, EventChange::Corrected, 4, EventStatus::FinishedWin).await;
    worker_held.batch_execute("COMMIT").await.unwrap();
    wait_for_balances(&app, &token, "115.00", "0.00").await;
    app.wait_until("the event is paid again", || async {
        app.sql_count("SELECT count(*) FROM events WHERE paid_version = 4")
            .await
            == 1
    })
    .await;
    assert_eq!(
        statement_kinds(&app, &token).await[..2],
        [
            ("correction".to_owned(), "25.00".to_owned()),
            ("correction".to_owned(), "-25.00".to_owned())
        ]
    );
    assert_reconciled(&app).await;
}
