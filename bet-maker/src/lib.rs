//! bet-maker: takes bets on the events line-provider publishes, and settles them.
//!
//! bet-maker never calls line-provider. It consumes line-provider's messages from its queue
//! `bet-maker.events` into its own `events` table (only a version newer than the stored one is
//! applied, so duplicates and reordering change nothing), serves the open events and takes bets
//! on them. A bet's status is its event's result, read through a join, so a finish settles
//! every bet of the event by changing one row, whatever their number. A bet locks its event row
//! against the next change while it checks the event is open, so a bet is either refused or
//! follows the result: never pending on a finished event.
//!
//! # Layout
//! - [`config`]: settings from the environment.
//! - [`startup`]: [`Application`] builds the server and the consumer and runs them until
//!   shutdown.
//! - [`routes`]: HTTP handlers and their wire types; [`error`]: the problem+json errors.
//! - [`domain`]: validated values (`Money`, the contract's, `IdempotencyKey`, ...).
//! - [`service`]: applying messages (a finish settles) and placing a bet.
//! - [`consumer`]: applying line-provider's messages, on `service-support`'s supervised broker
//!   connection (the topology is declared by `shared-messages`; queues declared otherwise are
//!   moved to it here, in `consumer/moving/`).
//! - [`db`]: every SQL statement; migrations live in `migrations/bet-maker/`.
//! - [`open_events`]: `GET /events` from memory, invalidated by the consumer.
//! - [`payouts`]: the payout worker, which takes results into bettors' wallets.
//! - [`streams`]: the permits of `GET /bets` streams, one a client.
//! - [`metrics`]: Prometheus metrics.
//!
//! Settings, logs, the HTTP server around the routes (problem+json, health and metrics
//! routes, docs), the pool and migrations, the supervised broker connection, start and
//! shutdown come from `service-support`.

pub mod config;
pub mod consumer;
pub mod db;
pub mod domain;
pub mod error;
pub mod metrics;
pub mod open_events;
pub mod payouts;
pub mod routes;
pub mod service;
pub mod startup;
pub mod state;
pub mod streams;

pub use config::Settings;
pub use startup::{Application, shutdown_signal};
