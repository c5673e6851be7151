//! Figure 1: POST /bet at 1, 16 and 64 clients, against pgbench running bet-maker's own
//! statement with as many connections.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::{BETTING_EVENTS, Results, bet_call, betting_event, wait_count};
use crate::baseline;
use crate::footprint::CpuSnapshot;
use crate::load::{self};
use crate::report::{Goal, Row};
use crate::sizes::Sizes;
use crate::system::System;

/// Creates the events bets are placed on and waits until bet-maker has them.
pub async fn seed_betting_events(system: &System) -> anyhow::Result<()> {
    let ids: Vec<String> = (0..BETTING_EVENTS).map(betting_event).collect();
    system.create_events(&ids, 16).await?;
    wait_count(
        system,
        "SELECT count(*) FROM events WHERE id ~ '^1000[0-9]{3}$'",
        BETTING_EVENTS as i64,
    )
    .await
}

/// Figure 1: placing bets at 1, 16 and 64 clients, against pgbench running bet-maker's own
/// statement; and figure 7's footprint under that load.
pub async fn placing_bets(
    system: &System,
    sizes: &Sizes,
    work: &Path,
    results: &mut Results,
) -> anyhow::Result<()> {
    let bet_maker = system.bet_maker_process();
    let mut peak_rss = 0.0_f64;
    let mut cpu_at_64 = None;
    for clients in [1, 16, 64] {
        let bets_before = system.bet_maker_count("SELECT count(*) FROM bets").await?;
        let cpu_before = CpuSnapshot::take(system.line_provider_process(), bet_maker);
        let sampler = bet_maker.sample_peak(Duration::from_millis(50));
        let service = load::run(
            system.bet_maker_address,
            clients,
            201,
            sizes.warmup,
            sizes.load,
            Arc::new(bet_call),
        )
        .await?;
        peak_rss = peak_rss.max(sampler.finish().await);
        let cpu = CpuSnapshot::take(system.line_provider_process(), bet_maker);
        let bets = system.bet_maker_count("SELECT count(*) FROM bets").await? - bets_before;
        let split = cpu.since(&cpu_before, bets as f64 / 1000.0);
        if clients == 64 {
            cpu_at_64 = Some(split);
        }
        results.run(format!("POST /bet, {clients} clients"), &service);

        let pgbench = baseline::pgbench_bet(
            &system.bet_maker_database,
            clients,
            sizes.warmup,
            sizes.load,
            work,
        )
        .await?;
        results.run(
            format!("pgbench, bet statement, {clients} clients"),
            &pgbench,
        );

        let throughput = Row::new(
            format!("1 POST /bet throughput, {clients} clients"),
            service.per_second,
            "bets/s",
        )
        .baseline("pgbench", pgbench.per_second)
        .details(json!({ "service": service, "pgbench": pgbench }));
        let latency = Row::new(
            format!(
                "1 POST /bet p99, {clients} clients (p50 {:.2}, p99.9 {:.2})",
                service.p50_ms, service.p999_ms
            ),
            service.p99_ms,
            "ms",
        )
        .baseline("pgbench p99", pgbench.p99_ms);
        if clients == 64 {
            results.rows.push(throughput.goal(Goal::RatioAtLeast(0.9)));
            results.rows.push(latency.goal(Goal::RatioAtMost(1.1)));
        } else {
            results.rows.push(throughput);
            results.rows.push(latency);
        }
    }
    results.rows.push(Row::new(
        "7 bet-maker: resident memory, peak under POST /bet load",
        peak_rss,
        "MiB",
    ));
    if let Some(split) = cpu_at_64 {
        let bet_maker_ms = split
            .ms_per_unit
            .iter()
            .find(|(name, _)| *name == "bet-maker")
            .map_or(0.0, |(_, ms)| *ms);
        results.rows.push(
            Row::new(
                format!(
                    "7 bet-maker: CPU time per 1 000 bets, 64 clients (all CPU ms per 1 000: {})",
                    split.describe()
                ),
                bet_maker_ms,
                "ms",
            )
            .details(split),
        );
    }
    Ok(())
}
