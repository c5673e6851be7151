//! The cluster harness on its own: three private RabbitMQ nodes ([`RabbitCluster`]), a quorum
//! queue on them, its leader killed with SIGKILL, then another node; every message the cluster
//! confirmed is still there, once.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use integration_tests::{RabbitCluster, Tally};
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicGetOptions, BasicPublishOptions,
    BasicQosOptions, ConfirmSelectOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Confirmation, Connection, ConnectionProperties};

const QUEUE: &str = "cluster-smoke";
const BATCH: usize = 1000;

#[tokio::test]
async fn a_quorum_queue_keeps_every_confirmed_message_through_two_node_kills() {
    let test_started = Instant::now();
    let mut cluster = RabbitCluster::start(3).await;
    println!("cluster of 3 nodes running in {:?}", cluster.started_in());
    assert_eq!(cluster.amqp_urls().split(',').count(), 3);
    let mut tally = Tally::new("received");
    let mut next_key = 0;

    let (_first, channel) = open(&cluster, 0).await;
    declare(&channel).await;
    publish(&cluster, 0, BATCH, &mut next_key, &mut tally).await;
    let leader = cluster.leader_of(QUEUE).await;
    println!("{QUEUE} is led by node {leader}; killing it");
    cluster.kill(leader).await;
    assert!(!cluster.is_running(leader));

    // Through a node that survives, on a new connection, as a service's supervisor would
    // open one.
    let survivor = (leader + 1) % 3;
    publish(&cluster, survivor, BATCH, &mut next_key, &mut tally).await;
    let new_leader = cluster.leader_of(QUEUE).await;
    assert_ne!(new_leader, leader, "a surviving member took the lead");

    let restarted = Instant::now();
    cluster.restart(leader).await;
    println!(
        "node {leader} back and caught up in {:?}",
        restarted.elapsed()
    );
    // Another node: the one that leads now (never the restarted one, a follower on return).
    let other = match cluster.leader_of(QUEUE).await {
        now if now != leader => now,
        _ => new_leader,
    };
    println!("killing node {other}");
    cluster.kill(other).await;

    // Everything back from the restarted node, one of the two left.
    let (_third, channel) = open(&cluster, leader).await;
    let expected = tally.confirmed_count();
    consume(&channel, expected, &mut tally).await;
    println!("{tally}");
    println!("smoke test done in {:?}", test_started.elapsed());
    assert_eq!(tally.confirmed_count(), 2 * BATCH, "{tally}");
    tally.assert_valid();
}

/// A connection to node `i` and a channel with publisher confirms.
async fn open(cluster: &RabbitCluster, i: usize) -> (Connection, Channel) {
    let connection = Connection::connect(&cluster.amqp_url(i), ConnectionProperties::default())
        .await
        .unwrap_or_else(|e| panic!("node {i} takes a connection: {e}"));
    let channel = connection.create_channel().await.unwrap();
    channel
        .confirm_select(ConfirmSelectOptions { nowait: false })
        .await
        .unwrap();
    (connection, channel)
}

/// The durable quorum queue, declared on node 0, with a member on every node.
async fn declare(channel: &Channel) {
    let mut arguments = FieldTable::default();
    arguments.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    channel
        .queue_declare(
            QUEUE.into(),
            QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            },
            arguments,
        )
        .await
        .unwrap();
}

/// Publishes `count` messages (persistent, through the default exchange) through node `i`
/// and waits for their confirms. What the broker refuses (a nack, or a publish lost with its
/// connection) is sent again under a new key on a new connection, as line-provider's relay
/// does, until the broker confirmed `count`: a channel that first published to the queue while
/// its leader was just gone is nacked for good (RabbitMQ 3.10), a new one is not. Each key is
/// one publish, so the tally tells a duplicate from a retry.
async fn publish(
    cluster: &RabbitCluster,
    i: usize,
    count: usize,
    next_key: &mut u64,
    tally: &mut Tally<u64>,
) {
    let mut pending = count;
    for round in 0.. {
        let (_connection, channel) = open(cluster, i).await;
        let mut confirms = Vec::new();
        for _ in 0..pending {
            let key = *next_key;
            *next_key += 1;
            tally.sent(key);
            let published = channel
                .basic_publish(
                    "".into(),
                    QUEUE.into(),
                    BasicPublishOptions::default(),
                    key.to_string().as_bytes(),
                    BasicProperties::default()
                        .with_delivery_mode(2)
                        .with_message_id(key.to_string().into()),
                )
                .await;
            confirms.push(published);
        }
        let mut refused = BTreeMap::<String, usize>::new();
        for (key, confirm) in (*next_key - pending as u64..).zip(confirms) {
            let outcome = match confirm {
                Ok(confirm) => confirm.await,
                Err(error) => Err(error),
            };
            match outcome {
                Ok(Confirmation::Ack(None)) => tally.confirmed(key),
                Ok(other) => *refused.entry(format!("{other:?}")).or_default() += 1,
                Err(error) => *refused.entry(error.to_string()).or_default() += 1,
            }
        }
        pending = refused.values().sum();
        if pending == 0 {
            return;
        }
        println!("round {round} through node {i}: not confirmed {refused:?}; sending again");
        assert!(round < 50, "the cluster never confirms: {tally}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Consumes until `expected` distinct messages arrived (or nothing came for 10 s), acking
/// each, then takes whatever is left with `basic.get` until the queue is empty.
async fn consume(channel: &Channel, expected: usize, tally: &mut Tally<u64>) {
    channel
        .basic_qos(500, BasicQosOptions { global: false })
        .await
        .unwrap();
    let mut consumer = channel
        .basic_consume(
            QUEUE.into(),
            "cluster-smoke".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    while tally.received_count() < expected {
        let Ok(Some(delivery)) =
            tokio::time::timeout(Duration::from_secs(10), consumer.next()).await
        else {
            break;
        };
        let delivery = delivery.unwrap();
        tally.received(key_of(&delivery.data));
        delivery.ack(BasicAckOptions::default()).await.unwrap();
    }
    channel
        .basic_cancel("cluster-smoke".into(), BasicCancelOptions::default())
        .await
        .unwrap();
    while let Some(message) = channel
        .basic_get(QUEUE.into(), BasicGetOptions { no_ack: true })
        .await
        .unwrap()
    {
        tally.received(key_of(&message.delivery.data));
    }
}

fn key_of(body: &[u8]) -> u64 {
    std::str::from_utf8(body).unwrap().parse().unwrap()
}
