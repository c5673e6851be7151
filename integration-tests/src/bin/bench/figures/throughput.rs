//! Figure 4: event changes end to end, against the broker alone moving as many messages.

use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;

use super::Results;
use crate::Sizes;
use crate::baseline;
use crate::footprint::{CpuSnapshot, CpuSplit};
use crate::load::Connection;
use crate::report::{Goal, Row, number};
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

/// Figure 4: events created and finished through line-provider's outbox, the broker and
/// bet-maker's consumer, all applied; against the broker alone moving as many messages.
///
/// The flow and its baseline run [`Sizes::flow_rounds`] times, one after the other, each flow
/// on events of its own: this shared machine's speed drifts by a fifth within minutes, and a
/// round of each side in turn puts both sides in the same drift. The first row gives the median
/// flow and the median baseline, the second the round whose ratio is the median, both names the
/// spread; the CPU split is over every round.
pub async fn message_throughput(
    system: &System,
    sizes: &Sizes,
    results: &mut Results,
) -> anyhow::Result<()> {
    let line_provider = system.line_provider_process();
    let sampler = line_provider.sample_peak(Duration::from_millis(50));
    let mut rounds = Vec::with_capacity(sizes.flow_rounds);
    let mut broker_cpu = Vec::with_capacity(sizes.flow_rounds);
    for round in 0..sizes.flow_rounds {
        let ids: Vec<String> = (0..sizes.flow_events)
            .map(|n| format!("flow-{round}-{n}"))
            .collect();
        system.settle().await?;
        let flow = changes_end_to_end(system, &ids).await?;
        let before = CpuSnapshot::take(line_provider, system.bet_maker_process());
        let broker = baseline::broker_throughput(system, flow.messages).await?;
        broker_cpu.push(
            CpuSnapshot::take(line_provider, system.bet_maker_process())
                .since(&before, flow.messages as f64 / 1000.0),
        );
        rounds.push((flow, broker));
    }
    let lp_peak = sampler.finish().await;

    let rates: Vec<f64> = rounds.iter().map(|(flow, _)| flow.rate()).collect();
    let brokers: Vec<f64> = rounds.iter().map(|(_, broker)| *broker).collect();
    let ratios: Vec<f64> = rounds
        .iter()
        .map(|(flow, broker)| flow.rate() / broker)
        .collect();
    let accepted: Vec<f64> = rounds
        .iter()
        .map(|(flow, _)| flow.messages as f64 / flow.accepted.as_secs_f64())
        .collect();
    let rate = median(&rates);
    let broker = median(&brokers);
    let cpu = CpuSplit::mean(rounds.iter().map(|(flow, _)| &flow.cpu));
    let events = sizes.flow_events;
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
    let details = json!({
        "rounds": rounds.iter().map(|(flow, broker)| json!({
            "messages": flow.messages,
            "accepted_by_line_provider_seconds": flow.accepted.as_secs_f64(),
            "all_applied_seconds": flow.applied.as_secs_f64(),
            "changes_per_second": flow.rate(),
            "broker_alone_per_second": broker,
            "cpu": &flow.cpu,
        })).collect::<Vec<_>>(),
    });
    results.rows.push(
        Row::new(
            format!(
                "4 event changes applied end to end ({events} created + {events} finished{spread})"
            ),
            rate,
            "msg/s",
        )
        .baseline("broker alone", broker)
        .goal(Goal::AtLeast(5000.0))
        .details(details),
    );
    // The round of the median ratio: its flow and its own baseline.
    let (middle_flow, middle_broker) = rounds
        .iter()
        .min_by(|(a, a_broker), (b, b_broker)| {
            let middle = median(&ratios);
            (a.rate() / a_broker - middle)
                .abs()
                .total_cmp(&(b.rate() / b_broker - middle).abs())
        })
        .context("figure 4 ran no round")?;
    results.rows.push(
        Row::new(
            "4 … the same against the broker alone (the round of the median ratio)",
            middle_flow.rate(),
            "msg/s",
        )
        .baseline("broker alone", *middle_broker)
        .goal(Goal::RatioAtLeast(0.5)),
    );
    results.rows.push(
        Row::new(
            format!(
                "4 … CPU ms per 1 000 changes, all parts ({})",
                cpu.describe()
            ),
            cpu.total(),
            "ms",
        )
        .details(&cpu),
    );
    // What the broker alone spends per message, in the same rounds: at equal use of the cores,
    // the flow reaches half the broker's rate only if a change costs at most twice this.
    let broker_cpu = CpuSplit::mean(broker_cpu.iter());
    results.rows.push(
        Row::new(
            format!(
                "4 … the broker alone: CPU ms per 1 000 messages ({})",
                broker_cpu.describe()
            ),
            broker_cpu.total(),
            "ms",
        )
        .details(&broker_cpu),
    );
    results.rows.push(Row::new(
        "4 line-provider HTTP: changes accepted per second",
        median(&accepted),
        "req/s",
    ));
    results.rows.push(Row::new(
        "7 line-provider: resident memory, peak under this load",
        lp_peak,
        "MiB",
    ));
    Ok(())
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
