//! bet-maker's API and consumer tests: the real application in-process on port 0, against the
//! real Postgres and RabbitMQ, each test with its own database, exchange and queues. The tests
//! play line-provider by publishing messages to the test's exchange.

// A test fails loudly at the first surprise; that is what unwrap is for here.
#![allow(clippy::unwrap_used)]

mod accounts;
mod bets;
mod bets_idempotency;
mod bets_races;
mod bets_validation;
mod cancellation;
mod consent;
mod consumer;
mod consumer_dead_letters;
mod corrections;
mod exposure;
mod helpers;
mod history;
mod limits;
mod limits_races;
mod migration;
mod migration_accounts;
mod model;
mod open_events;
mod operations;
mod outages;
mod pages;
mod queue_move;
mod settlement;
