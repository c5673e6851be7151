//! The three-node override, compose.cluster.yaml: its nodes, their configuration, cookie and
//! data, and each service's list of the nodes.

use std::collections::{BTreeMap, BTreeSet};

use lapin::uri::AMQPUri;
use serde_json::Value;

use crate::{
    cluster, cluster_nodes, compose, conf_entries, effective, environment, mounts, services,
};

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
