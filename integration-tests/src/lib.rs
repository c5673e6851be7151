//! A harness for end-to-end tests of the whole system: both services, in-process, on one
//! topology of their own, against the real Postgres and RabbitMQ, with cuttable TCP proxies in
//! front of the broker and the databases so that outages can be staged without touching the
//! shared servers.
//!
//! # Layout
//! - [`System`]: one line-provider and any number of bet-makers, started, stopped and
//!   restarted at will; dropped databases and topology when it goes.
//! - [`Proxy`], [`Running`], [`remove`]: the cuttable TCP proxy, a service running
//!   in-process, removing a run's topology and databases (from `test-support`).
//! - [`process::Process`]: a service binary as a child process, for `kill -9`.
//! - [`RabbitCluster`]: RabbitMQ nodes of a test's own, clustered, each killed and restarted
//!   at will; [`Tally`]: the sent, confirmed, received, lost and duplicated of a fault test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod cluster;
mod http;
pub mod process;
mod servers;
mod system;
pub mod tally;

use std::time::Duration;

pub use cluster::RabbitCluster;
pub use servers::database_url;
pub use system::System;
pub use tally::Tally;
pub use test_support::{Proxy, Running, amqp_url, remove, server_url};

/// How long a test waits for something that should happen soon.
pub const WAIT: Duration = Duration::from_secs(20);
/// The operator token of the system's line-provider.
pub const TOKEN: &str = "system-test-token";
