//! A move either way: classic queues of an older version into quorum ones while line-provider
//! publishes on, and quorum queues into classic ones when the service is told so.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lapin::BasicProperties;
use lapin::options::BasicGetOptions;
use shared_messages::Topology;
use shared_messages::topology::QueueType;

use super::{channel, declare_classic, declared_as_contract, exists, publish, publish_created};
use crate::helpers::{Options, spawn_app_with};

/// How many messages wait in the old queue.
const WAITING: usize = 300;

#[tokio::test]
async fn classic_queues_of_an_older_version_become_quorum_queues_without_losing_a_message() {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let topology = Topology::with_prefix(&format!("test-move-{id}"));
    let (connection, channel) = channel().await;
    declare_classic(&connection, &topology).await;
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
async fn quorum_queues_become_classic_ones_when_the_service_is_told_to_use_classic_queues() {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let quorum = Topology::with_prefix(&format!("test-move-{id}"));
    let (connection, channel) = channel().await;
    assert!(quorum.declare(&connection).await.unwrap().as_asked());
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
