//! Migrations on a database that an older bet-maker filled: nothing a bettor reads changes.

use std::collections::HashMap;

use serde_json::Value;
use shared_messages::{EventChange, EventStatus};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::helpers::{Options, drop_database, event, spawn_app_with};

mod embedded {
    refinery::embed_migrations!("../migrations/bet-maker");
}

/// The schema version before a bet's status moved to its event.
const STATUSES_ON_BETS: i32 = 2;

/// A database of the test's own, migrated up to `version` only.
pub(crate) async fn database_at(version: i32) -> (String, tokio_postgres::Client) {
    let name = format!("test_bm_{}", uuid::Uuid::new_v4().simple());
    let mut client = test_support::create_database(&name).await;
    embedded::migrations::runner()
        .set_target(refinery::Target::Version(version))
        .run_async(&mut client)
        .await
        .unwrap();
    (name, client)
}

/// What the old schema stored of each bet: its status and settlement time.
async fn stored_bets(
    client: &tokio_postgres::Client,
) -> Vec<(String, String, Option<OffsetDateTime>)> {
    client
        .query(
            "SELECT id::text, status, settled_at FROM bets ORDER BY seq DESC",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect()
}

#[tokio::test]
async fn bets_stored_with_their_own_status_read_the_same_after_the_migration() {
    let (database, old) = database_at(STATUSES_ON_BETS).await;
    // As the old bet-maker left them: pending bets on open events, and each finished event's
    // bets settled in the transaction that applied the finish (its applied_at), keys kept.
    old.batch_execute(
        "INSERT INTO events (id, coefficient, deadline, status, version, applied_at) VALUES
             ('open', 1.50, now() + interval '1 day', 'new', 1, now()),
             ('won', 2.00, now() - interval '1 day', 'finished_win', 2, '2026-11-30T20:00:00Z'),
             ('lost', 3.00, now() - interval '1 day', 'finished_lose', 3, '2026-11-30T21:00:00Z'),
             ('empty', 4.00, now() - interval '1 day', 'finished_win', 2, now());
         INSERT INTO bets (id, event_id, amount, coefficient, idempotency_key)
         SELECT gen_random_uuid(), e, n, 1.25, CASE WHEN n = 1 THEN 'key-' || i END
         FROM unnest(ARRAY['open', 'won', 'lost', 'won', 'open']) WITH ORDINALITY AS u (e, i),
              generate_series(1, 3) AS n;
         UPDATE bets SET status = 'won', settled_at = '2026-11-30T20:00:00Z' WHERE event_id = 'won';
         UPDATE bets SET status = 'lost', settled_at = '2026-11-30T21:00:00Z' WHERE event_id = 'lost';",
    )
    .await
    .unwrap();
    let before = stored_bets(&old).await;
    drop(old);

    let app = spawn_app_with(Options {
        database: Some(database),
        ..Options::default()
    })
    .await;

    let served = app.get_json("/bets").await;
    let served: Vec<(String, String, Option<OffsetDateTime>)> = served
        .as_array()
        .unwrap()
        .iter()
        .map(|bet| {
            (
                bet["id"].as_str().unwrap().to_owned(),
                bet["status"].as_str().unwrap().to_owned(),
                bet["settled_at"]
                    .as_str()
                    .map(|at| OffsetDateTime::parse(at, &Rfc3339).unwrap()),
            )
        })
        .collect();
    assert_eq!(served.len(), 15);
    assert_eq!(
        served, before,
        "same bets, same order, same status and settled_at"
    );
    for (status, count) in [("pending", 6), ("won", 6), ("lost", 3)] {
        let listed = app.get_json(&format!("/bets?status={status}")).await;
        assert_eq!(listed.as_array().unwrap().len(), count, "{status}");
    }

    // The tallies were carried over: finishing an old event counts its old bets.
    app.publish(
        EventChange::Finished,
        &event("open", 2, EventStatus::FinishedLose, "1.50"),
    )
    .await;
    app.wait_for_metric(r#"bet_maker_bets_settled_total{outcome="lost"}"#, 6.0)
        .await;
    let statuses: HashMap<String, usize> = app
        .get_json("/bets?event_id=open")
        .await
        .as_array()
        .unwrap()
        .iter()
        .fold(HashMap::new(), |mut counts, bet: &Value| {
            *counts
                .entry(bet["status"].as_str().unwrap().to_owned())
                .or_default() += 1;
            counts
        });
    assert_eq!(statuses, HashMap::from([("lost".to_owned(), 6)]));
}

#[tokio::test]
async fn a_database_whose_stored_statuses_disagree_with_their_events_is_not_migrated() {
    let (database, mut old) = database_at(STATUSES_ON_BETS).await;
    old.batch_execute(
        "INSERT INTO events (id, coefficient, deadline, status, version)
             VALUES ('won', 2.00, now(), 'finished_win', 2);
         INSERT INTO bets (id, event_id, amount, coefficient)
             VALUES (gen_random_uuid(), 'won', 1.00, 2.00);",
    )
    .await
    .unwrap();

    let error = embedded::migrations::runner()
        .run_async(&mut old)
        .await
        .unwrap_err();

    let reason = format!("{:#}", anyhow::Error::from(error));
    assert!(reason.contains("disagrees with their event"), "{reason}");
    // Nothing of the migration stayed: the schema is the old one, the bet as it was.
    let version = old
        .query_one("SELECT max(version) FROM refinery_schema_history", &[])
        .await
        .unwrap();
    assert_eq!(version.get::<_, i32>(0), STATUSES_ON_BETS);
    let pending = old
        .query_one("SELECT count(*) FROM bets WHERE status = 'pending'", &[])
        .await
        .unwrap();
    assert_eq!(pending.get::<_, i64>(0), 1, "the bet is kept as it was");

    // Mended as the error's hint says, it migrates.
    old.batch_execute(
        "UPDATE bets b SET status = 'won', settled_at = e.applied_at
         FROM events e WHERE e.id = b.event_id",
    )
    .await
    .unwrap();
    embedded::migrations::runner()
        .run_async(&mut old)
        .await
        .unwrap();
    drop(old);
    drop_database(&database).await;
}

/// The schema before cancellation.
const BEFORE_CANCELLATION: i32 = 3;

#[tokio::test]
async fn an_event_stored_before_cancellation_existed_can_be_cancelled_after_the_migration() {
    let (database, old) = database_at(BEFORE_CANCELLATION).await;
    old.batch_execute(
        "INSERT INTO events (id, coefficient, deadline, status, version)
         VALUES ('open', 1.50, now() + interval '1 day', 'new', 1)",
    )
    .await
    .unwrap();
    drop(old);
    let app = spawn_app_with(Options {
        database: Some(database),
        ..Options::default()
    })
    .await;
    let bet = app.place("open", "4").await;

    app.publish(
        EventChange::Cancelled,
        &event("open", 2, EventStatus::Cancelled, "1.50"),
    )
    .await;
    app.wait_for_metric(r#"bet_maker_bets_settled_total{outcome="void"}"#, 1.0)
        .await;

    let now = app
        .get_json(&format!("/bets/{}", bet["id"].as_str().unwrap()))
        .await;
    assert_eq!(now["status"], "void");
}

/// The schema before limits, consent and exposure.
const BEFORE_LIMITS: i32 = 4;

#[tokio::test]
async fn bets_stored_before_exposure_existed_are_summed_into_it_and_limits_apply_after() {
    let (database, old) = database_at(BEFORE_LIMITS).await;
    // Bets on two stripes of `open`'s tally, as connections with different pids left them.
    old.batch_execute(
        "INSERT INTO events (id, coefficient, deadline, status, version, settled_at)
         VALUES ('open', 2.50, now() + interval '1 day', 'new', 1, NULL),
                ('done', 1.10, now() - interval '1 day', 'finished_lose', 2, now());
         INSERT INTO bets (id, event_id, amount, coefficient)
         VALUES (gen_random_uuid(), 'open', 10.00, 2.50), (gen_random_uuid(), 'open', 3.33, 1.85),
                (gen_random_uuid(), 'open', 7.00, 2.50), (gen_random_uuid(), 'done', 5.00, 1.10);
         INSERT INTO event_tallies (event_id, stripe, bets)
         VALUES ('open', 3, 2), ('open', 11, 1), ('done', 0, 1);",
    )
    .await
    .unwrap();
    drop(old);
    let app = spawn_app_with(Options {
        database: Some(database),
        ..Options::default()
    })
    .await;

    let open = app.get_json("/events/open/exposure").await;
    // 10 × 2.50 + 3.33 × 1.85 + 7 × 2.50 = 48.6605: the bets the old schema stored.
    assert_eq!(open["bets"], 3);
    assert_eq!(open["stake"].to_string(), "20.33");
    assert_eq!(open["payout_if_win"].to_string(), "48.66");
    assert_eq!(open["liability"].to_string(), "28.33");
    let done = app.get_json("/events/done/exposure").await;
    assert_eq!(done["status"], "finished_lose");
    assert_eq!(done["payout_if_win"].to_string(), "5.50");

    // A limit on the migrated event counts the liability its old bets took: 28.3305 of 30.
    let mut limited = event("open", 2, EventStatus::New, "2.50");
    limited.max_liability = Some(rust_decimal::Decimal::new(30, 0));
    app.publish_open(&limited).await;
    let refused = app
        .bet(serde_json::json!({ "event_id": "open", "amount": "1.12" }))
        .await;
    let problem = crate::helpers::assert_problem(refused, 409).await;
    assert_eq!(problem["max_amount"].to_string(), "1.11", "{problem}");
    assert_eq!(app.place("open", "1.11").await["status"], "pending");
}
