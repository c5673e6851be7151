//! The baselines: what Postgres and RabbitMQ do alone, measured with their own tools or with
//! the least code that does the same work, in the same run as the figures.
//!
//! # Layout
//! - `postgres.rs`: pgbench running bet-maker's own bet statement, and psql writing an event's
//!   bets as JSON;
//! - `broker.rs`: RabbitMQ alone moving messages as line-provider publishes them and bet-maker
//!   consumes them.

mod broker;
mod postgres;

pub use broker::{Acks, broker_latency, broker_throughput};
pub use postgres::{TIME_ORDERED_UUID, pgbench_account_bet, pgbench_bet, psql_json};
