//! line-provider's API tests: the real application in-process on port 0, against the real
//! Postgres and RabbitMQ, each test with its own database and its own exchange and queues.

// A test fails loudly at the first surprise; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

mod admin;
mod cancellation;
mod commits;
mod console;
mod corrections;
mod errors;
mod events;
mod helpers;
mod limits;
mod messages;
mod migration;
mod operations;
mod outbox;
mod publishing;
mod validation;
