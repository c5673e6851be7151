//! The queues `definitions.json` declares are the services' own declaration, and bet-maker's
//! user, with the definitions' permissions, moves queues an older version declared otherwise.

use lapin::BasicProperties;
use lapin::options::{
    BasicGetOptions, BasicPublishOptions, ConfirmSelectOptions, QueueDeleteOptions,
};
use service_support::broker::topology::{self, Declarer};
use shared_messages::Topology;
use shared_messages::topology::QueueType;

use crate::{broker_as, broker_with, permissions, rabbitmqctl, workspace_file};

/// `definitions.json`'s exchanges, queues and bindings, in `vhost` (no users or permissions).
fn topology_definitions_in(vhost: &str) -> String {
    let definitions: serde_json::Value =
        serde_json::from_str(&workspace_file("docker/rabbitmq/definitions.json")).unwrap();
    let mut only = serde_json::json!({ "vhosts": [{ "name": vhost }] });
    for kind in ["exchanges", "queues", "bindings"] {
        let mut entries = definitions[kind].as_array().unwrap().clone();
        for entry in &mut entries {
            entry["vhost"] = vhost.into();
        }
        only[kind] = entries.into();
    }
    only.to_string()
}

async fn publish_to(channel: &lapin::Channel, exchange: &str, routing_key: &str, body: &[u8]) {
    channel
        .basic_publish(
            exchange.into(),
            routing_key.into(),
            BasicPublishOptions::default(),
            body,
            BasicProperties::default().with_delivery_mode(2),
        )
        .await
        .unwrap()
        .await
        .unwrap();
}

#[tokio::test]
async fn the_definitions_declare_the_queues_as_the_services_do_and_bet_maker_moves_old_ones() {
    let id = uuid::Uuid::new_v4().simple().to_string()[..10].to_owned();
    let vhost = format!("test-definitions-{id}");
    let bm = format!("test-bm-{id}");
    let file = std::env::temp_dir().join(format!("{vhost}.json"));
    std::fs::write(&file, topology_definitions_in(&vhost)).unwrap();
    rabbitmqctl(&["import_definitions", file.to_str().unwrap()]);
    let _ = std::fs::remove_file(&file);
    rabbitmqctl(&["add_user", &bm, &bm]);
    let [configure, write, read] = permissions("bet-maker");
    rabbitmqctl(&[
        "set_permissions",
        "-p",
        &vhost,
        &bm,
        &configure,
        &write,
        &read,
    ]);
    rabbitmqctl(&["set_permissions", "-p", &vhost, "guest", ".*", ".*", ".*"]);
    let outcome = tokio::spawn({
        let (vhost, bm) = (vhost.clone(), bm.clone());
        async move {
            let topology = Topology::default();
            // The services declare exactly what the definitions declared (RabbitMQ refuses a
            // declaration with other arguments, a number for a string included).
            let service = broker_as(&vhost, &bm).await;
            let channel = service.create_channel().await.unwrap();
            topology
                .declare(&channel)
                .await
                .expect("the services' declaration equals the definitions'");

            // The queues as an older version declared them: classic, one message in each.
            let admin = broker_with(&vhost, "guest", "guest").await;
            let channel = admin.create_channel().await.unwrap();
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await
                .unwrap();
            for queue in [&topology.queue, &topology.dead_letter_queue] {
                channel
                    .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
                    .await
                    .unwrap();
            }
            topology
                .clone()
                .with_queue_type(QueueType::Classic)
                .declare(&channel)
                .await
                .unwrap();
            publish_to(&channel, &topology.exchange, "event.created", b"waiting").await;
            publish_to(&channel, "", &topology.dead_letter_queue, b"dead").await;

            // bet-maker's user moves them, with the definitions' permissions.
            topology::declare(&service, &topology, Declarer::Consumer)
                .await
                .expect("bet-maker's user moves the queues");
            let channel = service.create_channel().await.unwrap();
            topology
                .declare(&channel)
                .await
                .expect("the queues are declared as the definitions declare them");
            for (queue, body, routing_key) in [
                (&topology.queue, &b"waiting"[..], "event.created"),
                (
                    &topology.dead_letter_queue,
                    &b"dead"[..],
                    topology.dead_letter_queue.as_str(),
                ),
            ] {
                let message = channel
                    .basic_get(queue.as_str().into(), BasicGetOptions { no_ack: true })
                    .await
                    .unwrap()
                    .unwrap_or_else(|| panic!("the message of {queue} is kept"));
                assert_eq!(message.delivery.data, body);
                assert_eq!(message.delivery.routing_key.as_str(), routing_key);
            }
        }
    })
    .await;
    rabbitmqctl(&["delete_user", &bm]);
    rabbitmqctl(&["delete_vhost", &vhost]);
    outcome.unwrap();
}
