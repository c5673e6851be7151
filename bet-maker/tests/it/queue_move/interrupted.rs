//! A move cut short is finished at the next start, and a move waits while others consume the
//! queues, losing nothing they held.

use std::time::Duration;

use bet_maker::consumer::topology::{self, TopologyError};
use lapin::ExchangeKind;
use lapin::options::{
    BasicConsumeOptions, BasicQosOptions, ExchangeDeclareOptions, QueueBindOptions,
};
use lapin::types::FieldTable;
use shared_messages::Topology;
use shared_messages::topology::declare_queue;

use super::{channel, declare_classic, declared_as_contract, exists, publish_created};
use crate::helpers::{Options, spawn_app_with};

#[tokio::test]
async fn a_move_cut_short_is_finished_at_the_next_start() {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let topology = Topology::with_prefix(&format!("test-move-{id}"));
    let (connection, channel) = channel().await;
    // Cut short in step 1, once the old queue was emptied and deleted: the queue declared anew
    // (by line-provider, say) but not bound, its messages in the holding queue, which is still
    // bound to the exchange and to the move's exchange of copies.
    assert!(topology.declare(&connection).await.unwrap().as_asked());
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
async fn queues_are_not_moved_while_others_consume_them_and_nothing_they_held_is_lost() {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let topology = Topology::with_prefix(&format!("test-move-{id}"));
    let (connection, channel) = channel().await;
    declare_classic(&connection, &topology).await;
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
    let refused = topology::declare(&mover, &topology).await;
    assert!(
        matches!(&refused, Err(TopologyError::InUse { consumers: 1, .. })),
        "{refused:?}"
    );
    // The older bet-maker stops without acknowledging: its deliveries go back to the queue.
    old.close(200, "stopped".into()).await.unwrap();
    let mut moved = Err(TopologyError::Busy(String::new()));
    for _ in 0..50 {
        moved = topology::declare(&mover, &topology).await;
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
