//! The plumbing both services run the same way, so that a fix to it is made once.
//!
//! It knows no event and no bet: what a service is about (its routes, its SQL, its messages,
//! its metrics) stays in that service, which hands this crate its pieces: a state and routes
//! for the HTTP server, a [`broker::Session`] for the broker connection, migrations for the
//! database.
//!
//! # Layout
//! - [`auth`]: the operator token of admin routes: the [`auth::Operator`] extractor, compared in
//!   constant time, and its OpenAPI scheme.
//! - [`config`]: the variables every service reads, and a service's own from the same read.
//! - [`telemetry`]: [`LogFormat`], the global subscriber (its writer drops a line it cannot
//!   write, and counts it), [`telemetry::RequestSpan`].
//! - [`http`]: the HTTP server (request ids and metrics, limits, docs, health routes).
//! - [`body_deadline`]: 408 for a request body that stalls or crawls.
//! - [`pages`]: a service's pages for people, compiled into the binary.
//! - [`problem`]: problem+json documents, the errors every request can meet, the middleware
//!   for actix-web's own errors.
//! - [`health`]: `/health/live`, `/health/ready`, `/metrics`.
//! - [`json`]: one value's accepted shapes, exact numbers, [`json::ValidationError`].
//! - [`schema`]: OpenAPI schemas of those shapes.
//! - [`json_body`]: a body into a wire type, or a [`json_body::BodyError`] (415, 400, 422).
//! - [`db`]: the Postgres pool, the database created when missing, migrations under an
//!   advisory lock, [`db::DbError`] sorted by what a client should be told.
//! - [`broker`]: one supervised RabbitMQ connection (backoff, timeouts, reconnect metric,
//!   readiness) for a publisher or a consumer, and what a service may do to one queue besides
//!   publishing and consuming ([`broker::queues`]: does it exist, its counts, deleting it).
//! - [`run`]: the HTTP server and the service's background worker under one shutdown.
//! - [`healthcheck`]: the `healthcheck` subcommand of the container images.

pub mod auth;
pub mod body_deadline;
pub mod broker;
pub mod config;
pub mod db;
pub mod health;
pub mod healthcheck;
pub mod http;
pub mod json;
pub mod json_body;
pub mod pages;
pub mod problem;
pub mod run;
pub mod schema;
pub mod telemetry;

pub use telemetry::LogFormat;

// For the code `api_error!` writes in a service.
#[doc(hidden)]
pub use {actix_web, anyhow};
