//! The plumbing both services run the same way, so that a fix to it is made once: logs and
//! the span of an HTTP request ([`telemetry`]), reading a JSON request body with the
//! contract's statuses ([`json_body`]) and one value's accepted shapes ([`json`]), and the `healthcheck` subcommand of the container
//! images ([`healthcheck`]).
//!
//! It knows no event and no bet: what a service is about stays in that service.
//!
//! # Layout
//! - [`telemetry`]: [`LogFormat`], the global subscriber, [`telemetry::RequestSpan`].
//! - [`json`]: one value's accepted shapes, exact numbers, [`json::ValidationError`].
//! - [`json_body`]: a body into a wire type, or a [`json_body::BodyError`] (415, 400, 422).
//! - [`healthcheck`]: asks a running service on this host whether it is ready.

pub mod healthcheck;
pub mod json;
pub mod json_body;
pub mod telemetry;

pub use telemetry::LogFormat;
