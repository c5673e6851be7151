//! The plumbing both services run the same way, so that a fix to it is made once: logs and
//! the span of an HTTP request ([`telemetry`]), and the `healthcheck` subcommand of the
//! container images ([`healthcheck`]).
//!
//! It knows no event and no bet: what a service is about stays in that service.
//!
//! # Layout
//! - [`telemetry`]: [`LogFormat`], the global subscriber, [`telemetry::RequestSpan`].
//! - [`healthcheck`]: asks a running service on this host whether it is ready.

pub mod healthcheck;
pub mod telemetry;

pub use telemetry::LogFormat;
