//! Figure 5: finishing an event with n bets, and correcting its result. A finish is one row's
//! change in bet-maker whatever n, so its figures are compared with an event of one bet
//! finished a moment later in the same run, and with POST /bet on other events before the
//! finish; a correction, with the finish of the same event.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use serde_json::json;

use super::{Results, bet_call, contains, poll_until, thousands, wait_count};
use crate::baseline::TIME_ORDERED_UUID;
use crate::load::{self, Call, Connection};
use crate::report::{Goal, Row};
use crate::sizes::Sizes;
use crate::system::{System, TOKEN, finish_call, unix_seconds};

/// How long after the big finish the next changes are made (the time a user would look).
const AFTER_THE_FINISH: Duration = Duration::from_millis(200);
/// Corrections of the big event, alternating its result, for a p99 of how fast bets follow.
const CORRECTIONS: usize = 100;

/// What one finish of n bets measured.
struct Finish {
    /// The finish's 200 → a bet of it reads `won`.
    settled: Duration,
    /// A new event created [`AFTER_THE_FINISH`] → listed in bet-maker's `GET /events`.
    listed: Duration,
    /// Another event (one bet) finished right after → its bet reads `lost`.
    other_settled: Duration,
}

/// Finishes events of `sizes.settlements` bets each while 8 clients bet on other events.
/// Returns the largest event (figure 6 streams its bets).
pub async fn settlement(
    system: &System,
    sizes: &Sizes,
    results: &mut Results,
) -> anyhow::Result<String> {
    let quiet = load::run(
        system.bet_maker_address,
        8,
        201,
        sizes.warmup,
        sizes.load / 2,
        Arc::new(bet_call),
    )
    .await?;
    results.run("POST /bet, 8 clients, quiet", &quiet);
    let mut largest = String::new();
    for &n in &sizes.settlements {
        let big = format!("settle-{n}");
        let other = format!("other-{n}");
        let fresh = format!("fresh-{n}");
        let other_bet = prepare(system, &big, &other, n).await?;
        let sample: uuid::Uuid = system
            .bet_maker_db
            .query_one("SELECT id FROM bets WHERE event_id = $1 LIMIT 1", &[&big])
            .await?
            .get(0);

        let mut load =
            load::Load::start(system.bet_maker_address, 8, 201, Arc::new(bet_call)).await?;
        tokio::time::sleep(sizes.warmup).await;
        load.measure();
        let finish = finish(system, &big, sample, &fresh, &other, &other_bet).await?;
        // The load goes on as long again, so that anything the finish set off is measured.
        tokio::time::sleep(sizes.warmup).await;
        let during = load.finish().await?;
        results.run(format!("POST /bet, 8 clients, finishing {n}"), &during);
        let won = system
            .bet_maker_count(&format!(
                "SELECT count(*) FROM bets b JOIN events e ON e.id = b.event_id
                 WHERE b.event_id = '{big}' AND e.status = 'finished_win'"
            ))
            .await?;
        ensure!(won == n as i64, "{won} of {n} bets won");
        let mut corrected = corrections(system, &big, sample).await?;
        corrected.sort();
        let p99 = corrected[(corrected.len() * 99).div_ceil(100) - 1];
        let p50 = corrected[corrected.len().div_ceil(2) - 1];

        let largest_size = Some(&n) == sizes.settlements.last();
        let goal = |row: Row, goal: Goal| if largest_size { row.goal(goal) } else { row };
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let other_ms = ms(finish.other_settled);
        results.rows.push(goal(
            Row::new(
                format!("5 finish {} bets: 200 → a bet of it won", thousands(n)),
                ms(finish.settled),
                "ms",
            )
            .baseline("1-bet event finished after", other_ms),
            Goal::Below(50.0),
        ));
        results.rows.push(goal(
            Row::new(
                format!(
                    "5 … new event created {} ms later: 201 → listed",
                    AFTER_THE_FINISH.as_millis()
                ),
                ms(finish.listed),
                "ms",
            ),
            Goal::Below(50.0),
        ));
        results.rows.push(goal(
            Row::new(
                "5 … 1-bet event finished then: 200 → its bet lost",
                other_ms,
                "ms",
            ),
            Goal::Below(50.0),
        ));
        results.rows.push(goal(
            Row::new(
                format!(
                    "5 POST /bet p99 on other events meanwhile ({} finishing)",
                    thousands(n)
                ),
                during.p99_ms,
                "ms",
            )
            .baseline("quiet p99", quiet.p99_ms)
            .details(json!({ "during": during, "quiet": quiet })),
            Goal::RatioAtMost(1.2),
        ));
        results.rows.push(goal(
            Row::new(
                format!(
                    "5 correct {} bets' result, {CORRECTIONS} times: 200 → a bet of it follows: p99 (p50 {:.2})",
                    thousands(n),
                    ms(p50)
                ),
                ms(p99),
                "ms",
            )
            .baseline("its finish", ms(finish.settled)),
            Goal::Below(50.0),
        ));
        largest = big;
    }
    Ok(largest)
}

/// Corrects the finished `big` [`CORRECTIONS`] times, to lost and back to won, each time
/// waiting for `sample` to read the new status; returns how long each took from the 200.
async fn corrections(
    system: &System,
    big: &str,
    sample: uuid::Uuid,
) -> anyhow::Result<Vec<Duration>> {
    let mut line_provider = Connection::open(system.line_provider_address).await?;
    let mut poll = Connection::open(system.bet_maker_address).await?;
    let mut took = Vec::with_capacity(CORRECTIONS);
    for round in 0..CORRECTIONS {
        let (status, bet_status): (&str, &[u8]) = if round % 2 == 0 {
            ("finished_lose", br#""status":"lost""#)
        } else {
            ("finished_win", br#""status":"won""#)
        };
        let correct = Call::post(
            format!("/events/{big}/corrections"),
            format!(r#"{{"status":"{status}","reason":"benchmark round {round}"}}"#),
        )
        .with_token(TOKEN);
        let (answer, _) = line_provider.send(&correct).await?;
        ensure!(answer == 200, "correcting {big} answered {answer}");
        let corrected = Instant::now();
        poll_until(
            &mut poll,
            &Call::get(format!("/bets/{sample}")),
            corrected,
            |body| contains(body, bet_status),
        )
        .await
        .with_context(|| format!("{big}'s bets never followed correction {round}"))?;
        took.push(corrected.elapsed());
    }
    Ok(took)
}

/// Creates `big` with `n` bets (inserted as POST /bet inserts them, tally included) and
/// `other` with one bet placed through the API; returns that bet's id.
async fn prepare(system: &System, big: &str, other: &str, n: usize) -> anyhow::Result<String> {
    let db = &system.bet_maker_db;
    system
        .create_events(&[big.to_owned(), other.to_owned()], 1)
        .await?;
    wait_count(
        system,
        &format!("SELECT count(*) FROM events WHERE id IN ('{big}', '{other}')"),
        2,
    )
    .await?;
    let mut bet_maker = Connection::open(system.bet_maker_address).await?;
    let (status, body) = bet_maker
        .send(&Call::post(
            "/bet",
            format!(r#"{{"event_id":"{other}","amount":5.00}}"#),
        ))
        .await?;
    ensure!(status == 201, "betting on {other} answered {status}");
    let bet: serde_json::Value = serde_json::from_slice(&body)?;
    let bet_id = bet["id"].as_str().context("a bet id")?.to_owned();
    db.execute(
        &format!(
            "INSERT INTO bets (id, event_id, amount, coefficient)
             SELECT {TIME_ORDERED_UUID}, $1, 10.00, 1.85 FROM generate_series(1, $2::bigint)"
        ),
        &[&big, &(n as i64)],
    )
    .await?;
    db.execute(
        "INSERT INTO event_tallies (event_id, stripe, bets, stake, payout)
         VALUES ($1, 0, $2::bigint, 10.00 * $2::bigint, 18.50 * $2::bigint)",
        &[&big, &(n as i64)],
    )
    .await?;
    db.batch_execute("VACUUM ANALYZE bets").await?;
    db.batch_execute("CHECKPOINT").await?;
    Ok(bet_id)
}

/// Finishes `big` and waits for `sample` to read `won`; [`AFTER_THE_FINISH`] after the finish,
/// creates `fresh` and waits for it to be listed, then finishes `other` and waits for its bet.
async fn finish(
    system: &System,
    big: &str,
    sample: uuid::Uuid,
    fresh: &str,
    other: &str,
    other_bet: &str,
) -> anyhow::Result<Finish> {
    let mut line_provider = Connection::open(system.line_provider_address).await?;
    let mut poll = Connection::open(system.bet_maker_address).await?;
    let (status, _) = line_provider.send(&finish_call(big, true)).await?;
    ensure!(status == 200, "finishing {big} answered {status}");
    let finished = Instant::now();
    poll_until(
        &mut poll,
        &Call::get(format!("/bets/{sample}")),
        finished,
        |body| contains(body, br#""status":"won""#),
    )
    .await
    .with_context(|| format!("{big} never settled"))?;
    let settled = finished.elapsed();

    tokio::time::sleep(AFTER_THE_FINISH.saturating_sub(finished.elapsed())).await;
    let deadline = unix_seconds() + 3600;
    let create = Call::post(
        "/events",
        format!(r#"{{"id":"{fresh}","coefficient":"2.10","deadline":{deadline}}}"#),
    )
    .with_token(TOKEN);
    let (status, _) = line_provider.send(&create).await?;
    ensure!(status == 201, "creating {fresh} answered {status}");
    let created = Instant::now();
    let needle = format!(r#""id":"{fresh}""#);
    poll_until(&mut poll, &Call::get("/events"), created, |body| {
        contains(body, needle.as_bytes())
    })
    .await
    .with_context(|| format!("{fresh} never listed"))?;
    let listed = created.elapsed();

    let (status, _) = line_provider.send(&finish_call(other, false)).await?;
    ensure!(status == 200, "finishing {other} answered {status}");
    let other_finished = Instant::now();
    poll_until(
        &mut poll,
        &Call::get(format!("/bets/{other_bet}")),
        other_finished,
        |body| contains(body, br#""status":"lost""#),
    )
    .await
    .with_context(|| format!("the bet on {other} never settled"))?;
    Ok(Finish {
        settled,
        listed,
        other_settled: other_finished.elapsed(),
    })
}
