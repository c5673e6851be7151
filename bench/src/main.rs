//! The system benchmark: line-provider and bet-maker as release binaries on the local Postgres
//! and RabbitMQ, loaded figure by figure, each figure next to a baseline measured in the same
//! run (pgbench, the broker alone, a trivial route, a 1-bet finish, psql). Prints the table as
//! Markdown and writes it as JSON. Run it with `scripts/bench`; BENCHMARKS.md explains it.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod baseline;
mod figures;
mod footprint;
mod load;
mod machine;
mod report;
mod sizes;
mod system;

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use serde_json::json;

use figures::Results;
use machine::{machine, machine_line};
use sizes::Sizes;
use system::System;

/// Benchmarks the whole system against baselines measured in the same run.
#[derive(Debug, Parser)]
#[command(name = "bench")]
struct Args {
    /// A short run with small sizes, to check that the benchmark works (its figures are not
    /// the benchmark's).
    #[arg(long)]
    quick: bool,
    /// Where to write the results as JSON.
    #[arg(long, default_value = "target/bench/results.json")]
    out: PathBuf,
    /// Only these figures (numbers 1 to 12, comma-separated), with what they need: 2 reads the
    /// bets placed by 1, and 6 and the exposure of 8 need the settlement of 5, which they then
    /// also report.
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u8).range(1..=12))]
    only: Vec<u8>,
}

/// Which figures a run measures.
#[derive(Debug, Clone)]
struct Chosen(Vec<u8>);

impl Chosen {
    fn includes(&self, figure: u8) -> bool {
        self.0.is_empty() || self.0.contains(&figure)
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let sizes = Sizes::new(args.quick);
    let started = Instant::now();
    let work = tempdir()?;
    let system = System::start().await?;
    let chosen = Chosen(args.only.clone());
    let outcome = tokio::select! {
        outcome = run(&system, &sizes, &work, &chosen) => outcome,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    system.remove().await;
    let _ = std::fs::remove_dir_all(&work);
    let mut results = outcome?;
    if chosen.includes(9) {
        // On systems of its own, once the run's is gone (three systems' pools would take more
        // connections than Postgres allows by default).
        step("9 quorum queues against classic queues (two systems of their own)");
        figures::queue_types(&sizes, &mut results).await?;
    }

    let machine = machine().await;
    let table = report::markdown(&results.rows);
    let runs = runs_table(&results);
    println!("\n{}\n\n{table}\n{runs}", machine_line(&machine));
    println!(
        "bench: {} in {:.0} s; JSON in {}",
        if args.quick { "quick run" } else { "run" },
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(
        &args.out,
        serde_json::to_string_pretty(&json!({
            "machine": machine,
            "quick": args.quick,
            "sizes": format!("{sizes:?}"),
            "figures": results.rows,
            "runs": results.runs.iter().map(|(name, m)| json!({ "name": name, "measured": m })).collect::<Vec<_>>(),
        }))?,
    )?;
    Ok(())
}

async fn run(
    system: &System,
    sizes: &Sizes,
    work: &std::path::Path,
    chosen: &Chosen,
) -> anyhow::Result<Results> {
    let mut results = Results::default();
    let figure = |n: u8| chosen.includes(n);
    if figure(7) {
        step("7 idle footprint");
        figures::idle_footprint(system, &mut results).await;
    }
    figures::seed_betting_events(system).await?;
    let early_ledger = if figure(12) {
        step("12 GET /ledger while the ledger is short (figure 12's baseline)");
        Some(figures::early_ledger(system, sizes).await?)
    } else {
        None
    };
    if figure(1) || figure(2) {
        step("1 placing bets (service, then pgbench, at 1, 16 and 64 clients)");
        figures::placing_bets(system, sizes, work, &mut results).await?;
    }
    if figure(8) {
        step("8 limits (64 clients on one limited event, then reaching a limit)");
        figures::limits(system, sizes, &mut results).await?;
    }
    if figure(2) {
        step("2 reading");
        figures::reading(system, sizes, &mut results).await?;
    }
    if figure(10) {
        step("10 bets from accounts (anonymous, then from accounts, at 64 clients)");
        figures::account_bets(system, sizes, work, &mut results).await?;
    }
    if figure(3) {
        step("3 propagation");
        figures::propagation(system, sizes, &mut results).await?;
    }
    if figure(4) {
        step("4 message throughput");
        figures::message_throughput(system, sizes, &mut results).await?;
    }
    if figure(5) || figure(6) || figure(8) {
        step("5 settlement");
        let largest = figures::settlement(system, sizes, &mut results).await?;
        if figure(6) {
            step("6 streaming history");
            figures::history(system, &largest, &mut results).await?;
        }
        if figure(8) {
            step("8 exposure");
            figures::exposure(system, sizes, &largest, &mut results).await?;
        }
    }
    if figure(11) {
        step("11 payouts (an event of account bets finished, its wallets paid)");
        figures::payouts(system, sizes, &mut results).await?;
    }
    if let Some(early) = early_ledger {
        step("12 a long statement, and GET /ledger over the filled ledger");
        figures::statement(system, sizes, early, &mut results).await?;
    }
    if figure(7) {
        figures::final_footprint(system, &mut results).await;
    }
    Ok(results)
}

fn step(what: &str) {
    eprintln!("bench: {what}");
}

fn tempdir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The load runs behind the figures, with their latency distribution.
fn runs_table(results: &Results) -> String {
    let mut out = String::from(
        "| Load run | Clients | Requests | Per second | p50 ms | p99 ms | p99.9 ms | max ms |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for (name, m) in &results.runs {
        out.push_str(&format!(
            "| {name} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} |\n",
            m.clients, m.requests, m.per_second, m.p50_ms, m.p99_ms, m.p999_ms, m.max_ms
        ));
    }
    out
}
