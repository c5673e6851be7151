//! Bets from one account racing each other, withdrawals and a block: never more taken than
//! is available, not even by one cent, and nothing placed once the block is in.

use serde_json::json;

use super::bets::{balances, bet_as, funded};
use super::{OPERATOR, app, assert_reconciled, withdraw};
use crate::helpers::{TestApp, server_url, with_database};
use crate::limits::limited;

/// Fires `count` bets of `amount` at once; the statuses, sorted.
async fn racing_bets(
    app: &TestApp,
    token: &str,
    event: &str,
    amount: &str,
    count: usize,
) -> Vec<u16> {
    let bets = (0..count).map(|_| bet_as(app, token, event, amount));
    let mut statuses: Vec<u16> = futures_util::future::join_all(bets)
        .await
        .iter()
        .map(|response| response.status().as_u16())
        .collect();
    statuses.sort_unstable();
    statuses
}

#[tokio::test]
async fn sixty_four_concurrent_bets_take_exactly_what_is_available() {
    let app = app().await;
    let (_, token) = funded(&app, "Ada", "100.00").await;
    app.open_event("match-1", "2.00").await;
    let statuses = racing_bets(&app, &token, "match-1", "10.00", 64).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        54,
        "{statuses:?}"
    );
    assert_eq!(
        balances(&app, &token).await,
        ("0.00".into(), "100.00".into())
    );
    // Nothing of the refused bets stays in the event's tally.
    let exposure: serde_json::Value = super::get_with(&app, "/events/match-1/exposure", OPERATOR)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(exposure["bets"], 10, "{exposure}");
    assert_eq!(exposure["stake"].to_string(), "100.00", "{exposure}");
    assert_reconciled(&app).await;
}

#[tokio::test]
async fn concurrent_bets_past_a_stripe_s_share_of_the_limit_take_exactly_what_is_available() {
    let app = app().await;
    let (_, token) = funded(&app, "Ada", "250.00").await;
    // Room for 100 bets of 10.00 at 2.00, 6 or so per stripe: most bets take the slow path.
    app.publish_open(&limited(
        "match-1",
        1,
        "2.00",
        (None, None),
        Some("1000.00"),
    ))
    .await;
    let statuses = racing_bets(&app, &token, "match-1", "10.00", 64).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        25,
        "{statuses:?}"
    );
    assert_eq!(
        balances(&app, &token).await,
        ("0.00".into(), "250.00".into())
    );
    assert_eq!(
        crate::limits::liability_of_bets(&app, "match-1").await,
        rust_decimal::Decimal::from(250)
    );
    assert_reconciled(&app).await;
}

#[tokio::test]
async fn bets_racing_withdrawals_never_take_more_than_there_is() {
    let app = app().await;
    let (_, token) = funded(&app, "Ada", "100.00").await;
    app.open_event("match-1", "2.00").await;
    let bets = (0..16).map(|_| bet_as(&app, &token, "match-1", "10.00"));
    let keys: Vec<String> = (0..16).map(|n| format!("w-{n}")).collect();
    let withdrawals = keys.iter().map(|key| withdraw(&app, &token, "10.00", key));
    let (bets, withdrawals) = tokio::join!(
        futures_util::future::join_all(bets),
        futures_util::future::join_all(withdrawals)
    );
    let placed = bets.iter().filter(|r| r.status() == 201).count();
    let withdrawn = withdrawals.iter().filter(|r| r.status() == 201).count();
    assert_eq!(
        placed + withdrawn,
        10,
        "{placed} bets, {withdrawn} withdrawals"
    );
    let refused = bets
        .iter()
        .chain(&withdrawals)
        .filter(|r| r.status() == 409);
    assert_eq!(
        refused.count(),
        22,
        "every other request is refused for its money"
    );
    let held = format!("{}.00", placed * 10);
    assert_eq!(balances(&app, &token).await, ("0.00".into(), held));
    assert_reconciled(&app).await;
}

#[tokio::test]
async fn bets_racing_a_block_are_either_placed_before_it_or_refused() {
    let app = app().await;
    let (id, token) = funded(&app, "Ada", "1000.00").await;
    app.open_event("match-1", "2.00").await;
    let bets = (0..32).map(|_| bet_as(&app, &token, "match-1", "10.00"));
    let block = app
        .http
        .patch(app.url(&format!("/accounts/{id}")))
        .bearer_auth(OPERATOR)
        .json(&json!({ "blocked": true }))
        .send();
    let (bets, block) = tokio::join!(futures_util::future::join_all(bets), block);
    assert_eq!(block.unwrap().status(), 200);
    let placed = bets.iter().filter(|r| r.status() == 201).count();
    let blocked = bets.iter().filter(|r| r.status() == 403).count();
    assert_eq!(placed + blocked, 32);
    let (available, held) = balances(&app, &token).await;
    assert_eq!(held, format!("{}.00", placed * 10));
    assert_eq!(available, format!("{}.00", 1000 - placed * 10));
    assert_eq!(bet_as(&app, &token, "match-1", "10.00").await.status(), 403);
    assert_reconciled(&app).await;
}

/// A bettor's read that waits for a payer holding its bets (the worker's chunk, another
/// replica) answers with what that payer took, not with the balance it read before waiting.
#[tokio::test]
async fn a_read_waiting_for_a_payer_shows_what_the_payer_took() {
    let app = app().await;
    let (account, token) = funded(&app, "Ada", "100.00").await;
    app.open_event("match-1", "2.50").await;
    assert_eq!(bet_as(&app, &token, "match-1", "30.00").await.status(), 201);
    // The worker waits on this lock; the test pays in its place.
    let worker_held = app.app_client().await;
    worker_held
        .batch_execute("BEGIN; LOCK TABLE payouts IN SHARE MODE")
        .await
        .unwrap();
    super::payouts::settle(
        &app,
        shared_messages::EventChange::Finished,
        2,
        shared_messages::EventStatus::FinishedWin,
    )
    .await;
    app.wait_until("the event is finished", || async {
        app.sql_count("SELECT count(*) FROM events WHERE status = 'finished_win'")
            .await
            == 1
    })
    .await;
    let config = with_database(&server_url(), &app.database).parse().unwrap();
    let pool = bet_maker::db::pool(config, 1).unwrap();
    let mut payer = pool.get().await.unwrap();
    let chunk = payer.transaction().await.unwrap();
    let account_id = uuid::Uuid::parse_str(&account).unwrap();
    let paid = bet_maker::db::take_results(&chunk, account_id)
        .await
        .unwrap();
    assert_eq!(paid.paid, 1);

    let read = balances(&app, &token);
    tokio::pin!(read);
    let waited = tokio::time::timeout(std::time::Duration::from_millis(300), &mut read).await;
    assert!(waited.is_err(), "the read waits for the payer's locks");
    chunk.commit().await.unwrap();
    assert_eq!(
        read.await,
        ("145.00".to_owned(), "0.00".to_owned()),
        "the read shows the win the payer took while it waited"
    );
    worker_held.batch_execute("COMMIT").await.unwrap();
    assert_reconciled(&app).await;
}
