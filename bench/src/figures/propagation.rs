//! Figure 3: line-provider's answer → bet-maker shows the change, one event at a time.

use std::time::Instant;

use anyhow::{Context, ensure};
use serde_json::json;

use super::{Results, contains, poll_until};
use crate::baseline;
use crate::load::{self, Call, Connection, Measured};
use crate::report::{Goal, Row};
use crate::sizes::Sizes;
use crate::system::{System, finish_call};

/// Figure 3: line-provider's 201 → listed by bet-maker, and the finish's 200 → bet settled,
/// one event at a time; against the broker alone delivering one message at a time.
pub async fn propagation(
    system: &System,
    sizes: &Sizes,
    results: &mut Results,
) -> anyhow::Result<()> {
    system.settle().await?;
    let mut line_provider = Connection::open(system.line_provider_address).await?;
    let mut poll = Connection::open(system.bet_maker_address).await?;
    let mut created = load::histogram();
    let mut settled = load::histogram();
    let deadline = crate::system::unix_seconds() + 3600;
    for n in 0..sizes.propagation_events {
        let id = format!("prop-{n}");
        let create = Call::post(
            "/events",
            format!(r#"{{"id":"{id}","coefficient":"2.10","deadline":{deadline}}}"#),
        )
        .with_token(crate::system::TOKEN);
        let (status, _) = line_provider.send(&create).await?;
        ensure!(status == 201, "creating {id} answered {status}");
        let since = Instant::now();
        let needle = format!(r#""id":"{id}""#);
        poll_until(&mut poll, &Call::get("/events"), since, |body| {
            contains(body, needle.as_bytes())
        })
        .await
        .with_context(|| format!("{id} never listed"))?;
        created.saturating_record(since.elapsed().as_micros() as u64);

        let (status, body) = poll
            .send(&Call::post(
                "/bet",
                format!(r#"{{"event_id":"{id}","amount":5.00}}"#),
            ))
            .await?;
        ensure!(status == 201, "betting on {id} answered {status}");
        let bet: serde_json::Value = serde_json::from_slice(&body)?;
        let bet_id = bet["id"].as_str().context("a bet id")?.to_owned();
        let won = n % 2 == 0;
        let (status, _) = line_provider.send(&finish_call(&id, won)).await?;
        ensure!(status == 200, "finishing {id} answered {status}");
        let since = Instant::now();
        let expected = if won {
            &br#""status":"won""#[..]
        } else {
            &br#""status":"lost""#[..]
        };
        poll_until(
            &mut poll,
            &Call::get(format!("/bets/{bet_id}")),
            since,
            |body| contains(body, expected),
        )
        .await
        .with_context(|| format!("bet {bet_id} never settled"))?;
        settled.saturating_record(since.elapsed().as_micros() as u64);
    }
    let broker = baseline::broker_latency(system, sizes.propagation_events).await?;
    let created = Measured::from_histogram(1, &created, 1.0);
    let settled = Measured::from_histogram(1, &settled, 1.0);
    for (what, measured) in [
        ("new event: 201 → listed in GET /events", &created),
        ("finish: 200 → bet won/lost in GET /bets/{id}", &settled),
    ] {
        results.rows.push(
            Row::new(
                format!("3 {what}: p50 over {} events", measured.requests),
                measured.p50_ms,
                "ms",
            )
            .baseline("broker alone p50", broker.p50_ms),
        );
        results.rows.push(
            Row::new(format!("3 {what}: p99"), measured.p99_ms, "ms")
                .baseline("broker alone p99", broker.p99_ms)
                .goal(Goal::Below(10.0))
                .details(json!({ "service": measured, "broker": broker })),
        );
    }
    Ok(())
}
