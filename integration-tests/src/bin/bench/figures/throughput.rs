//! Figure 4: event changes end to end, against the broker alone moving as many messages.

use std::time::{Duration, Instant};

use serde_json::json;

use super::Results;
use crate::Sizes;
use crate::baseline;
use crate::footprint::{CpuSnapshot, CpuSplit};
use crate::load::Connection;
use crate::report::{Goal, Row};
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
pub async fn message_throughput(
    system: &System,
    sizes: &Sizes,
    results: &mut Results,
) -> anyhow::Result<()> {
    let ids: Vec<String> = (0..sizes.flow_events)
        .map(|n| format!("flow-{n}"))
        .collect();
    system.settle().await?;
    let line_provider = system.line_provider_process();
    let sampler = line_provider.sample_peak(Duration::from_millis(50));
    let Flow {
        messages,
        accepted,
        applied,
        cpu,
    } = changes_end_to_end(system, &ids).await?;
    let lp_peak = sampler.finish().await;

    let broker = baseline::broker_throughput(system, messages).await?;
    let rate = messages as f64 / applied.as_secs_f64();
    let ids = ids.len();
    results.rows.push(
        Row::new(
            format!(
                "4 event changes applied end to end ({} created + {} finished)",
                ids, ids
            ),
            rate,
            "msg/s",
        )
        .baseline("broker alone", broker)
        .goal(Goal::AtLeast(5000.0))
        .details(json!({
            "messages": messages,
            "accepted_by_line_provider_seconds": accepted.as_secs_f64(),
            "all_applied_seconds": applied.as_secs_f64(),
        })),
    );
    results.rows.push(
        Row::new("4 … the same against the broker alone", rate, "msg/s")
            .baseline("broker alone", broker)
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
    results.rows.push(Row::new(
        "4 line-provider HTTP: changes accepted per second",
        messages as f64 / accepted.as_secs_f64(),
        "req/s",
    ));
    results.rows.push(Row::new(
        "7 line-provider: resident memory, peak under this load",
        lp_peak,
        "MiB",
    ));
    Ok(())
}
