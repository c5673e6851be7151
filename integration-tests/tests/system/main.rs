//! End-to-end tests of the whole system: line-provider and bet-maker in-process, on a topology
//! and databases of each test's own, through the real broker and Postgres; outages are staged
//! by cutting the harness's TCP proxies, never by stopping the shared servers.

#![allow(clippy::unwrap_used)]

mod abuse;
mod book;
mod cluster;
mod crashes;
mod faults;
mod flows;
mod lifecycle;
mod log_pipes;
mod nodes;
mod payouts;
mod secrets;
