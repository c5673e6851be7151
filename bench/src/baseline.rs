//! The baselines: what Postgres and RabbitMQ do alone, measured with their own tools or with
//! the least code that does the same work, in the same run as the figures.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use futures_util::{FutureExt, StreamExt};
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, Consumer};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::load::{self, Measured};
use integration_tests::database_url;

use crate::system::System;

/// A time-ordered UUID made in SQL (48 bits of milliseconds, then random bits), for rows
/// inserted as bet-maker inserts them: it makes UUIDv7 ids.
pub const TIME_ORDERED_UUID: &str = "(lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 19))::uuid";

/// What line-provider publishes, in size and shape: a compact `event.created` body.
const MESSAGE: &[u8] = br#"{"message_id":"0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b","occurred_at":"2026-11-24T12:00:00Z","event":{"id":"flow-1234","coefficient":1.85,"deadline":"2026-11-24T18:00:00Z","status":"new","version":1,"created_at":"2026-11-24T12:00:00Z","updated_at":"2026-11-24T12:00:00Z"}}"#;

/// The statement bet-maker runs for `POST /bet` (db/bets.rs, `place_bet`), with the bet's id
/// made in SQL and the event chosen by pgbench among the betting events.
fn bet_script() -> String {
    let statement = bet_maker::db::PLACE_BET
        .replace("$1", TIME_ORDERED_UUID)
        .replace("$2", ":n")
        .replace("$3", "10.00")
        .replace("$4", "NULL")
        .replace("$5", "NULL")
        .replace("$6", "NULL");
    format!("\\set n random(1000000, 1000099)\n{statement};\n")
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
    let script = work.join("bet.sql");
    std::fs::write(&script, bet_script())?;
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

async fn broker_channels(
    system: &System,
    name: &str,
) -> anyhow::Result<(Connection, Channel, Connection, Consumer)> {
    let url = integration_tests::amqp_url();
    let publisher = Connection::connect(&url, ConnectionProperties::default()).await?;
    let channel = publisher.create_channel().await?;
    channel
        .confirm_select(ConfirmSelectOptions { nowait: false })
        .await?;
    let queue = format!("{}.{name}", system.prefix);
    // Of the type bet-maker's queue has in this system (its arguments are the type alone).
    channel
        .queue_declare(
            queue.as_str().into(),
            QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            },
            shared_messages::topology::field_table(&system.topology.type_arguments()),
        )
        .await?;
    let subscriber = Connection::connect(&url, ConnectionProperties::default()).await?;
    let consuming = subscriber.create_channel().await?;
    consuming.basic_qos(64, BasicQosOptions::default()).await?;
    let consumer = consuming
        .basic_consume(
            queue.as_str().into(),
            "bench".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    Ok((publisher, channel, subscriber, consumer))
}

async fn remove_queue(channel: &Channel, system: &System, name: &str) {
    let queue = format!("{}.{name}", system.prefix);
    let _ = channel
        .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
        .await;
}

fn persistent() -> BasicProperties {
    BasicProperties::default()
        .with_delivery_mode(2)
        .with_content_type("application/json".into())
}

/// The broker alone moving one message at a time: persistent, to a durable queue, publisher
/// confirms on, consumer acknowledging; publish → delivery latency.
pub async fn broker_latency(system: &System, messages: usize) -> anyhow::Result<Measured> {
    let (publisher, channel, subscriber, mut consumer) =
        broker_channels(system, "baseline-latency").await?;
    let queue = format!("{}.baseline-latency", system.prefix);
    let mut latencies = load::histogram();
    for _ in 0..messages {
        let started = Instant::now();
        let confirm = channel
            .basic_publish(
                "".into(),
                queue.as_str().into(),
                BasicPublishOptions::default(),
                MESSAGE,
                persistent(),
            )
            .await?;
        let delivery = tokio::time::timeout(Duration::from_secs(10), consumer.next())
            .await
            .context("no delivery within 10 s")?
            .context("consumer closed")??;
        latencies.saturating_record(started.elapsed().as_micros() as u64);
        delivery.ack(BasicAckOptions::default()).await?;
        confirm.await?;
    }
    remove_queue(&channel, system, "baseline-latency").await;
    let _ = publisher.close(200, "done".into()).await;
    let _ = subscriber.close(200, "done".into()).await;
    Ok(Measured::from_histogram(1, &latencies, 1.0))
}

/// How the broker-alone baseline's consumer acknowledges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acks {
    /// As bet-maker's consumer does: each delivery with every other one already at hand,
    /// acknowledged together with one `multiple` ack.
    AsBetMaker,
    /// Each delivery with an ack of its own, awaited before the next (figure 4's baseline
    /// before 2026-12-04).
    EachMessage,
}

/// The broker alone moving `messages` messages as line-provider's relay publishes them
/// (batches of 500, each queued on the channel at once, then its confirms awaited) to a
/// consumer with a prefetch of 64 acknowledging as `acks` says: messages per second.
pub async fn broker_throughput(system: &System, messages: u64, acks: Acks) -> anyhow::Result<f64> {
    let (publisher, channel, subscriber, mut consumer) =
        broker_channels(system, "baseline-throughput").await?;
    let queue = format!("{}.baseline-throughput", system.prefix);
    let started = Instant::now();
    let consuming = tokio::spawn(async move {
        let mut received = 0;
        while received < messages {
            let mut last = tokio::time::timeout(Duration::from_secs(30), consumer.next())
                .await
                .context("no delivery within 30 s")?
                .context("consumer closed")??;
            received += 1;
            if acks == Acks::EachMessage {
                last.ack(BasicAckOptions::default()).await?;
                continue;
            }
            while received < messages
                && let Some(Some(delivery)) = consumer.next().now_or_never()
            {
                last = delivery?;
                received += 1;
            }
            last.ack(BasicAckOptions { multiple: true }).await?;
        }
        anyhow::Ok(())
    });
    let mut sent = 0;
    while sent < messages {
        let batch = (messages - sent).min(500);
        let sends = (0..batch).map(|_| {
            channel.basic_publish(
                "".into(),
                queue.as_str().into(),
                BasicPublishOptions::default(),
                MESSAGE,
                persistent(),
            )
        });
        let confirms = futures_util::future::try_join_all(sends).await?;
        for confirm in confirms {
            if !confirm.await?.is_ack() {
                bail!("the broker refused a message");
            }
        }
        sent += batch;
    }
    consuming.await??;
    let rate = messages as f64 / started.elapsed().as_secs_f64();
    remove_queue(&channel, system, "baseline-throughput").await;
    let _ = publisher.close(200, "done".into()).await;
    let _ = subscriber.close(200, "done".into()).await;
    Ok(rate)
}
