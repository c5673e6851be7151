//! line-provider: the source of truth for sporting events.
//!
//! Operators create events, change their odds or deadline, and finish them over HTTP. Every
//! change is written to Postgres together with the message that reports it (a transactional
//! outbox), and a relay publishes those messages to the RabbitMQ topic exchange `line.events`
//! with publisher confirms. An acknowledged change is therefore never lost: a crash or a broker
//! outage only delays its message.
//!
//! # Layout
//! - [`config`]: settings from the environment.
//! - [`startup`]: [`Application`] builds the server and the relay and runs them until shutdown.
//! - [`routes`]: HTTP handlers and their wire types; [`error`]: the problem+json errors.
//! - [`domain`]: validated values (`Coefficient`, `Deadline`, ...) and the rules of an event.
//! - [`service`]: each change as the rule that decides the next version on the stored event;
//!   re-publishing as one transaction.
//! - [`commits`]: the work of concurrent requests read, decided and written together.
//! - [`db`]: every SQL statement; migrations live in `migrations/line-provider/`.
//! - [`outbox`] and [`amqp`]: the relay (on `service-support`'s supervised connection) and one
//!   message's AMQP properties.
//! - [`metrics`]: Prometheus metrics.
//!
//! Settings, logs, the HTTP server around the routes (problem+json, health and metrics
//! routes, docs), the pool and migrations, the supervised broker connection, start and
//! shutdown come from `service-support`.

pub mod amqp;
pub mod commits;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod metrics;
pub mod outbox;
pub mod routes;
pub mod service;
pub mod startup;
pub mod state;

pub use config::Settings;
pub use startup::{Application, shutdown_signal};
