//! Both services on a cluster of three RabbitMQ nodes of the test's own ([`RabbitCluster`]),
//! each given every node in its `AMQP_URL`. During a burst of event changes at line-provider
//! and bets at bet-maker, the node that leads bet-maker's quorum queue is killed (SIGKILL); it
//! comes back, and the node that leads then is killed. Afterwards every change line-provider
//! acknowledged is in bet-maker, every bet is settled as its event finished, nothing was
//! applied twice, and neither service was restarted. The counts are printed as a queue checker
//! prints them.

mod burst;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use integration_tests::{RabbitCluster, Running, System, Tally};

use burst::{Burst, version_of};

/// Rounds of the burst before the first kill, between a fault and the next, and after the last.
const ROUNDS_BETWEEN_FAULTS: usize = 8;
/// How long bet-maker may take to catch up once the burst is over.
const CONVERGE: Duration = Duration::from_secs(90);
/// How long one request of the burst may take (neither API waits for the broker).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::test]
#[allow(clippy::print_stdout)]
async fn killing_the_queue_leader_mid_burst_loses_no_change_and_settles_each_bet_once() {
    let started = Instant::now();
    let mut cluster = RabbitCluster::start(3).await;
    println!("cluster of 3 nodes running in {:?}", cluster.started_in());
    let system = System::on_cluster(&cluster).await;
    let lp = system.start_line_provider().await;
    let bm = system.start_bet_maker().await;
    system.wait_ready(&lp, 200).await;
    system.wait_ready(&bm, 200).await;

    let rounds = AtomicUsize::new(0);
    let faults_done = AtomicBool::new(false);
    let mut burst = Burst::new();
    let queue = system.topology.queue.clone();
    let faults = async {
        wait_for_rounds(&rounds, ROUNDS_BETWEEN_FAULTS).await;
        let leader = cluster.leader_of(&queue).await;
        println!(
            "round {}: killing node {leader}, the leader of bet-maker's queue",
            rounds.load(Ordering::SeqCst)
        );
        cluster.kill(leader).await;
        wait_for_rounds(
            &rounds,
            rounds.load(Ordering::SeqCst) + ROUNDS_BETWEEN_FAULTS,
        )
        .await;
        let restarted = Instant::now();
        cluster.restart(leader).await;
        let other = match cluster.leader_of(&queue).await {
            now if now != leader => now,
            _ => (leader + 1) % 3,
        };
        println!(
            "round {}: node {leader} back and caught up in {:?}; killing node {other}",
            rounds.load(Ordering::SeqCst),
            restarted.elapsed()
        );
        cluster.kill(other).await;
        wait_for_rounds(
            &rounds,
            rounds.load(Ordering::SeqCst) + ROUNDS_BETWEEN_FAULTS,
        )
        .await;
        faults_done.store(true, Ordering::SeqCst);
    };
    tokio::join!(burst.run(&system, &lp, &bm, &rounds, &faults_done), faults);
    println!(
        "burst of {} rounds over after {:?}",
        rounds.load(Ordering::SeqCst),
        started.elapsed()
    );

    // Every change line-provider acknowledged, in bet-maker: each event at the version and
    // status of line-provider's last answer.
    let converging = Instant::now();
    let mut applied = BTreeMap::new();
    let mut behind = Vec::new();
    while converging.elapsed() < CONVERGE {
        applied = bet_maker_events(&system).await;
        behind = burst.behind(&applied);
        if behind.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!(
        "bet-maker caught up {:?} after the burst",
        converging.elapsed()
    );
    let mut changes = Tally::new("applied");
    for (event, answer) in &burst.events {
        for version in 1..=version_of(answer) {
            changes.sent((event.clone(), version));
            changes.confirmed((event.clone(), version));
        }
        if let Some((version, _)) = applied.get(event) {
            for version in 1..=*version {
                changes.received((event.clone(), version));
            }
        }
    }

    // Every bet as its event finished, once.
    let mut bets_wrong = Vec::new();
    let mut settled_expected = 0;
    for (bet, event) in &burst.bets {
        let expected = bet_status(burst.events[event]["status"].as_str().unwrap());
        if expected != "pending" {
            settled_expected += 1;
        }
        let status = system.get_json(&bm, &format!("/bets/{bet}")).await["status"].clone();
        if status != expected {
            bets_wrong.push(format!("{bet} on {event}: {status}, expected {expected}"));
        }
    }
    let metric = async |service: &Running, name: &str| {
        system.metric(service, name).await.unwrap_or(0.0) as u64
    };
    let messages_applied = metric(&bm, "bet_maker_messages_applied_total").await;
    let messages_stale = metric(&bm, "bet_maker_messages_stale_total").await;
    let dead_lettered = metric(&bm, "bet_maker_messages_dead_lettered_total").await;
    let mut settled = 0;
    let mut resettled = 0;
    for outcome in ["won", "lost", "void"] {
        let label = format!("{{outcome=\"{outcome}\"}}");
        settled += metric(&bm, &format!("bet_maker_bets_settled_total{label}")).await;
        resettled += metric(&bm, &format!("bet_maker_bets_resettled_total{label}")).await;
    }
    let tallied = system
        .bet_maker_count("SELECT coalesce(sum(bets), 0)::bigint FROM event_tallies")
        .await;
    // bet-maker counts a message once it is acknowledged: one applied whose acknowledgement
    // died with its node is counted when it comes again, as stale (with the bets it settled).
    // So the counts may fall short of the changes, never exceed them.
    let confirmed = changes.confirmed_count() as u64;
    let applied_twice = messages_applied.saturating_sub(confirmed);
    let settled_twice = settled.saturating_sub(settled_expected);
    println!(
        "changes: sent {}, confirmed {confirmed}, applied {}, lost {}, duplicated \
         {applied_twice} (bet-maker's counts: applied {messages_applied}, stale {messages_stale}, \
         dead-lettered {dead_lettered})",
        burst.requests,
        changes.received_count(),
        changes.lost().len(),
    );
    println!(
        "bets: placed {}, refused {:?}, on finished events {settled_expected}, settled as \
         their event {}, counted settled {settled}, duplicated {settled_twice}",
        burst.bets.len(),
        burst.refused,
        burst.bets.len() - bets_wrong.len(),
    );
    println!(
        "reconnects: line-provider {}, bet-maker {}; test done in {:?}",
        metric(&lp, "line_provider_broker_reconnects_total").await,
        metric(&bm, "bet_maker_consumer_reconnects_total").await,
        started.elapsed()
    );

    assert!(
        burst.failed.is_empty(),
        "refused requests: {:?}",
        burst.failed
    );
    assert!(
        behind.is_empty(),
        "bet-maker is behind line-provider: {behind:?}"
    );
    changes.assert_valid();
    assert!(
        bets_wrong.is_empty(),
        "bets not settled as their event: {bets_wrong:?}"
    );
    assert_eq!(applied_twice, 0, "a change applied twice");
    assert_eq!(settled_twice, 0, "a bet settled twice");
    assert!(
        messages_applied + messages_stale >= confirmed,
        "every change reached bet-maker at least once"
    );
    assert_eq!(resettled, 0, "no correction was made");
    assert_eq!(
        tallied,
        burst.bets.len() as i64,
        "each bet counted once in its event's tally"
    );
    assert_eq!(dead_lettered, 0);
    let open: BTreeSet<String> = burst.open.iter().cloned().collect();
    system
        .wait_until(
            "bet-maker offers the events line-provider left open",
            || async {
                system
                    .open_events(&bm)
                    .await
                    .into_iter()
                    .collect::<BTreeSet<_>>()
                    == open
            },
        )
        .await;
    for event in system.get_json(&bm, "/events").await.as_array().unwrap() {
        let id = event["id"].as_str().unwrap();
        assert_eq!(
            event["coefficient"], burst.events[id]["coefficient"],
            "odds of {id}"
        );
    }
    assert!(
        burst.bets.len() >= 20 && settled_expected >= 10,
        "the burst placed bets and settled some: {} placed, {settled_expected} settled",
        burst.bets.len()
    );
    // The same two services all along: each is still running, and stops cleanly.
    system.wait_ready(&lp, 200).await;
    system.wait_ready(&bm, 200).await;
    lp.stop().await;
    bm.stop().await;
}

/// bet-maker's events: version and status of each.
async fn bet_maker_events(system: &System) -> BTreeMap<String, (u64, String)> {
    system
        .bet_maker_rows("SELECT id, version, status FROM events")
        .await
        .iter()
        .map(|row| {
            let version: i64 = row.get(1);
            (row.get(0), (version as u64, row.get(2)))
        })
        .collect()
}

/// A bet's status on an event of `status`.
fn bet_status(status: &str) -> &'static str {
    match status {
        "finished_win" => "won",
        "finished_lose" => "lost",
        "cancelled" => "void",
        _ => "pending",
    }
}

async fn wait_for_rounds(rounds: &AtomicUsize, at_least: usize) {
    while rounds.load(Ordering::SeqCst) < at_least {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
