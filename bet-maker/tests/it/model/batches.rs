//! A batch of messages applies as its messages would one after the other: the same stored
//! events and the same outcomes (applied or stale, bets settled and settled again), whatever
//! the order, the duplicates, and where the consumer's batches happen to be cut.

use bet_maker::domain::IncomingEvent;
use bet_maker::service::{self, Applied};
use deadpool_postgres::Pool;
use proptest::prelude::*;
use test_support::{server_url, with_database};

use super::cases::{History, Step, case};
use crate::helpers::{TestApp, spawn_app};

/// A pool on the app's database, to call the service's functions directly.
fn pool_of(app: &TestApp) -> Pool {
    let url = with_database(&server_url(), &app.database);
    bet_maker::db::pool(bet_maker::db::pg_config(&url, None).unwrap(), 2).unwrap()
}

/// Every event as stored (id, status, version, odds, deadline, limits, whether it has a
/// settlement time) and every stripe of its tally (bets, budget).
async fn stored(app: &TestApp) -> Vec<String> {
    let client = app.app_client().await;
    client
        .query(
            "SELECT concat_ws(' ', id, status, version, coefficient, deadline, min_stake,
                              max_stake, max_liability, settled_at IS NOT NULL)
             FROM events
             UNION ALL
             SELECT concat_ws(' ', event_id, stripe, bets, budget) FROM event_tallies
             ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

async fn run_case(histories: Vec<History>, steps: Vec<Step>, cuts: Vec<usize>) {
    let ids: Vec<String> = (0..histories.len()).map(|i| format!("ev{i}")).collect();
    let incoming = |event: usize, version: usize| {
        IncomingEvent::from_snapshot(&histories[event].snapshot(&ids[event], version).1).unwrap()
    };
    let messages: Vec<IncomingEvent> = steps
        .iter()
        .filter_map(|step| match step {
            Step::Deliver { event, version } => Some(incoming(*event, *version)),
            Step::Bet { .. } => None,
        })
        .collect();
    let (one_by_one, batched) = (spawn_app().await, spawn_app().await);
    let (one_pool, batch_pool) = (pool_of(&one_by_one), pool_of(&batched));
    // Each event created, then given a number of bets of its own (as POST /bet writes them,
    // tally included), so that each settles a count the others do not.
    let created: Vec<IncomingEvent> = (0..ids.len()).map(|event| incoming(event, 1)).collect();
    for app in [&one_by_one, &batched] {
        let pool = pool_of(app);
        service::apply_events(&pool, &created.iter().collect::<Vec<_>>())
            .await
            .unwrap();
        for (n, id) in ids.iter().enumerate() {
            let bets = n + 1;
            app.app_sql(&format!(
                "INSERT INTO bets (id, event_id, amount, coefficient)
                 SELECT gen_random_uuid(), '{id}', 1.00, 2.00 FROM generate_series(1, {bets});
                 INSERT INTO event_tallies (event_id, stripe, bets) VALUES ('{id}', 0, {bets})
                 ON CONFLICT (event_id, stripe) DO UPDATE
                    SET bets = event_tallies.bets + EXCLUDED.bets"
            ))
            .await;
        }
    }

    let mut expected: Vec<Applied> = Vec::new();
    for message in &messages {
        expected.push(service::apply_event(&one_pool, message).await.unwrap());
    }
    let mut outcomes: Vec<Applied> = Vec::new();
    let mut rest: &[IncomingEvent] = &messages;
    for cut in cuts.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (batch, after) = rest.split_at((*cut).min(rest.len()));
        let batch: Vec<&IncomingEvent> = batch.iter().collect();
        outcomes.extend(service::apply_events(&batch_pool, &batch).await.unwrap());
        rest = after;
    }

    assert_eq!(
        outcomes, expected,
        "outcomes of {messages:?} cut by {cuts:?}"
    );
    assert_eq!(stored(&batched).await, stored(&one_by_one).await);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_batch_applies_as_its_messages_one_after_the_other(
        (histories, steps) in case(),
        cuts in prop::collection::vec(1..12_usize, 1..6),
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(run_case(histories, steps, cuts));
    }
}
