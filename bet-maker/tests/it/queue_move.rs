//! bet-maker's queues declared otherwise by an older version (classic queues, before they were
//! quorum queues) are moved to this version's declaration when bet-maker starts: every message
//! waiting in the old queue is applied, every dead letter kept, and messages published during
//! the move are applied too; a move cut short is finished by the next start.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lapin::options::{
    BasicConsumeOptions, BasicGetOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::protocol::{AMQPErrorKind, AMQPSoftError};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ErrorKind, ExchangeKind};
use shared_messages::topology::QueueType;
use shared_messages::topology::declare_queue;
use shared_messages::{EventChange, EventStatus, Topology};

use crate::helpers::{Options, amqp_url, event, message, spawn_app_with};

/// How many messages wait in the old queue.
const WAITING: usize = 300;

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
async fn declare_classic(channel: &Channel, topology: &Topology) {
    topology
        .clone()
        .with_queue_type(QueueType::Classic)
        .declare(channel)
        .await
        .unwrap();
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

fn refused_with(error: &lapin::Error, kind: AMQPSoftError) -> bool {
    matches!(error.kind(), ErrorKind::ProtocolError(amqp)
        if *amqp.kind() == AMQPErrorKind::Soft(kind))
}

/// Whether `queue` is declared as the contract says now (a quorum queue with these
/// arguments): a declaration with other arguments would be refused.
async fn declared_as_contract(connection: &Connection, topology: &Topology, queue: &str) -> bool {
    let channel = connection.create_channel().await.unwrap();
    let result = if queue == topology.queue {
        declare_queue(&channel, queue, &topology.queue_arguments()).await
    } else {
        declare_queue(&channel, queue, &topology.dead_letter_queue_arguments()).await
    };
    match result {
        Ok(()) => true,
        Err(error) if refused_with(&error, AMQPSoftError::PRECONDITIONFAILED) => false,
        Err(error) => panic!("declaring {queue}: {error}"),
    }
}

async fn exists(connection: &Connection, queue: &str) -> bool {
    let channel = connection.create_channel().await.unwrap();
    let passive = QueueDeclareOptions {
        passive: true,
        ..QueueDeclareOptions::default()
    };
    match channel
        .queue_declare(queue.into(), passive, FieldTable::default())
        .await
    {
        Ok(_) => true,
        Err(error) if refused_with(&error, AMQPSoftError::NOTFOUND) => false,
        Err(error) => panic!("declaring {queue} passively: {error}"),
    }
}

#[tokio::test]
async fn classic_queues_of_an_older_version_become_quorum_queues_without_losing_a_message() {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let topology = Topology::with_prefix(&format!("test-move-{id}"));
    let (connection, channel) = channel().await;
    declare_classic(&channel, &topology).await;
    assert!(!declared_as_contract(&connection, &topology, &topology.queue).await);
    for n in 0..WAITING {
        publish_created(&channel, &topology, &format!("waiting-{n}")).await;
    }
    let dead_letter = b"a message an older bet-maker could not apply";
    publish(
        &channel,
        "",
        &topology.dead_letter_queue,
        dead_letter,
        BasicProperties::default().with_delivery_mode(2),
    )
    .await;

    // line-provider goes on publishing while bet-maker starts and moves the queues, and until
    // bet-maker is ready (it is once the move is over); each publish notes whether a move was
    // under way (the holding queue existed).
    let stop = Arc::new(AtomicBool::new(false));
    let publishing = tokio::spawn({
        let (topology, channel, stop) = (topology.clone(), channel.clone(), stop.clone());
        async move {
            let (watching, _) = self::channel().await;
            let holding = format!("{}.moving", topology.queue);
            let (mut published, mut while_moving) = (0, 0);
            while !stop.load(Ordering::SeqCst) {
                let moving = exists(&watching, &holding).await;
                publish_created(&channel, &topology, &format!("during-{published}")).await;
                published += 1;
                while_moving += usize::from(moving);
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            (published, while_moving)
        }
    });
    let app = spawn_app_with(Options {
        topology: Some(topology.clone()),
        ..Options::default()
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    let (published, while_moving) = publishing.await.unwrap();
    assert!(while_moving > 0, "no publish while the queues moved");

    app.wait_until("every waiting and every new event is applied", || async {
        app.open_event_ids().await.len() == WAITING + published
    })
    .await;
    let ids = app.open_event_ids().await;
    for n in 0..WAITING {
        assert!(ids.contains(&format!("waiting-{n}")), "waiting-{n} is lost");
    }
    for n in 0..published {
        assert!(ids.contains(&format!("during-{n}")), "during-{n} is lost");
    }
    assert!(declared_as_contract(&connection, &topology, &topology.queue).await);
    assert!(declared_as_contract(&connection, &topology, &topology.dead_letter_queue).await);
    for holding in [&topology.queue, &topology.dead_letter_queue] {
        assert!(!exists(&connection, &format!("{holding}.moving")).await);
    }
    let kept = channel
        .basic_get(
            topology.dead_letter_queue.as_str().into(),
            BasicGetOptions { no_ack: true },
        )
        .await
        .unwrap()
        .expect("the dead letter is kept");
    assert_eq!(kept.delivery.data, dead_letter);
    assert_eq!(
        app.metric("bet_maker_messages_dead_lettered_total").await,
        Some(0.0)
    );

    // The moved queue dead-letters as declared: a message bet-maker cannot apply reaches the
    // dead-letter queue.
    publish(
        &channel,
        &topology.exchange,
        "event.created",
        b"not json",
        BasicProperties::default().with_delivery_mode(2),
    )
    .await;
    let dead = app.next_dead_letter().await;
    assert_eq!(dead.delivery.data, b"not json");
}

#[tokio::test]
async fn a_move_cut_short_is_finished_at_the_next_start() {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let topology = Topology::with_prefix(&format!("test-move-{id}"));
    let (connection, channel) = channel().await;
    // Cut short in step 1, once the old queue was emptied and deleted: the queue declared anew
    // (by line-provider, say) but not bound, its messages in the holding queue, which is still
    // bound to the exchange and to the move's exchange of copies.
    topology.declare(&channel).await.unwrap();
    let holding = format!("{}.moving", topology.queue);
    declare_queue(&channel, &holding, &topology.type_arguments())
        .await
        .unwrap();
    let copies = format!("{}.moving.copies", topology.queue);
    channel
        .exchange_declare(
            copies.as_str().into(),
            ExchangeKind::Fanout,
            ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    channel
        .queue_bind(
            holding.as_str().into(),
            copies.as_str().into(),
            "".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    channel
        .queue_bind(
            holding.as_str().into(),
            topology.exchange.as_str().into(),
            "event.#".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    topology.unbind(&channel, &topology.queue).await.unwrap();
    for n in 0..50 {
        publish_created(&channel, &topology, &format!("held-{n}")).await;
    }

    let app = spawn_app_with(Options {
        topology: Some(topology.clone()),
        ..Options::default()
    })
    .await;
    app.wait_until("every held event is applied", || async {
        app.open_event_ids().await.len() == 50
    })
    .await;
    assert!(!exists(&connection, &holding).await);
    // And the queue is bound again: a new event reaches bet-maker.
    publish_created(&channel, &topology, "after").await;
    app.wait_for_open_event("after").await;
}

#[tokio::test]
async fn quorum_queues_become_classic_ones_when_the_service_is_told_to_use_classic_queues() {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let quorum = Topology::with_prefix(&format!("test-move-{id}"));
    let (connection, channel) = channel().await;
    quorum.declare(&channel).await.unwrap();
    for n in 0..50 {
        publish_created(&channel, &quorum, &format!("waiting-{n}")).await;
    }
    let classic = quorum.clone().with_queue_type(QueueType::Classic);
    let app = spawn_app_with(Options {
        topology: Some(classic.clone()),
        ..Options::default()
    })
    .await;
    app.wait_until("every waiting event is applied", || async {
        app.open_event_ids().await.len() == 50
    })
    .await;
    for queue in [&classic.queue, &classic.dead_letter_queue] {
        assert!(declared_as_contract(&connection, &classic, queue).await);
        assert!(!declared_as_contract(&connection, &quorum, queue).await);
        assert!(!exists(&connection, &format!("{queue}.moving")).await);
    }
    publish_created(&channel, &quorum, "after").await;
    app.wait_for_open_event("after").await;
}

#[tokio::test]
async fn queues_are_not_moved_while_others_consume_them_and_nothing_they_held_is_lost() {
    use service_support::broker::topology::{self, Declarer, TopologyError};

    let id = uuid::Uuid::new_v4().simple().to_string();
    let topology = Topology::with_prefix(&format!("test-move-{id}"));
    let (connection, channel) = channel().await;
    declare_classic(&channel, &topology).await;
    for n in 0..50 {
        publish_created(&channel, &topology, &format!("held-{n}")).await;
    }
    // A bet-maker of the older version consumes the old queue and holds 20 deliveries.
    let (old, consuming) = self::channel().await;
    consuming
        .basic_qos(20, BasicQosOptions::default())
        .await
        .unwrap();
    let mut deliveries = consuming
        .basic_consume(
            topology.queue.as_str().into(),
            "older-bet-maker".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    for _ in 0..20 {
        futures_util::StreamExt::next(&mut deliveries)
            .await
            .unwrap()
            .unwrap();
    }

    let (mover, _) = self::channel().await;
    let refused = topology::declare(&mover, &topology, Declarer::Consumer).await;
    assert!(
        matches!(&refused, Err(TopologyError::InUse { consumers: 1, .. })),
        "{refused:?}"
    );
    // The older bet-maker stops without acknowledging: its deliveries go back to the queue.
    old.close(200, "stopped".into()).await.unwrap();
    let mut moved = Err(TopologyError::Busy(String::new()));
    for _ in 0..50 {
        moved = topology::declare(&mover, &topology, Declarer::Consumer).await;
        if moved.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    moved.expect("the move, once the older bet-maker is gone");
    assert!(declared_as_contract(&connection, &topology, &topology.queue).await);
    let app = spawn_app_with(Options {
        topology: Some(topology.clone()),
        ..Options::default()
    })
    .await;
    app.wait_until("every message, those held included, is applied", || async {
        app.open_event_ids().await.len() == 50
    })
    .await;
}
