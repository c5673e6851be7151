//! Least privilege as the deployment sets it up: `docker/postgres/init.sql` gives each service
//! a role that owns only its own database, and `docker/rabbitmq/definitions.json` gives each a
//! broker user with only the permissions it needs. Both are applied here to the shared servers
//! under names of the test's own (the script's role and database names prefixed; the
//! definitions' permissions, unchanged, in a vhost of the test's own), and each refusal is
//! proved: bet-maker's role reading line-provider's events (and the other way round), and
//! bet-maker's broker user publishing to `line.events`.

#![allow(clippy::unwrap_used)]

mod broker;
mod database;

/// The text of `path`, relative to the workspace.
fn workspace_file(path: &str) -> String {
    let path = format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}
