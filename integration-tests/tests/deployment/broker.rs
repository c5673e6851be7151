//! RabbitMQ's definitions against the contract's topology and the services' broker users, and
//! the image compose runs.

use std::collections::BTreeSet;

use serde_json::Value;
use shared_messages::Topology;
use shared_messages::topology::{ArgumentValue, BINDING_KEY};

use crate::{cluster_nodes, compose, definitions, effective, environment, read, services};

#[test]
fn the_definitions_declare_the_topology_of_the_contract_exactly() {
    let topology = Topology::default();
    let definitions = definitions();
    let exchanges = definitions["exchanges"].as_array().unwrap();
    assert_eq!(exchanges.len(), 1);
    assert_eq!(exchanges[0]["name"], topology.exchange.as_str());
    assert_eq!(exchanges[0]["type"], "topic");
    assert_eq!(exchanges[0]["durable"], true);
    assert_eq!(exchanges[0]["auto_delete"], false);
    assert_eq!(exchanges[0]["internal"], false);

    let queues = definitions["queues"].as_array().unwrap();
    let names: BTreeSet<_> = queues.iter().map(|q| q["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        BTreeSet::from([topology.queue.as_str(), topology.dead_letter_queue.as_str()])
    );
    for queue in queues {
        assert_eq!(queue["durable"], true);
        assert_eq!(queue["auto_delete"], false);
        let arguments = if queue["name"] == topology.queue.as_str() {
            topology.queue_arguments().to_vec()
        } else {
            topology.dead_letter_queue_arguments().to_vec()
        };
        let expected: serde_json::Map<String, Value> = arguments
            .iter()
            .map(|(key, value)| {
                let value = match value {
                    ArgumentValue::Text(text) => Value::from(*text),
                    ArgumentValue::Integer(number) => Value::from(*number),
                };
                ((*key).to_owned(), value)
            })
            .collect();
        assert_eq!(
            queue["arguments"].as_object().unwrap(),
            &expected,
            "arguments of {}",
            queue["name"]
        );
    }

    let bindings = definitions["bindings"].as_array().unwrap();
    assert_eq!(bindings.len(), 1);
    assert_eq!(bindings[0]["source"], topology.exchange.as_str());
    assert_eq!(bindings[0]["destination"], topology.queue.as_str());
    assert_eq!(bindings[0]["routing_key"], BINDING_KEY);
}

#[test]
fn the_services_log_in_to_rabbitmq_as_a_user_of_the_definitions() {
    let definitions = definitions();
    let users: Vec<_> = definitions["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    for (service, _, _) in services() {
        let url = environment(service)["AMQP_URL"]
            .as_str()
            .unwrap()
            .to_owned();
        let user = url
            .trim_start_matches("amqp://")
            .split(':')
            .next()
            .unwrap()
            .to_owned();
        assert!(
            users.contains(&user.as_str()),
            "{service} logs in as {user}, not in {users:?}"
        );
        let permitted = definitions["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["user"] == user.as_str());
        assert!(permitted, "{user} has permissions");
        assert!(
            !users_with_tag(&definitions, "administrator").contains(&user),
            "{service} logs in as an administrator ({user})"
        );
    }
    let mut service_users: Vec<String> = services()
        .iter()
        .map(|(service, _, _)| {
            let url = environment(service)["AMQP_URL"]
                .as_str()
                .unwrap()
                .to_owned();
            url.trim_start_matches("amqp://")
                .split(':')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    service_users.dedup();
    assert_eq!(service_users.len(), 2, "one broker user per service");
    let conf = read("docker/rabbitmq/rabbitmq.conf");
    assert!(conf.contains("load_definitions = /etc/rabbitmq/definitions.json"));
    let mounts = compose()["services"]["rabbitmq"]["volumes"].to_string();
    assert!(
        mounts.contains("definitions.json:/etc/rabbitmq/definitions.json"),
        "{mounts}"
    );
}

#[test]
fn compose_runs_a_current_rabbitmq_management_image() {
    let image = compose()["services"]["rabbitmq"]["image"]
        .as_str()
        .unwrap()
        .to_owned();
    let tag = image
        .strip_prefix("rabbitmq:")
        .unwrap_or_else(|| panic!("{image}: the official rabbitmq image"));
    let (version, variant) = tag.split_once('-').unwrap_or((tag, ""));
    assert!(
        variant == "management" || variant.starts_with("management-"),
        "{image}: a management image (the UI on port 15672)"
    );
    let major: u32 = version.split('.').next().unwrap().parse().unwrap();
    assert_eq!(major, 4, "{image}: RabbitMQ 4.x");
    assert!(
        read("README.md").contains(&format!("RabbitMQ {version} ")),
        "the README names RabbitMQ {version}"
    );
    for node in cluster_nodes() {
        assert_eq!(
            effective(&node, "image"),
            image.as_str(),
            "{node}: every node of the cluster runs the same image"
        );
    }
}

fn users_with_tag(definitions: &serde_json::Value, tag: &str) -> Vec<String> {
    definitions["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["tags"].as_array().unwrap().iter().any(|t| t == tag))
        .map(|u| u["name"].as_str().unwrap().to_owned())
        .collect()
}
