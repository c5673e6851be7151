//! RabbitMQ alone: messages of line-provider's size, persistent, to a durable queue of the
//! system's queue type, with publisher confirms, to a consumer that acknowledges.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{FutureExt, StreamExt};
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, Consumer};

use crate::load::{self, Measured};
use crate::system::System;

/// What line-provider publishes, in size and shape: a compact `event.created` body.
const MESSAGE: &[u8] = br#"{"message_id":"0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b","occurred_at":"2026-11-24T12:00:00Z","event":{"id":"flow-1234","coefficient":1.85,"deadline":"2026-11-24T18:00:00Z","status":"new","version":1,"created_at":"2026-11-24T12:00:00Z","updated_at":"2026-11-24T12:00:00Z"}}"#;

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
