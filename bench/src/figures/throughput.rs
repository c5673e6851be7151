//! Figure 4: event changes end to end, against the broker alone moving as many messages.

use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;

use super::Results;
use crate::baseline::{self, Acks};
use crate::footprint::{CpuSnapshot, CpuSplit};
use crate::load::Connection;
use crate::report::{Goal, Row, number};
use crate::sizes::Sizes;
use crate::system::System;

/// What one flow of changes measured.
pub struct Flow {
    /// Messages published and applied (a creation and a finish per event).
    pub messages: u64,
    /// Until line-provider had accepted every change.
    pub accepted: Duration,
    /// Until bet-maker had applied every message.
    pub applied: Duration,
    /// CPU per 1 000 changes, by part.
    pub cpu: CpuSplit,
}

impl Flow {
    /// Messages applied per second, end to end.
    pub fn rate(&self) -> f64 {
        self.messages as f64 / self.applied.as_secs_f64()
    }
}

/// Creates and finishes events `ids` through line-provider, 32 clients at a time, and waits
/// until bet-maker applied every message.
pub async fn changes_end_to_end(system: &System, ids: &[String]) -> anyhow::Result<Flow> {
    let mut metrics = Connection::open(system.bet_maker_address).await?;
    let applied_before = system
        .metric(&mut metrics, "bet_maker_messages_applied_total")
        .await? as u64;
    let messages = 2 * ids.len() as u64;
    let line_provider = system.line_provider_process();
    let cpu_before = CpuSnapshot::take(line_provider, system.bet_maker_process());
    let started = Instant::now();
    system.create_events(ids, 32).await?;
    system.finish_events(ids, 32).await?;
    let accepted = started.elapsed();
    system.wait_applied(applied_before + messages).await?;
    let applied = started.elapsed();
    let cpu = CpuSnapshot::take(line_provider, system.bet_maker_process())
        .since(&cpu_before, messages as f64 / 1000.0);
    Ok(Flow {
        messages,
        accepted,
        applied,
        cpu,
    })
}

/// One round of figure 4: the flow, then the broker alone moving as many messages, acknowledged
/// as bet-maker does and one by one.
struct Round {
    flow: Flow,
    /// Messages per second, the deliveries at hand acknowledged together (as bet-maker).
    broker: f64,
    /// Where the CPU went in that baseline, per 1 000 messages.
    broker_cpu: CpuSplit,
    /// Messages per second, each acknowledged alone.
    broker_each: f64,
}

impl Round {
    fn ratio(&self) -> f64 {
        self.flow.rate() / self.broker
    }
}

/// Figure 4: events created and finished through line-provider's outbox, the broker and
/// bet-maker's consumer, all applied; against the broker alone moving as many messages.
///
/// The flow and its baselines run [`Sizes::flow_rounds`] times, one after the other, each flow
/// on events of its own: this shared machine's speed drifts by a fifth within minutes, and a
/// round of each side in turn puts both sides in the same drift.
pub async fn message_throughput(
    system: &System,
    sizes: &Sizes,
    results: &mut Results,
) -> anyhow::Result<()> {
    let sampler = system
        .line_provider_process()
        .sample_peak(Duration::from_millis(50));
    let mut rounds = Vec::with_capacity(sizes.flow_rounds);
    for round in 0..sizes.flow_rounds {
        rounds.push(run_round(system, round, sizes.flow_events).await?);
    }
    let lp_peak = sampler.finish().await;
    results.rows.extend(rate_rows(&rounds, sizes.flow_events)?);
    results.rows.extend(cpu_rows(&rounds));
    results.rows.push(Row::new(
        "7 line-provider: resident memory, peak under this load",
        lp_peak,
        "MiB",
    ));
    Ok(())
}

/// Round `round`: `events` events created and finished on a settled system, then the broker
/// alone moving as many messages, acknowledged as bet-maker does and one by one.
async fn run_round(system: &System, round: usize, events: usize) -> anyhow::Result<Round> {
    let ids: Vec<String> = (0..events).map(|n| format!("flow-{round}-{n}")).collect();
    system.settle().await?;
    let flow = changes_end_to_end(system, &ids).await?;
    let line_provider = system.line_provider_process();
    let before = CpuSnapshot::take(line_provider, system.bet_maker_process());
    let broker = baseline::broker_throughput(system, flow.messages, Acks::AsBetMaker).await?;
    let broker_cpu = CpuSnapshot::take(line_provider, system.bet_maker_process())
        .since(&before, flow.messages as f64 / 1000.0);
    let broker_each = baseline::broker_throughput(system, flow.messages, Acks::EachMessage).await?;
    Ok(Round {
        flow,
        broker,
        broker_cpu,
        broker_each,
    })
}

/// The rates: the median flow against the median baseline (the goal of 5 000/s), the round
/// whose ratio is the median against its own baseline, the median flow
/// against the broker alone acknowledging each message, and what line-provider accepted. The
/// first row's name gives every round's rate and ratio; its details, every round.
fn rate_rows(rounds: &[Round], events: usize) -> anyhow::Result<Vec<Row>> {
    let rates: Vec<f64> = rounds.iter().map(|round| round.flow.rate()).collect();
    let ratios: Vec<f64> = rounds.iter().map(Round::ratio).collect();
    let middle = median(&ratios);
    let middle_round = rounds
        .iter()
        .min_by(|a, b| {
            (a.ratio() - middle)
                .abs()
                .total_cmp(&(b.ratio() - middle).abs())
        })
        .context("figure 4 ran no round")?;
    let medians = |value: fn(&Round) -> f64| median(&rounds.iter().map(value).collect::<Vec<_>>());
    let spread = if rounds.len() > 1 {
        format!(
            "; median of {} rounds: {} msg/s, ratios {}",
            rounds.len(),
            range(&rates),
            range(&ratios)
        )
    } else {
        String::new()
    };
    let rate = median(&rates);
    Ok(vec![
        Row::new(
            format!(
                "4 event changes applied end to end ({events} created + {events} finished{spread})"
            ),
            rate,
            "msg/s",
        )
        .baseline("broker alone", medians(|round| round.broker))
        .goal(Goal::AtLeast(5000.0))
        .details(round_details(rounds)),
        Row::new(
            "4 … the same against the broker alone (the round of the median ratio)",
            middle_round.flow.rate(),
            "msg/s",
        )
        .baseline("broker alone", middle_round.broker),
        Row::new(
            "4 … the same against the broker alone acknowledging each message (as figure 4's \
             baseline did before 2026-12-04)",
            rate,
            "msg/s",
        )
        .baseline(
            "broker alone, an ack each",
            medians(|round| round.broker_each),
        ),
        Row::new(
            "4 line-provider HTTP: changes accepted per second",
            medians(|round| round.flow.messages as f64 / round.flow.accepted.as_secs_f64()),
            "req/s",
        ),
    ])
}

/// Where the CPU went, over every round: in the flow per change, against what a message costs
/// the broker alone (the goal: a change at most 4 times a message), and the broker alone's own
/// split. The multiple reads the same on a fast and a slow day, which the rates do not.
fn cpu_rows(rounds: &[Round]) -> Vec<Row> {
    let cpu = CpuSplit::mean(rounds.iter().map(|round| &round.flow.cpu));
    let broker_cpu = CpuSplit::mean(rounds.iter().map(|round| &round.broker_cpu));
    vec![
        Row::new(
            format!(
                "4 … CPU ms per 1 000 changes, all parts ({})",
                cpu.describe()
            ),
            cpu.total(),
            "ms",
        )
        .baseline("the broker alone per 1 000 messages", broker_cpu.total())
        .goal(Goal::RatioAtMost(4.0))
        .details(&cpu),
        Row::new(
            format!(
                "4 … the broker alone: CPU ms per 1 000 messages ({})",
                broker_cpu.describe()
            ),
            broker_cpu.total(),
            "ms",
        )
        .details(&broker_cpu),
    ]
}

/// Every round's figures, for the JSON.
fn round_details(rounds: &[Round]) -> serde_json::Value {
    json!({
        "rounds": rounds.iter().map(|round| json!({
            "messages": round.flow.messages,
            "accepted_by_line_provider_seconds": round.flow.accepted.as_secs_f64(),
            "all_applied_seconds": round.flow.applied.as_secs_f64(),
            "changes_per_second": round.flow.rate(),
            "cpu": &round.flow.cpu,
            "broker_alone_per_second": round.broker,
            "broker_alone_cpu": &round.broker_cpu,
            "broker_alone_acking_each_per_second": round.broker_each,
        })).collect::<Vec<_>>(),
    })
}

/// The middle value (the mean of the two middle ones for an even count).
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// "lowest–highest", as the table writes numbers.
fn range(values: &[f64]) -> String {
    let lowest = values.iter().copied().fold(f64::INFINITY, f64::min);
    let highest = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{}–{}", number(lowest), number(highest))
}
