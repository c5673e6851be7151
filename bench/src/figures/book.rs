//! Figure 8: the book's controls. POST /bet at 64 clients all on one event under a liability
//! limit never reached, against 64 clients spread over the betting events without limits;
//! 16 and 64 clients betting on one event while its limit is reached (nothing accepted over it,
//! the refusals' p99); and GET /events/{id}/exposure on the event with the most bets.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure};
use rust_decimal::Decimal;

use super::{Results, bet_call, thousands, wait_count};
use crate::load::{self, Call, Connection, Measured, histogram};
use crate::report::{Goal, Row};
use crate::sizes::Sizes;
use crate::system::{System, TOKEN, unix_seconds};

/// How many refusals each client of [`reach_the_limit`] meets at least.
const REFUSALS: u64 = 20;

/// The largest limit an event takes: a book that is never reached in a run.
const NEVER_REACHED: &str = "1000000000";

/// Figure 8a and 8b; 8c is [`exposure`], after figure 5 made an event with many bets.
pub async fn limits(system: &System, sizes: &Sizes, results: &mut Results) -> anyhow::Result<()> {
    let hot = "limited-hot";
    create_limited(system, hot, NEVER_REACHED).await?;

    let spread = load::run(
        system.bet_maker_address,
        64,
        201,
        sizes.warmup,
        sizes.load,
        Arc::new(bet_call),
    )
    .await?;
    results.run("POST /bet, 64 clients over 100 events, no limits", &spread);
    let one = load::run(
        system.bet_maker_address,
        64,
        201,
        sizes.warmup,
        sizes.load,
        Arc::new(move |_, _| {
            Call::post("/bet", format!(r#"{{"event_id":"{hot}","amount":10.00}}"#))
        }),
    )
    .await?;
    results.run("POST /bet, 64 clients on one event under a limit", &one);
    results.rows.push(
        Row::new(
            format!(
                "8 POST /bet, 64 clients on one event under a liability limit (p99 {:.2} ms vs {:.2})",
                one.p99_ms, spread.p99_ms
            ),
            one.per_second,
            "bets/s",
        )
        .baseline("64 clients over 100 events, no limits", spread.per_second)
        .goal(Goal::RatioAtLeast(0.7))
        .details(serde_json::json!({ "one_event": one, "spread": spread })),
    );

    // About two seconds of bets (a fraction of that in the quick run), then refusals only;
    // with 16 clients (the goal's row) and with 64.
    let bets_to_fill = if sizes.load < Duration::from_secs(2) {
        300
    } else {
        8_000
    };
    let limit = Decimal::from(bets_to_fill) * Decimal::new(850, 2); // 10.00 × 0.85 each
    let mut filled = vec![hot.to_owned()];
    for clients in [16, 64] {
        let fill = format!("limited-fill-{clients}");
        create_limited(system, &fill, &limit.to_string()).await?;
        let (accepted, refused) = reach_the_limit(system, &fill, clients, sizes.load).await?;
        results.run(
            format!("POST /bet while the limit is reached, {clients} clients: accepted"),
            &accepted,
        );
        results.run(
            format!("POST /bet while the limit is reached, {clients} clients: refused"),
            &refused,
        );
        let taken: Decimal = system
            .bet_maker_db
            .query_one(
                "SELECT coalesce(sum(amount * (coefficient - 1)), 0) FROM bets WHERE event_id = $1",
                &[&fill],
            )
            .await?
            .try_get(0)?;
        let over = (taken - limit).max(Decimal::ZERO);
        let gap = limit - taken;
        results.rows.push(
            Row::new(
                format!(
                    "8 liability accepted above the limit, {clients} clients reaching it ({} bets accepted, {} refused; {gap} of {limit} left unfilled)",
                    thousands(accepted.requests as usize),
                    thousands(refused.requests as usize)
                ),
                f64::try_from(over).unwrap_or(f64::MAX),
                "money",
            )
            .goal(Goal::Below(0.01))
            .details(serde_json::json!({ "limit": limit, "taken": taken })),
        );
        let row = Row::new(
            format!(
                "8 POST /bet refused at the limit, {clients} clients: p99 (p50 {:.2}, {:.0}/s)",
                refused.p50_ms, refused.per_second
            ),
            refused.p99_ms,
            "ms",
        )
        .baseline("accepted bets' p99 in the same run", accepted.p99_ms);
        results.rows.push(if clients == 16 {
            row.goal(Goal::Below(20.0))
        } else {
            row
        });
        filled.push(fill);
    }
    // Finished, so that later figures see the 100 betting events open, as they expect.
    system.finish_events(&filled, 1).await?;
    wait_count(
        system,
        "SELECT count(*) FROM events WHERE id LIKE 'limited-%' AND status <> 'new'",
        filled.len() as i64,
    )
    .await
}

/// Creates `id` at odds 1.85 with `max_liability`, through line-provider, and waits until
/// bet-maker lists it with its limit.
async fn create_limited(system: &System, id: &str, max_liability: &str) -> anyhow::Result<()> {
    let deadline = unix_seconds() + 3600;
    let mut line_provider = Connection::open(system.line_provider_address).await?;
    let (status, body) = line_provider
        .send(
            &Call::post(
                "/events",
                format!(
                    r#"{{"id":"{id}","coefficient":"1.85","deadline":{deadline},"max_liability":"{max_liability}"}}"#
                ),
            )
            .with_token(TOKEN),
        )
        .await?;
    ensure!(
        status == 201,
        "creating {id} answered {status}: {}",
        String::from_utf8_lossy(&body)
    );
    wait_count(
        system,
        &format!("SELECT count(*) FROM events WHERE id = '{id}' AND max_liability IS NOT NULL"),
        1,
    )
    .await
}

/// `clients` bet 10.00 on `event` back to back for `duration`, and until each has been
/// refused [`REFUSALS`] times; the latencies of the bets accepted and of those refused with
/// `liability-limit`, apart.
async fn reach_the_limit(
    system: &System,
    event: &str,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<(Measured, Measured)> {
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let mut connection = Connection::open(system.bet_maker_address).await?;
        let call = Call::post(
            "/bet",
            format!(r#"{{"event_id":"{event}","amount":10.00}}"#),
        );
        tasks.push(tokio::spawn(async move {
            let (mut accepted, mut refused) = (histogram(), histogram());
            while started.elapsed() < duration || refused.len() < REFUSALS {
                ensure!(
                    started.elapsed() < Duration::from_secs(60),
                    "the limit was not reached within a minute"
                );
                let sent = Instant::now();
                let (status, body) = connection.send(&call).await?;
                let took = sent.elapsed().as_micros() as u64;
                match status {
                    201 => accepted.saturating_record(took),
                    409 if super::contains(&body, b"liability-limit") => {
                        refused.saturating_record(took);
                    }
                    other => bail!("a bet answered {other}: {}", String::from_utf8_lossy(&body)),
                }
            }
            Ok((accepted, refused))
        }));
    }
    let (mut accepted, mut refused) = (histogram(), histogram());
    for task in tasks {
        let (a, r) = task.await??;
        accepted.add(a)?;
        refused.add(r)?;
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok((
        Measured::from_histogram(clients, &accepted, seconds),
        Measured::from_histogram(clients, &refused, seconds),
    ))
}

/// Figure 8c: GET /events/{id}/exposure on `event` (the run's event with the most bets),
/// against /health/live of the same server.
pub async fn exposure(
    system: &System,
    sizes: &Sizes,
    event: &str,
    results: &mut Results,
) -> anyhow::Result<()> {
    let bets: i64 = system
        .bet_maker_db
        .query_one("SELECT count(*) FROM bets WHERE event_id = $1", &[&event])
        .await?
        .try_get(0)?;
    let address = system.bet_maker_address;
    let clients = 16;
    let live = load::run(
        address,
        clients,
        200,
        sizes.warmup,
        sizes.load,
        Arc::new(|_, _| Call::get("/health/live")),
    )
    .await?;
    let path = format!("/events/{event}/exposure");
    let read = load::run(
        address,
        clients,
        200,
        sizes.warmup,
        sizes.load,
        Arc::new(move |_, _| Call::get(path.clone()).with_token(TOKEN)),
    )
    .await?;
    results.run(
        format!(
            "GET /events/{{id}}/exposure, {} bets",
            thousands(bets as usize)
        ),
        &read,
    );
    results.rows.push(
        Row::new(
            format!(
                "8 GET /events/{{id}}/exposure p99, an event with {} bets ({:.0}/s, 16 clients)",
                thousands(bets as usize),
                read.per_second
            ),
            read.p99_ms,
            "ms",
        )
        .baseline("/health/live p99", live.p99_ms)
        .goal(Goal::Below(5.0)),
    );
    Ok(())
}
