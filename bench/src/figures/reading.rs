//! Figure 2: GET /events and GET /bets/{id}, against /health/live of the same server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::ensure;

use super::{BETTING_EVENTS, Results, wait_count};
use crate::load::{self, Call, Connection};
use crate::report::{Goal, Row};
use crate::sizes::Sizes;
use crate::system::System;

/// Figure 2: GET /events with 100 and 1 000 open events and GET /bets/{id}, against
/// /health/live of the same server.
pub async fn reading(system: &System, sizes: &Sizes, results: &mut Results) -> anyhow::Result<()> {
    let clients = 16;
    let address = system.bet_maker_address;
    let run = |path: &'static str, make: load::MakeCall| {
        let _ = path;
        load::run(address, clients, 200, sizes.warmup, sizes.load, make)
    };
    let live = run("/health/live", Arc::new(|_, _| Call::get("/health/live"))).await?;
    results.run("GET /health/live (bet-maker)", &live);

    check_open_events(system, BETTING_EVENTS).await?;
    let events_100 = run("/events", Arc::new(|_, _| Call::get("/events"))).await?;
    results.run("GET /events, 100 open", &events_100);

    let ids: Arc<Vec<String>> = Arc::new(
        system
            .bet_maker_db
            .query(
                "SELECT id::text FROM bets ORDER BY random() LIMIT 1000",
                &[],
            )
            .await?
            .iter()
            .map(|row| row.get(0))
            .collect(),
    );
    ensure!(!ids.is_empty(), "figure 1 placed no bets");
    let one_bet = {
        let ids = ids.clone();
        run(
            "/bets/{id}",
            Arc::new(move |client, n| {
                Call::get(format!(
                    "/bets/{}",
                    ids[(client * 97 + n as usize) % ids.len()]
                ))
            }),
        )
        .await?
    };
    results.run("GET /bets/{id}", &one_bet);

    // 900 more open events, read, then finished so that later figures see 100 again.
    let more: Vec<String> = (BETTING_EVENTS..1000)
        .map(|n| format!("read-{n}"))
        .collect();
    system.create_events(&more, 16).await?;
    wait_count(
        system,
        "SELECT count(*) FROM events WHERE id LIKE 'read-%'",
        more.len() as i64,
    )
    .await?;
    check_open_events(system, 1000).await?;
    let events_1000 = run("/events", Arc::new(|_, _| Call::get("/events"))).await?;
    results.run("GET /events, 1 000 open", &events_1000);
    system.finish_events(&more, 16).await?;
    wait_count(
        system,
        "SELECT count(*) FROM events WHERE id LIKE 'read-%' AND status <> 'new'",
        more.len() as i64,
    )
    .await?;

    for (figure, measured, goal) in [
        (
            "2 GET /events, 100 open events",
            &events_100,
            Some(Goal::RatioAtLeast(0.3)),
        ),
        ("2 GET /events, 1 000 open events", &events_1000, None),
        ("2 GET /bets/{id}", &one_bet, None),
    ] {
        let mut row = Row::new(
            format!("{figure}: throughput, {clients} clients"),
            measured.per_second,
            "req/s",
        )
        .baseline("/health/live", live.per_second);
        if let Some(goal) = goal {
            row = row.goal(goal);
        }
        results.rows.push(row);
        results.rows.push(
            Row::new(format!("{figure}: p99"), measured.p99_ms, "ms")
                .baseline("/health/live p99", live.p99_ms),
        );
    }
    Ok(())
}

/// Checks that bet-maker lists exactly `count` open events.
async fn check_open_events(system: &System, count: usize) -> anyhow::Result<()> {
    let mut connection = Connection::open(system.bet_maker_address).await?;
    let started = Instant::now();
    loop {
        let (status, body) = connection.send(&Call::get("/events")).await?;
        ensure!(status == 200, "GET /events answered {status}");
        let listed: Vec<serde_json::Value> = serde_json::from_slice(&body)?;
        if listed.len() == count {
            return Ok(());
        }
        ensure!(
            started.elapsed() < Duration::from_secs(10),
            "GET /events lists {} events, not {count}",
            listed.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
