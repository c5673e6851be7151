//! Each service's broker user, as `docker/rabbitmq/definitions.json` makes it, does only what
//! its service needs, and the definitions declare the topology as the services do.

use std::process::Command;

use bet_maker::consumer;
use lapin::options::{
    BasicConsumeOptions, BasicGetOptions, BasicPublishOptions, ConfirmSelectOptions,
    QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use shared_messages::Topology;
use shared_messages::topology::QueueType;

use super::workspace_file;

/// `rabbitmqctl ARGS`, which must succeed.
fn rabbitmqctl(args: &[&str]) {
    let output = Command::new("rabbitmqctl")
        .arg("-q")
        .args(args)
        .output()
        .expect(
            "this test needs rabbitmqctl (it comes with rabbitmq-server) and the broker's cookie",
        );
    assert!(
        output.status.success(),
        "rabbitmqctl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The permissions `definitions.json` gives `user`: configure, write, read.
fn permissions(user: &str) -> [String; 3] {
    let definitions: serde_json::Value =
        serde_json::from_str(&workspace_file("docker/rabbitmq/definitions.json")).unwrap();
    let entry = definitions["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["user"] == user)
        .unwrap_or_else(|| panic!("definitions.json has no permissions for {user}"));
    ["configure", "write", "read"].map(|kind| entry[kind].as_str().unwrap().to_owned())
}

/// A connection to `vhost` as `user`, whose password is its name (as the tests make them).
async fn broker_as(vhost: &str, user: &str) -> Connection {
    broker_with(vhost, user, user).await
}

async fn broker_with(vhost: &str, user: &str, password: &str) -> Connection {
    let base = integration_tests::amqp_url();
    let host = base
        .split('@')
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("127.0.0.1:5672");
    let url = format!("amqp://{user}:{password}@{host}/{vhost}");
    Connection::connect(&url, ConnectionProperties::default())
        .await
        .unwrap()
}

fn is_access_refused(error: &lapin::Error) -> bool {
    format!("{error:?}").contains("ACCESS_REFUSED") || error.to_string().contains("ACCESS_REFUSED")
}

#[tokio::test]
async fn each_service_s_broker_user_does_only_what_it_needs() {
    let id = uuid::Uuid::new_v4().simple().to_string()[..10].to_owned();
    let vhost = format!("test-privileges-{id}");
    let users = [
        ("line-provider", format!("test-lp-{id}")),
        ("bet-maker", format!("test-bm-{id}")),
    ];
    rabbitmqctl(&["add_vhost", &vhost]);
    for (service, user) in &users {
        rabbitmqctl(&["add_user", user, user]);
        let [configure, write, read] = permissions(service);
        rabbitmqctl(&[
            "set_permissions",
            "-p",
            &vhost,
            user,
            &configure,
            &write,
            &read,
        ]);
    }
    let outcome = tokio::spawn({
        let (vhost, lp, bm) = (vhost.clone(), users[0].1.clone(), users[1].1.clone());
        async move {
            let topology = Topology::default();
            // line-provider declares the whole topology and publishes to its exchange.
            let lp = broker_as(&vhost, &lp).await;
            let declared = topology
                .declare(&lp)
                .await
                .expect("line-provider declares the topology");
            assert!(declared.as_asked(), "{declared:?}");
            let channel = lp.create_channel().await.unwrap();
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await
                .unwrap();
            channel
                .basic_publish(
                    topology.exchange.as_str().into(),
                    "event.created".into(),
                    BasicPublishOptions::default(),
                    b"{}",
                    BasicProperties::default(),
                )
                .await
                .unwrap()
                .await
                .expect("line-provider publishes to line.events");
            // bet-maker declares it too and consumes its queue...
            let bm = broker_as(&vhost, &bm).await;
            let declared = topology
                .declare(&bm)
                .await
                .expect("bet-maker declares the topology");
            assert!(declared.as_asked(), "{declared:?}");
            let channel = bm.create_channel().await.unwrap();
            channel
                .basic_consume(
                    topology.queue.as_str().into(),
                    "bet-maker".into(),
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await
                .expect("bet-maker consumes its queue");
            // ... but cannot publish to line.events.
            let channel = bm.create_channel().await.unwrap();
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await
                .unwrap();
            let published = match channel
                .basic_publish(
                    topology.exchange.as_str().into(),
                    "event.finished".into(),
                    BasicPublishOptions::default(),
                    b"{}",
                    BasicProperties::default(),
                )
                .await
            {
                Ok(confirm) => confirm.await.map(|_| ()),
                Err(error) => Err(error),
            };
            let refused = published.expect_err("bet-maker may not publish to line.events");
            assert!(is_access_refused(&refused), "{refused:?}");
        }
    })
    .await;
    for (_, user) in &users {
        rabbitmqctl(&["delete_user", user]);
    }
    rabbitmqctl(&["delete_vhost", &vhost]);
    outcome.unwrap();
}

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
            let declared = topology.declare(&service).await.unwrap();
            assert!(
                declared.as_asked(),
                "the services' declaration equals the definitions': {declared:?}"
            );

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
            let classic = topology.clone().with_queue_type(QueueType::Classic);
            assert!(classic.declare(&admin).await.unwrap().as_asked());
            publish_to(&channel, &topology.exchange, "event.created", b"waiting").await;
            publish_to(&channel, "", &topology.dead_letter_queue, b"dead").await;

            // bet-maker's user moves them, with the definitions' permissions.
            consumer::topology::declare(&service, &topology)
                .await
                .expect("bet-maker's user moves the queues");
            let declared = topology.declare(&service).await.unwrap();
            assert!(
                declared.as_asked(),
                "the queues are declared as the definitions declare them: {declared:?}"
            );
            let channel = service.create_channel().await.unwrap();
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
