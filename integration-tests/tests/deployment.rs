//! What the deployment files must keep saying to each other and to the code: compose.yaml, the
//! Dockerfiles, and RabbitMQ's definitions file against `shared-messages` and each service's
//! configuration. (The files are also checked against their schemas and linters by
//! `scripts/check-deploy`.)

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use serde_json::Value;
use shared_messages::Topology;
use shared_messages::topology::{ArgumentValue, BINDING_KEY};

fn read(path: &str) -> String {
    let full = format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("cannot read {full}: {e}"))
}

fn compose() -> Value {
    serde_norway::from_str(&read("compose.yaml")).unwrap()
}

fn definitions() -> Value {
    serde_json::from_str(&read("docker/rabbitmq/definitions.json")).unwrap()
}

fn environment(service: &str) -> serde_json::Map<String, Value> {
    compose()["services"][service]["environment"]
        .as_object()
        .cloned()
        .unwrap_or_default()
}

/// (service, variables it reads, its default port)
fn services() -> [(&'static str, Vec<&'static str>, u16); 2] {
    [
        ("line-provider", line_provider::config::variables(), 8080),
        ("bet-maker", bet_maker::config::variables(), 8081),
    ]
}

#[test]
fn compose_sets_only_variables_the_services_read() {
    for (service, variables, _) in services() {
        for name in environment(service).keys() {
            assert!(
                variables.contains(&name.as_str()),
                "{service}: compose sets {name}, which it never reads"
            );
        }
    }
}

#[test]
fn compose_points_each_service_at_the_database_and_broker_containers() {
    for (service, _, _) in services() {
        let env = environment(service);
        let database = env["DATABASE_URL"].as_str().unwrap();
        let broker = env["AMQP_URL"].as_str().unwrap();
        assert!(
            database.contains("@postgres:5432/"),
            "{service}: {database}"
        );
        assert!(broker.contains("@rabbitmq:5672/"), "{service}: {broker}");
        assert_eq!(env["LOG_FORMAT"], "json", "{service}: containers log JSON");
    }
    for service in ["line-provider", "bet-maker"] {
        let token = environment(service)["ADMIN_TOKEN"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            token.starts_with("${ADMIN_TOKEN:?"),
            "{service}: compose refuses to start without ADMIN_TOKEN, not {token}"
        );
    }
}

#[test]
fn each_service_logs_in_to_postgres_as_the_role_owning_its_database() {
    let init = read("docker/postgres/init.sql");
    let mut roles = Vec::new();
    for (service, _, _) in services() {
        let url = environment(service)["DATABASE_URL"]
            .as_str()
            .unwrap()
            .to_owned();
        let database = url.rsplit('/').next().unwrap().to_owned();
        let role = url
            .trim_start_matches("postgres://")
            .split(':')
            .next()
            .unwrap()
            .to_owned();
        assert_ne!(
            role, "postgres",
            "{service} must not log in as the superuser"
        );
        assert!(
            init.contains(&format!("CREATE ROLE {role} LOGIN")),
            "{service}: role {role}"
        );
        assert!(
            init.contains(&format!("CREATE DATABASE {database} OWNER {role};")),
            "{service}: {database} owned by {role}"
        );
        assert!(
            init.contains(&format!("REVOKE ALL ON DATABASE {database} FROM PUBLIC;")),
            "{service}: only {role} connects to {database}"
        );
        roles.push(role);
    }
    roles.dedup();
    assert_eq!(roles.len(), 2, "one role per service");
}

#[test]
fn ports_agree_between_code_compose_and_dockerfiles() {
    for (service, _, port) in services() {
        let env = environment(service);
        assert_eq!(env["PORT"], port.to_string(), "{service}: PORT");
        let ports: Vec<_> = compose()["services"][service]["ports"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(
            ports,
            [Value::String(format!("{port}:{port}"))],
            "{service}: published port"
        );
        let dockerfile = read(&format!("docker/{service}.Dockerfile"));
        assert!(
            dockerfile.contains(&format!("EXPOSE {port}")),
            "{service}: EXPOSE"
        );
        assert!(
            dockerfile.contains(&format!("ENV PORT={port}")),
            "{service}: ENV PORT"
        );
        assert!(
            dockerfile.contains(&format!(
                "CMD [\"/usr/local/bin/{service}\", \"healthcheck\"]"
            )),
            "{service}: HEALTHCHECK runs the binary's subcommand"
        );
    }
}

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
#[allow(clippy::result_large_err)] // figment::Jail's own error type
fn without_variables_both_services_fit_a_developer_machine() {
    figment::Jail::expect_with(|jail| {
        jail.clear_env();
        let line_provider = line_provider::Settings::from_env().unwrap();
        let bet_maker = bet_maker::Settings::from_env().unwrap();
        for (settings, database, port) in [
            (&line_provider.service, "line_provider", 8080),
            (&bet_maker.service, "bet_maker", 8081),
        ] {
            assert_eq!(settings.port, port);
            assert_eq!(
                settings.database_url,
                format!("postgres://postgres@127.0.0.1:5432/{database}")
            );
            assert_eq!(settings.amqp_url, "amqp://guest:guest@127.0.0.1:5672/%2f");
        }
        assert!(line_provider.admin_token.is_none());
        assert_eq!(line_provider.topology, Topology::default());
        assert_eq!(bet_maker.topology, Topology::default());
        Ok(())
    });
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
