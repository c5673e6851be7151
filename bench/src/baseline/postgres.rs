//! Postgres alone: pgbench running the statement bet-maker runs for a bet, and psql writing an
//! event's bets as JSON, as `GET /bets` streams them.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use integration_tests::database_url;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::load::{self, Measured};

/// A time-ordered UUID made in SQL (48 bits of milliseconds, then random bits), for rows
/// inserted as bet-maker inserts them: it makes UUIDv7 ids.
pub const TIME_ORDERED_UUID: &str = "(lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 19))::uuid";

/// The statement bet-maker runs for `POST /bet` (`bet_maker::db::PLACE_BET`), with the bet's id
/// made in SQL and the event chosen by pgbench among the betting events; anonymous, or from
/// one of the `accounts` accounts named `name` (opened by `figures::seeding`), chosen at random.
fn bet_script(accounts: Option<(&str, usize)>) -> String {
    let (choose, account) = match accounts {
        None => (String::new(), "NULL".to_owned()),
        Some((name, count)) => (
            format!("\\set a random(1, {count})\n"),
            format!("(md5('{name}-' || :a)::uuid)"),
        ),
    };
    let statement = bet_maker::db::PLACE_BET
        .replace("$1", TIME_ORDERED_UUID)
        .replace("$2", ":n")
        .replace("$3", "10.00")
        .replace("$4", "NULL")
        .replace("$5", "NULL")
        .replace("$6", "NULL")
        .replace("$7", &account);
    format!("\\set n random(1000000, 1000099)\n{choose}{statement};\n")
}

/// pgbench running the bet statement with `clients` connections: a warm-up, then `duration`
/// measured, every transaction's latency read from pgbench's per-transaction log.
pub async fn pgbench_bet(
    database: &str,
    clients: usize,
    warmup: Duration,
    duration: Duration,
    work: &Path,
) -> anyhow::Result<Measured> {
    pgbench_script(database, clients, warmup, duration, work, &bet_script(None)).await
}

/// [`pgbench_bet`] with each bet from one of the `count` accounts of `name`.
pub async fn pgbench_account_bet(
    database: &str,
    (name, count): (&str, usize),
    clients: usize,
    warmup: Duration,
    duration: Duration,
    work: &Path,
) -> anyhow::Result<Measured> {
    let script = bet_script(Some((name, count)));
    pgbench_script(database, clients, warmup, duration, work, &script).await
}

async fn pgbench_script(
    database: &str,
    clients: usize,
    warmup: Duration,
    duration: Duration,
    work: &Path,
    text: &str,
) -> anyhow::Result<Measured> {
    let script = work.join("bet.sql");
    std::fs::write(&script, text)?;
    let logs = work.join(format!("pgbench-{clients}"));
    std::fs::create_dir_all(&logs)?;
    let seconds = |d: Duration| d.as_secs().max(1).to_string();
    let run = |seconds: String, log: bool| {
        let mut command = Command::new("pgbench");
        command
            .args(["-n", "-M", "prepared", "-f"])
            .arg(&script)
            .args(["-c", &clients.to_string()])
            .args(["-j", &clients.min(2).to_string()])
            .args(["-T", &seconds]);
        if log {
            // A fifth of the transactions logged: enough for p99.9, little cost to pgbench.
            command
                .args(["-l", "--sampling-rate=0.2"])
                .arg(format!("--log-prefix={}", logs.join("tx").display()));
        }
        command.arg(database_url(database));
        command
    };
    let warm = run(seconds(warmup), false).output().await?;
    ensure!(
        warm.status.success(),
        "pgbench failed: {}",
        String::from_utf8_lossy(&warm.stderr)
    );
    let output = run(seconds(duration), true)
        .output()
        .await
        .context("pgbench (on Debian: apt-get install postgresql-contrib)")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    ensure!(
        output.status.success(),
        "pgbench failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    ensure!(
        !stdout.contains("number of failed transactions: ")
            || stdout.contains("failed transactions: 0 "),
        "pgbench transactions failed: {stdout}"
    );
    let tps: f64 = stdout
        .lines()
        .find_map(|line| {
            line.strip_prefix("tps = ")?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .with_context(|| format!("no tps in pgbench's output: {stdout}"))?;
    let mut latencies = load::histogram();
    for entry in std::fs::read_dir(&logs)? {
        let text = std::fs::read_to_string(entry?.path())?;
        for line in text.lines() {
            // client_id transaction_no time(µs) script_no time_epoch time_us
            let micros: u64 = line
                .split_whitespace()
                .nth(2)
                .and_then(|field| field.parse().ok())
                .with_context(|| format!("unreadable pgbench log line {line}"))?;
            latencies.saturating_record(micros);
        }
    }
    std::fs::remove_dir_all(&logs)?;
    let mut measured = Measured::from_histogram(clients, &latencies, duration.as_secs_f64());
    measured.per_second = tps;
    Ok(measured)
}

/// psql writing the bets of `event_id` as JSON, newest first, each with its status from its
/// event (as GET /bets does): rows and the time from start to the last row.
pub async fn psql_json(database: &str, event_id: &str) -> anyhow::Result<(u64, Duration)> {
    let query = format!(
        "COPY (SELECT row_to_json(b) FROM (SELECT b.id, b.event_id, b.amount, b.coefficient, \
         CASE e.status WHEN 'new' THEN 'pending' WHEN 'finished_win' THEN 'won' \
         WHEN 'finished_lose' THEN 'lost' END \
         AS status, b.created_at, e.settled_at FROM bets b JOIN events e ON e.id = b.event_id \
         WHERE b.event_id = '{event_id}' ORDER BY b.seq DESC) b) TO STDOUT"
    );
    let started = Instant::now();
    let mut child = Command::new("psql")
        .args(["-X", "-q", "-c", &query])
        .arg(database_url(database))
        .stdout(Stdio::piped())
        .spawn()
        .context("psql")?;
    let mut lines =
        BufReader::with_capacity(1 << 16, child.stdout.take().context("stdout")?).lines();
    let mut rows = 0_u64;
    while lines.next_line().await?.is_some() {
        rows += 1;
    }
    let status = child.wait().await?;
    let took = started.elapsed();
    ensure!(status.success(), "psql failed");
    Ok((rows, took))
}
