//! bet-maker's queues declared otherwise by an older version (classic queues, before they were
//! quorum queues) are moved to this version's declaration when bet-maker starts: every message
//! waiting in the old queue is applied, every dead letter kept, and messages published during
//! the move are applied too; a move cut short is finished by the next start.
//!
//! - `upgrade.rs`: a move either way between classic and quorum queues.
//! - `interrupted.rs`: a move cut short, and one that waits for the older consumers to stop.

mod interrupted;
mod upgrade;

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use service_support::broker::queues;
use shared_messages::topology::{QueueType, declared_as};
use shared_messages::{EventChange, EventStatus, Topology};

use crate::helpers::{amqp_url, event, message};

async fn channel() -> (Connection, Channel) {
    let connection = Connection::connect(&amqp_url(), ConnectionProperties::default())
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    (connection, channel)
}

/// The queues as versions before quorum queues declared them: classic, the dead letters going
/// to the dead-letter queue (`shared-messages` pins these arguments to the old ones).
async fn declare_classic(connection: &Connection, topology: &Topology) {
    let declared = topology
        .clone()
        .with_queue_type(QueueType::Classic)
        .declare(connection)
        .await
        .unwrap();
    assert!(declared.as_asked(), "{declared:?}");
}

/// Publishes the creation of `id` to the exchange, confirmed.
async fn publish_created(channel: &Channel, topology: &Topology, id: &str) {
    let (body, properties) = message(
        EventChange::Created,
        &event(id, 1, EventStatus::New, "2.00"),
    );
    publish(
        channel,
        &topology.exchange,
        "event.created",
        &body,
        properties,
    )
    .await;
}

async fn publish(
    channel: &Channel,
    exchange: &str,
    routing_key: &str,
    body: &[u8],
    properties: BasicProperties,
) {
    channel
        .basic_publish(
            exchange.into(),
            routing_key.into(),
            BasicPublishOptions::default(),
            body,
            properties,
        )
        .await
        .unwrap()
        .await
        .unwrap();
}

/// Whether `queue` is declared as the contract says now (a quorum queue with these
/// arguments): a declaration with other arguments would be refused.
async fn declared_as_contract(connection: &Connection, topology: &Topology, queue: &str) -> bool {
    let arguments = if queue == topology.queue {
        topology.queue_arguments()
    } else {
        topology.dead_letter_queue_arguments()
    };
    declared_as(connection, queue, &arguments)
        .await
        .unwrap_or_else(|error| panic!("declaring {queue}: {error}"))
}

async fn exists(connection: &Connection, queue: &str) -> bool {
    queues::exists(connection, queue)
        .await
        .unwrap_or_else(|error| panic!("declaring {queue} passively: {error}"))
}
