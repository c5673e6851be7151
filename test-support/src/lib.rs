//! What the tests of every crate share: where the shared Postgres and RabbitMQ are, databases
//! of a test's own, and a TCP proxy a test can cut to take either away without stopping it
//! (every test and CI share those two servers).
//!
//! # Layout
//! - [`server_url`], [`amqp_url`], [`with_database`], [`address_of`], [`create_database`],
//!   [`drop_database`].
//! - [`raw_json`]: a JSON value as a parser receives it.
//! - [`local_service`]: a service's settings for a test (loopback, a free port, text logs).
//! - [`assert_unique_operation_ids`]: a check of a service's OpenAPI document.
//! - [`proxy::Proxy`]: the cuttable TCP proxy.
//! - [`running::Running`]: a service running in-process, stopped as SIGTERM would.
//! - [`cleanup`]: removing a test's exchange, queues and databases.
//! - [`http`]: a problem+json answer, a metric, the ids of a list, waiting for a condition.

pub mod cleanup;
pub mod http;
pub mod proxy;
pub mod running;

use std::net::SocketAddr;

pub use cleanup::{remove, remove_from_drop, remove_from_drop_after};
pub use http::{assert_problem, ids, metric, wait_until};
pub use proxy::Proxy;
pub use running::Running;

/// The settings of a service under test: its database and broker, listening on a free port of
/// the loopback interface, logging as text, with no operator token (a test sets its own).
pub fn local_service(
    database_url: String,
    amqp_url: String,
) -> service_support::config::ServiceSettings {
    service_support::config::ServiceSettings {
        database_url,
        amqp_url,
        bind_address: [127, 0, 0, 1].into(),
        port: 0,
        log_format: service_support::LogFormat::Text,
        admin_token: None,
        topology: shared_messages::Topology::default(),
    }
}

/// A raw JSON value from its text, as a request body's field arrives at a parser.
pub fn raw_json(text: &str) -> Box<serde_json::value::RawValue> {
    serde_json::value::RawValue::from_string(text.to_owned()).expect("valid JSON")
}

/// The Postgres server the tests use (its `postgres` database); `TEST_DATABASE_URL` overrides.
pub fn server_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// The broker the tests use; `TEST_AMQP_URL` overrides.
pub fn amqp_url() -> String {
    std::env::var("TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned())
}

/// The same server URL with another database.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("a URL with a database");
    format!("{base}/{database}")
}

/// `host:port` of a URL such as `amqp://user:pw@host:port/vhost`, `default_port` when it names
/// none (for a [`Proxy`] in front of that server).
pub fn address_of(url: &str, default_port: u16) -> SocketAddr {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let authority = rest.split('/').next().unwrap_or(rest);
    let host_port = authority
        .rsplit('@')
        .next()
        .unwrap_or(authority)
        .replace("localhost", "127.0.0.1");
    let host_port = if host_port.contains(':') {
        host_port
    } else {
        format!("{host_port}:{default_port}")
    };
    host_port.parse().expect("the URL names host:port")
}

/// Drops a test's database, whoever is still connected to it; nothing when it is gone.
pub async fn drop_database(database: &str) {
    if let Ok((client, connection)) =
        tokio_postgres::connect(&server_url(), tokio_postgres::NoTls).await
    {
        tokio::spawn(connection);
        let _ = client
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                database.replace('"', "\"\"")
            ))
            .await;
    }
}

/// Creates the empty database `database` on the test server and connects to it (a test that
/// builds an older schema there, say, before a service migrates it).
pub async fn create_database(database: &str) -> tokio_postgres::Client {
    let (admin, connection) = tokio_postgres::connect(&server_url(), tokio_postgres::NoTls)
        .await
        .expect("the test server");
    tokio::spawn(connection);
    admin
        .batch_execute(&format!(
            "CREATE DATABASE \"{}\"",
            database.replace('"', "\"\"")
        ))
        .await
        .expect("a database of the test's own");
    let (client, connection) = tokio_postgres::connect(
        &with_database(&server_url(), database),
        tokio_postgres::NoTls,
    )
    .await
    .expect("the new database");
    tokio::spawn(connection);
    client
}

/// Asserts every operation of an OpenAPI `document` has an `operationId` of its own, as
/// validators and code generators need.
pub fn assert_unique_operation_ids(document: &serde_json::Value) {
    let mut operation_ids = Vec::new();
    for operations in document["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        for operation in operations.as_object().into_iter().flat_map(|o| o.values()) {
            let id = operation["operationId"].as_str();
            operation_ids.push(id.expect("every operation has an operationId").to_owned());
        }
    }
    let unique: std::collections::HashSet<_> = operation_ids.iter().collect();
    assert!(!operation_ids.is_empty(), "the document has operations");
    assert_eq!(
        unique.len(),
        operation_ids.len(),
        "operationIds: {operation_ids:?}"
    );
}
