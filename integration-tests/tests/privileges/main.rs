//! Least privilege as the deployment sets it up: `docker/postgres/init.sql` gives each service
//! a role that owns only its own database, and `docker/rabbitmq/definitions.json` gives each a
//! broker user with only the permissions it needs. Both are applied here to the shared servers
//! under names of the test's own (the script's role and database names prefixed; the
//! definitions' permissions, unchanged, in a vhost of the test's own), and each refusal is
//! proved: bet-maker's role reading line-provider's events (and the other way round), and
//! bet-maker's broker user publishing to `line.events`.

//!
//! # Layout
//! - `database.rs`: each service's Postgres role;
//! - `broker.rs`: each service's broker user;
//! - `definitions.rs`: the definitions' queues against the services' own declaration, and
//!   bet-maker's user moving queues declared otherwise;
//! - this file: the deployment's files, `rabbitmqctl`, and connections to the broker.

#![allow(clippy::unwrap_used)]

mod broker;
mod database;
mod definitions;

use std::process::Command;

use lapin::{Connection, ConnectionProperties};

fn workspace_file(path: &str) -> String {
    let path = format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

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
