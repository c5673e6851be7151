//! Figure 9: bet-maker's queues as quorum queues (the contract's) against classic queues
//! (`AMQP_QUEUE_TYPE=classic`, as before quorum queues), each on a system of its own started
//! for the figure, on the run's one broker node: event changes end to end, what they cost the
//! broker, and POST /bet (which touches no queue: what the broker's work costs a bet when
//! everything shares two cores).

use std::sync::Arc;

use serde_json::json;
use shared_messages::topology::QueueType;

use super::throughput::{Flow, changes_end_to_end};
use super::{Results, bet_call, seed_betting_events};
use crate::load::{self, Measured};
use crate::report::Row;
use crate::sizes::Sizes;
use crate::system::System;

/// Clients placing bets in this figure.
const BETTORS: usize = 16;

/// Figure 9 on two systems started for it, one of each queue type.
pub async fn queue_types(sizes: &Sizes, results: &mut Results) -> anyhow::Result<()> {
    let quorum = System::start_with(QueueType::Quorum).await?;
    let classic = match System::start_with(QueueType::Classic).await {
        Ok(classic) => classic,
        Err(error) => {
            quorum.remove().await;
            return Err(error);
        }
    };
    let outcome = tokio::select! {
        outcome = compare(&quorum, &classic, sizes, results) => outcome,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    quorum.remove().await;
    classic.remove().await;
    outcome
}

/// Both systems start alike and are warmed up alike; then each measurement runs classic,
/// quorum, quorum, classic (the machine's noise drifts, and this order cancels a steady
/// drift), and each figure is the mean of its two runs.
async fn compare(
    quorum: &System,
    classic: &System,
    sizes: &Sizes,
    results: &mut Results,
) -> anyhow::Result<()> {
    let ids = |name: &str, events: usize| -> Vec<String> {
        (0..events).map(|n| format!("queues-{name}-{n}")).collect()
    };
    for system in [quorum, classic] {
        seed_betting_events(system).await?;
        changes_end_to_end(system, &ids("warm-up", sizes.flow_events / 5)).await?;
    }
    let classic_first = changes_end_to_end(classic, &ids("a", sizes.flow_events)).await?;
    let quorum_first = changes_end_to_end(quorum, &ids("b", sizes.flow_events)).await?;
    let quorum_second = changes_end_to_end(quorum, &ids("c", sizes.flow_events)).await?;
    let classic_second = changes_end_to_end(classic, &ids("d", sizes.flow_events)).await?;
    let mean = |a: &Flow, b: &Flow, of: &dyn Fn(&Flow) -> f64| (of(a) + of(b)) / 2.0;
    let rate = |flow: &Flow| flow.rate();
    let broker_ms = |flow: &Flow| flow.cpu.part("RabbitMQ");
    let all_ms = |flow: &Flow| flow.cpu.total();

    let bets = |system: &System| {
        load::run(
            system.bet_maker_address,
            BETTORS,
            201,
            sizes.warmup,
            sizes.load,
            Arc::new(bet_call),
        )
    };
    let classic_bets_first: Measured = bets(classic).await?;
    let quorum_bets_first: Measured = bets(quorum).await?;
    let quorum_bets_second: Measured = bets(quorum).await?;
    let classic_bets_second: Measured = bets(classic).await?;
    let per_second = |a: &Measured, b: &Measured| (a.per_second + b.per_second) / 2.0;
    let p99 = |a: &Measured, b: &Measured| (a.p99_ms + b.p99_ms) / 2.0;

    results.rows.push(
        Row::new(
            format!(
                "9 event changes end to end, quorum queue ({} created + {} finished, one node)",
                sizes.flow_events, sizes.flow_events
            ),
            mean(&quorum_first, &quorum_second, &rate),
            "msg/s",
        )
        .baseline(
            "classic queue",
            mean(&classic_first, &classic_second, &rate),
        )
        .details(json!({
            "quorum": [
                { "rate": quorum_first.rate(), "cpu": quorum_first.cpu },
                { "rate": quorum_second.rate(), "cpu": quorum_second.cpu },
            ],
            "classic": [
                { "rate": classic_first.rate(), "cpu": classic_first.cpu },
                { "rate": classic_second.rate(), "cpu": classic_second.cpu },
            ],
        })),
    );
    results.rows.push(
        Row::new(
            "9 … RabbitMQ CPU ms per 1 000 changes, quorum queue",
            mean(&quorum_first, &quorum_second, &broker_ms),
            "ms",
        )
        .baseline(
            "classic queue",
            mean(&classic_first, &classic_second, &broker_ms),
        ),
    );
    results.rows.push(
        Row::new(
            "9 … CPU ms per 1 000 changes, all parts, quorum queue",
            mean(&quorum_first, &quorum_second, &all_ms),
            "ms",
        )
        .baseline(
            "classic queue",
            mean(&classic_first, &classic_second, &all_ms),
        ),
    );
    results.rows.push(
        Row::new(
            format!("9 POST /bet, {BETTORS} clients, quorum queue (no message flows)"),
            per_second(&quorum_bets_first, &quorum_bets_second),
            "bets/s",
        )
        .baseline(
            "classic queue",
            per_second(&classic_bets_first, &classic_bets_second),
        ),
    );
    results.rows.push(
        Row::new(
            format!("9 … POST /bet p99, {BETTORS} clients, quorum queue"),
            p99(&quorum_bets_first, &quorum_bets_second),
            "ms",
        )
        .baseline(
            "classic queue",
            p99(&classic_bets_first, &classic_bets_second),
        ),
    );
    for (name, measured) in [
        ("9 POST /bet, classic queue (1st)", &classic_bets_first),
        ("9 POST /bet, quorum queue (1st)", &quorum_bets_first),
        ("9 POST /bet, quorum queue (2nd)", &quorum_bets_second),
        ("9 POST /bet, classic queue (2nd)", &classic_bets_second),
    ] {
        results.run(name, measured);
    }
    Ok(())
}
