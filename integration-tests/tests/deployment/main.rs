//! What the deployment files must keep saying to each other and to the code: compose.yaml, its
//! three-node override compose.cluster.yaml, the Dockerfiles, and RabbitMQ's definitions and
//! configuration files against `shared-messages` and each service's configuration. (The files
//! are also checked against their schemas and linters by `scripts/check-deploy`.)
//!
//! # Layout
//! - `services.rs`: what compose gives each service (variables, addresses, database roles,
//!   ports) against what the service reads, and its defaults without any;
//! - `broker.rs`: RabbitMQ's definitions against the contract's topology and the services'
//!   users, and the image compose runs;
//! - `cluster.rs`: the three-node override (its nodes, their configuration, cookie and data,
//!   and the services' list of nodes);
//! - this file: reading the deployment files.

#![allow(clippy::unwrap_used)]

mod broker;
mod cluster;
mod services;

use std::collections::BTreeMap;

use serde_json::Value;

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
