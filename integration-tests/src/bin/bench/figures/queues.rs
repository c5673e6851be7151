//! Figure 9: bet-maker's queues as quorum queues (the contract's) against classic queues
//! (`AMQP_QUEUE_TYPE=classic`, as before quorum queues), each on a system of its own in the
//! same run: event changes end to end, what they cost the broker, and POST /bet.

use std::sync::Arc;

use serde_json::json;
use shared_messages::topology::QueueType;

use super::throughput::{Flow, changes_end_to_end};
use super::{Results, bet_call, seed_betting_events};
use crate::Sizes;
use crate::load::{self, Measured};
use crate::report::Row;
use crate::system::System;

/// Clients placing bets in this figure.
const BETTORS: usize = 16;

/// Figure 9 on `quorum` (the run's system) and a classic system started for it.
pub async fn queue_types(
    quorum: &System,
    sizes: &Sizes,
    results: &mut Results,
) -> anyhow::Result<()> {
    let classic = System::start_with(QueueType::Classic).await?;
    let outcome = compare(quorum, &classic, sizes, results).await;
    classic.remove().await;
    outcome
}

async fn compare(
    quorum: &System,
    classic: &System,
    sizes: &Sizes,
    results: &mut Results,
) -> anyhow::Result<()> {
    seed_betting_events(classic).await?;
    // Classic first, then quorum, then classic again: the machine warms up and its noise
    // drifts, so the classic figure is the mean of the two runs around the quorum one.
    let ids = |name: &str| -> Vec<String> {
        (0..sizes.flow_events)
            .map(|n| format!("queues-{name}-{n}"))
            .collect()
    };
    let classic_first = changes_end_to_end(classic, &ids("c1")).await?;
    let quorum_flow = changes_end_to_end(quorum, &ids("q")).await?;
    let classic_second = changes_end_to_end(classic, &ids("c2")).await?;
    let classic_rate = (classic_first.rate() + classic_second.rate()) / 2.0;
    let broker_ms = |flow: &Flow| flow.cpu.part("RabbitMQ");
    let classic_broker_ms = (broker_ms(&classic_first) + broker_ms(&classic_second)) / 2.0;

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
    let classic_bets: Measured = bets(classic).await?;
    let quorum_bets: Measured = bets(quorum).await?;

    results.rows.push(
        Row::new(
            format!(
                "9 event changes end to end, quorum queue ({} created + {} finished)",
                sizes.flow_events, sizes.flow_events
            ),
            quorum_flow.rate(),
            "msg/s",
        )
        .baseline("classic queue", classic_rate)
        .details(json!({
            "quorum": { "rate": quorum_flow.rate(), "cpu": quorum_flow.cpu },
            "classic": [
                { "rate": classic_first.rate(), "cpu": classic_first.cpu },
                { "rate": classic_second.rate(), "cpu": classic_second.cpu },
            ],
        })),
    );
    results.rows.push(
        Row::new(
            "9 … RabbitMQ CPU ms per 1 000 changes, quorum queue",
            broker_ms(&quorum_flow),
            "ms",
        )
        .baseline("classic queue", classic_broker_ms),
    );
    results.rows.push(
        Row::new(
            "9 … CPU ms per 1 000 changes, all parts, quorum queue",
            quorum_flow.cpu.total(),
            "ms",
        )
        .baseline(
            "classic queue",
            (classic_first.cpu.total() + classic_second.cpu.total()) / 2.0,
        ),
    );
    results.rows.push(
        Row::new(
            format!("9 POST /bet, {BETTORS} clients, quorum queue"),
            quorum_bets.per_second,
            "bets/s",
        )
        .baseline("classic queue", classic_bets.per_second)
        .details(json!({ "quorum": quorum_bets, "classic": classic_bets })),
    );
    results.rows.push(
        Row::new(
            format!("9 … POST /bet p99, {BETTORS} clients, quorum queue"),
            quorum_bets.p99_ms,
            "ms",
        )
        .baseline("classic queue", classic_bets.p99_ms),
    );
    results.run("9 POST /bet, quorum queue", &quorum_bets);
    results.run("9 POST /bet, classic queue", &classic_bets);
    Ok(())
}
