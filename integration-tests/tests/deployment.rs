//! What the deployment files must keep saying to each other and to the code: compose.yaml, its
//! three-node override compose.cluster.yaml, the Dockerfiles, and RabbitMQ's definitions and
//! configuration files against `shared-messages` and each service's configuration. (The files
//! are also checked against their schemas and linters by `scripts/check-deploy`.)

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use lapin::uri::AMQPUri;
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

/// The override that runs three RabbitMQ nodes: `docker compose -f compose.yaml -f
/// compose.cluster.yaml`.
fn cluster() -> Value {
    serde_norway::from_str(&read("compose.cluster.yaml")).unwrap()
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
        let overridden = cluster()["services"][service]["environment"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for name in environment(service).keys().chain(overridden.keys()) {
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
        assert!(line_provider.service.admin_token.is_none());
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

/// A field of a service with the override applied, whole: the override's, else compose.yaml's
/// (the fields read this way are set in one file only; volumes are merged by [`mounts`]).
fn effective(service: &str, field: &str) -> Value {
    let overridden = &cluster()["services"][service][field];
    if overridden.is_null() {
        compose()["services"][service][field].clone()
    } else {
        overridden.clone()
    }
}

/// The RabbitMQ nodes of the three-node set-up: the override's services that run the RabbitMQ
/// image, compose.yaml's `rabbitmq` (node 1) among them.
fn cluster_nodes() -> Vec<String> {
    cluster()["services"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|service| {
            effective(service, "image")
                .as_str()
                .is_some_and(|image| image.starts_with("rabbitmq:"))
        })
        .cloned()
        .collect()
}

/// A service's mounts with the override merged in as compose merges them (by target path):
/// target → source.
fn mounts(service: &str) -> BTreeMap<String, String> {
    let mut mounts = BTreeMap::new();
    for file in [compose(), cluster()] {
        for volume in file["services"][service]["volumes"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let short = volume.as_str().unwrap();
            let mut parts = short.split(':');
            let source = parts.next().unwrap().to_owned();
            let target = parts.next().unwrap_or_else(|| panic!("{service}: {short}"));
            mounts.insert(target.to_owned(), source);
        }
    }
    mounts
}

/// `key = value` lines of a RabbitMQ configuration file, in order.
fn conf_entries(path: &str) -> Vec<(String, String)> {
    read(path)
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (key, value) = line
                .split_once('=')
                .unwrap_or_else(|| panic!("{path}: {line}"));
            (key.trim().to_owned(), value.trim().to_owned())
        })
        .collect()
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

#[test]
fn the_cluster_override_runs_three_nodes_each_named_by_its_service() {
    let nodes = cluster_nodes();
    assert_eq!(nodes.len(), 3, "three nodes: {nodes:?}");
    assert!(
        nodes.iter().any(|node| node == "rabbitmq"),
        "compose.yaml's rabbitmq is node 1: {nodes:?}"
    );
    let node_1 = mounts("rabbitmq");
    let configuration = |mounts: &BTreeMap<String, String>| {
        let mut mounts = mounts.clone();
        mounts.remove("/var/lib/rabbitmq");
        mounts
    };
    for node in &nodes {
        // Peers reach a node by its node name's host, and Docker's DNS knows services, not
        // hostnames.
        assert_eq!(
            effective(node, "hostname"),
            node.as_str(),
            "{node}: hostname"
        );
        let healthcheck = effective(node, "healthcheck")["test"].to_string();
        assert!(
            healthcheck.contains("rabbitmq-diagnostics"),
            "{node}: {healthcheck}"
        );
        assert_eq!(effective(node, "restart"), "unless-stopped", "{node}");
        let mounts = mounts(node);
        assert_eq!(
            mounts
                .get("/etc/rabbitmq/definitions.json")
                .map(String::as_str),
            Some("./docker/rabbitmq/definitions.json"),
            "{node} loads the definitions"
        );
        assert_eq!(
            mounts
                .get("/etc/rabbitmq/conf.d/20-betting.conf")
                .map(String::as_str),
            Some("./docker/rabbitmq/rabbitmq.conf"),
            "{node}"
        );
        let cluster_conf = mounts
            .iter()
            .filter(|(target, source)| {
                target.starts_with("/etc/rabbitmq/conf.d/")
                    && source.as_str() == "./docker/rabbitmq/cluster.conf"
            })
            .count();
        assert_eq!(cluster_conf, 1, "{node} reads cluster.conf: {mounts:?}");
        assert_eq!(
            configuration(&mounts),
            configuration(&node_1),
            "{node}: the configuration of node 1"
        );
    }
}

#[test]
fn the_cluster_conf_lists_exactly_the_three_nodes_by_their_hostnames() {
    let entries = conf_entries("docker/rabbitmq/cluster.conf");
    let value = |key: &str| {
        entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(
        value("cluster_formation.peer_discovery_backend"),
        Some("classic_config")
    );
    let listed: Vec<&str> = entries
        .iter()
        .filter(|(key, _)| key.starts_with("cluster_formation.classic_config.nodes."))
        .map(|(_, node)| node.as_str())
        .collect();
    let expected: BTreeSet<String> = cluster_nodes()
        .iter()
        .map(|node| format!("rabbit@{}", effective(node, "hostname").as_str().unwrap()))
        .collect();
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert_eq!(
        listed
            .iter()
            .map(|node| (*node).to_owned())
            .collect::<BTreeSet<_>>(),
        expected,
        "cluster.conf's nodes are the override's nodes"
    );
    // A quorum queue declared before every node joined still gets a member on each.
    assert_eq!(
        value("quorum_queue.continuous_membership_reconciliation.enabled"),
        Some("true")
    );
    assert_eq!(
        value("quorum_queue.continuous_membership_reconciliation.target_group_size"),
        Some("3")
    );
}

#[test]
fn every_cluster_node_has_the_same_erlang_cookie_file() {
    let cluster = cluster();
    let mut sources = BTreeSet::new();
    for node in cluster_nodes() {
        let configs = effective(&node, "configs");
        let cookies: Vec<&Value> = configs
            .as_array()
            .into_iter()
            .flatten()
            .filter(|config| config["target"] == "/var/lib/rabbitmq/.erlang.cookie")
            .collect();
        assert_eq!(cookies.len(), 1, "{node}: one cookie file: {configs}");
        let cookie = cookies[0];
        // The image's rabbitmq user, which runs the node; Erlang refuses a cookie file that
        // anyone else can read.
        assert_eq!(cookie["uid"], "999", "{node}");
        assert_eq!(cookie["gid"], "999", "{node}");
        let mode = match &cookie["mode"] {
            Value::String(octal) => u32::from_str_radix(octal.trim_start_matches("0o"), 8).unwrap(),
            Value::Number(mode) => u32::try_from(mode.as_u64().unwrap()).unwrap(),
            other => panic!("{node}: mode {other}"),
        };
        assert_eq!(mode & 0o077, 0, "{node}: mode {mode:o}, owner only");
        assert_ne!(
            mode & 0o400,
            0,
            "{node}: mode {mode:o}, readable by its owner"
        );
        sources.insert(cookie["source"].as_str().unwrap().to_owned());
        // The image's own variable is deprecated: the file is the way.
        for env in [
            effective(&node, "environment"),
            compose()["services"][&node]["environment"].clone(),
        ] {
            assert!(
                env.get("RABBITMQ_ERLANG_COOKIE").is_none(),
                "{node}: RABBITMQ_ERLANG_COOKIE"
            );
        }
    }
    assert_eq!(sources.len(), 1, "one cookie for every node: {sources:?}");
    let source = sources.pop_first().unwrap();
    let content = cluster["configs"][&source]["content"].as_str().unwrap();
    assert!(
        !content.is_empty()
            && content.len() <= 255
            && content.chars().all(|c| c.is_ascii_alphanumeric()),
        "an Erlang cookie is 1 to 255 letters and digits: {content:?}"
    );
}

#[test]
#[allow(clippy::result_large_err)] // figment::Jail's own error type
fn in_the_cluster_each_service_lists_the_three_nodes_as_its_own_broker_user() {
    let nodes = cluster_nodes();
    for (service, _, _) in services() {
        let single: AMQPUri = environment(service)["AMQP_URL"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let urls = cluster()["services"][service]["environment"]["AMQP_URL"]
            .as_str()
            .unwrap_or_else(|| panic!("{service}: the override sets AMQP_URL"))
            .to_owned();
        let uris: Vec<AMQPUri> = urls
            .split(',')
            .map(|url| url.trim().parse().unwrap())
            .collect();
        let hosts: BTreeSet<&str> = uris.iter().map(|uri| uri.authority.host.as_str()).collect();
        assert_eq!(
            hosts,
            nodes.iter().map(String::as_str).collect::<BTreeSet<_>>(),
            "{service}: {urls}"
        );
        assert_eq!(uris.len(), nodes.len(), "{service}: each node once: {urls}");
        for uri in &uris {
            assert_eq!(uri.authority.port, 5672, "{service}: {urls}");
            assert_eq!(
                uri.authority.userinfo, single.authority.userinfo,
                "{service} logs in to every node as in compose.yaml"
            );
            assert_eq!(uri.vhost, single.vhost, "{service}: {urls}");
        }
        assert_eq!(
            uris[0].authority.host, single.authority.host,
            "{service} tries node 1 first, as with one node"
        );
        // And the service itself takes the list.
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("AMQP_URL", &urls);
            let amqp_url = match service {
                "line-provider" => {
                    line_provider::Settings::from_env()
                        .unwrap()
                        .service
                        .amqp_url
                }
                _ => bet_maker::Settings::from_env().unwrap().service.amqp_url,
            };
            assert_eq!(amqp_url, urls);
            Ok(())
        });
    }
}

#[test]
fn every_cluster_node_keeps_its_data_in_a_volume_of_its_own() {
    let cluster = cluster();
    let single_node: BTreeSet<String> = compose()["volumes"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let mut volumes = BTreeSet::new();
    for node in cluster_nodes() {
        let volume = mounts(&node)
            .remove("/var/lib/rabbitmq")
            .unwrap_or_else(|| panic!("{node}: a data volume"));
        assert!(
            cluster["volumes"].get(&volume).is_some(),
            "{node}: {volume} is declared in compose.cluster.yaml's volumes"
        );
        // The single node's data is left as it was: a node that was a cluster member would
        // wait for its peers, and its quorum queues for a majority.
        assert!(
            !single_node.contains(&volume),
            "{node}: {volume} is compose.yaml's single node's"
        );
        assert!(volumes.insert(volume.clone()), "{node}: {volume} is shared");
    }
    assert_eq!(volumes.len(), 3, "{volumes:?}");
}
