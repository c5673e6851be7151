//! The figures of BENCHMARKS.md but the settlement's (`settlement.rs`), each with the baseline
//! it is compared with, measured in the same run.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use serde_json::json;

use crate::Sizes;
use crate::baseline;
use crate::footprint::{CpuSnapshot, Watched};
use crate::load::{self, Call, Connection, Measured};
use crate::report::{Goal, Row};
use crate::system::{System, finish_call};

/// The events bets are placed on in figures 1, 2 and 5: `1000000` … `1000099`.
pub const BETTING_EVENTS: usize = 100;
const FIRST_BETTING_EVENT: usize = 1_000_000;

fn betting_event(n: usize) -> String {
    (FIRST_BETTING_EVENT + n % BETTING_EVENTS).to_string()
}

/// A POST /bet on one of the betting events, spread over them.
pub(crate) fn bet_call(client: usize, n: u64) -> Call {
    let event = betting_event(client * 31 + n as usize);
    Call::post(
        "/bet",
        format!(r#"{{"event_id":"{event}","amount":10.00}}"#),
    )
}

/// The figures collected so far, and every load run behind them.
#[derive(Default)]
pub struct Results {
    pub rows: Vec<Row>,
    pub runs: Vec<(String, Measured)>,
}

impl Results {
    pub(crate) fn run(&mut self, name: impl Into<String>, measured: &Measured) {
        self.runs.push((name.into(), measured.clone()));
    }
}

/// Waits until `query` on bet-maker's database counts at least `count`.
pub(crate) async fn wait_count(system: &System, query: &str, count: i64) -> anyhow::Result<()> {
    let started = Instant::now();
    while system.bet_maker_count(query).await? < count {
        ensure!(
            started.elapsed() < Duration::from_secs(120),
            "bet-maker never reached {count} for {query}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Figure 7 (first part): resident memory of each service right after start.
pub async fn idle_footprint(system: &System, results: &mut Results) {
    tokio::time::sleep(Duration::from_secs(2)).await;
    for (name, process) in [
        ("line-provider", system.line_provider_process()),
        ("bet-maker", system.bet_maker_process()),
    ] {
        results.rows.push(
            Row::new(
                format!("7 {name}: resident memory, idle after start"),
                process.rss_mib(),
                "MiB",
            )
            .goal(Goal::Below(20.0)),
        );
    }
}

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

/// Figure 3: line-provider's 201 → listed by bet-maker, and the finish's 200 → bet settled,
/// one event at a time; against the broker alone delivering one message at a time.
pub async fn propagation(
    system: &System,
    sizes: &Sizes,
    results: &mut Results,
) -> anyhow::Result<()> {
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

/// How often figure 3 asks bet-maker: often enough to resolve fractions of a millisecond,
/// seldom enough to leave most of the CPU to the system under test (asking back to back
/// took a core and doubled the tail).
const POLL_EVERY: Duration = Duration::from_micros(250);

pub(crate) async fn poll_until(
    connection: &mut Connection,
    call: &Call,
    since: Instant,
    done: impl Fn(&[u8]) -> bool,
) -> anyhow::Result<()> {
    loop {
        let asked = Instant::now();
        let (status, body) = connection.send(call).await?;
        if status == 200 && done(&body) {
            return Ok(());
        }
        if since.elapsed() > Duration::from_secs(30) {
            bail!("gave up after 30 s");
        }
        // tokio's timers tick in milliseconds; a quarter of one needs a thread sleep.
        if let Some(rest) = POLL_EVERY.checked_sub(asked.elapsed()) {
            tokio::task::block_in_place(|| std::thread::sleep(rest));
        }
    }
}

pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Figure 4: events created and finished through line-provider's outbox, the broker and
/// bet-maker's consumer, all applied; against the broker alone moving as many messages.
pub async fn message_throughput(
    system: &System,
    sizes: &Sizes,
    results: &mut Results,
) -> anyhow::Result<()> {
    let mut metrics = Connection::open(system.bet_maker_address).await?;
    let applied_before = system
        .metric(&mut metrics, "bet_maker_messages_applied_total")
        .await? as u64;
    let ids: Vec<String> = (0..sizes.flow_events)
        .map(|n| format!("flow-{n}"))
        .collect();
    let messages = 2 * ids.len() as u64;
    let line_provider = system.line_provider_process();
    let sampler = line_provider.sample_peak(Duration::from_millis(50));
    let cpu_before = CpuSnapshot::take(line_provider, system.bet_maker_process());
    let started = Instant::now();
    system.create_events(&ids, 32).await?;
    system.finish_events(&ids, 32).await?;
    let accepted = started.elapsed();
    system.wait_applied(applied_before + messages).await?;
    let applied = started.elapsed();
    let cpu = CpuSnapshot::take(line_provider, system.bet_maker_process())
        .since(&cpu_before, messages as f64 / 1000.0);
    let lp_peak = sampler.finish().await;

    let broker = baseline::broker_throughput(system, messages).await?;
    let rate = messages as f64 / applied.as_secs_f64();
    results.rows.push(
        Row::new(
            format!(
                "4 event changes applied end to end ({} created + {} finished)",
                ids.len(),
                ids.len()
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

/// Figure 6: GET /bets of every bet of one event, streamed; against psql producing the same
/// rows as JSON.
pub async fn history(system: &System, event_id: &str, results: &mut Results) -> anyhow::Result<()> {
    let bets = system
        .bet_maker_count(&format!(
            "SELECT count(*) FROM bets WHERE event_id = '{event_id}'"
        ))
        .await?;
    let bet_maker: Watched = system.bet_maker_process();
    let rss_before = bet_maker.rss_mib();
    let sampler = bet_maker.sample_peak(Duration::from_millis(5));
    let mut connection = Connection::open(system.bet_maker_address).await?;
    let mut rows = 0_u64;
    let mut bytes = 0_u64;
    let (status, first_byte, total) = connection
        .stream(&Call::get(format!("/bets?event_id={event_id}")), |chunk| {
            bytes += chunk.len() as u64;
            rows += chunk.iter().filter(|&&b| b == b'{').count() as u64;
        })
        .await?;
    let peak = sampler.finish().await;
    ensure!(status == 200, "GET /bets answered {status}");
    ensure!(
        rows == bets as u64,
        "GET /bets streamed {rows} bets of {bets}"
    );

    let (psql_rows, psql_time) = baseline::psql_json(&system.bet_maker_database, event_id).await?;
    ensure!(
        psql_rows == rows,
        "psql produced {psql_rows} rows of {rows}"
    );
    let rate = rows as f64 / total.as_secs_f64();
    let psql_rate = psql_rows as f64 / psql_time.as_secs_f64();
    results.rows.push(
        Row::new(
            format!(
                "6 GET /bets streaming {} bets: rows per second",
                thousands(rows as usize)
            ),
            rate,
            "rows/s",
        )
        .baseline("psql row_to_json", psql_rate)
        .goal(Goal::RatioAtLeast(0.5))
        .details(json!({
            "rows": rows, "bytes": bytes, "seconds": total.as_secs_f64(),
            "psql_seconds": psql_time.as_secs_f64(),
        })),
    );
    results.rows.push(Row::new(
        "6 … time to first byte",
        first_byte.as_secs_f64() * 1000.0,
        "ms",
    ));
    results.rows.push(
        Row::new("6 … bet-maker peak resident memory meanwhile", peak, "MiB")
            .goal(Goal::Below(64.0))
            .details(json!({ "before_mib": rss_before })),
    );
    Ok(())
}

/// Figure 7 (last part): resident memory of each service once the run is over.
pub async fn final_footprint(system: &System, results: &mut Results) {
    tokio::time::sleep(Duration::from_secs(2)).await;
    for (name, process) in [
        ("line-provider", system.line_provider_process()),
        ("bet-maker", system.bet_maker_process()),
    ] {
        results.rows.push(Row::new(
            format!("7 {name}: resident memory, idle after the run"),
            process.rss_mib(),
            "MiB",
        ));
    }
}

/// 1 000 000 written with spaces.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}
