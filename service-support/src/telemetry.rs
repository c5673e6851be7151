//! Logging: readable text on a terminal, JSON lines in containers, written so that a log that
//! goes away never takes the service with it.

use std::io::{self, Write};
use std::sync::LazyLock;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use prometheus::IntCounter;
use serde::{Deserialize, Serialize};
use tracing::Span;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_actix_web::{RequestId, RootSpanBuilder};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{FilterExt, LevelFilter, filter_fn};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::{Context as LayerContext, Filter, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// How log lines are written (`LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines, for a terminal.
    Text,
    /// One JSON object a line, for containers and log collectors.
    Json,
}

/// Installs the global subscriber; `RUST_LOG` filters (default `info`).
///
/// lapin logs every channel the broker closes as an error, also the ones the services close
/// on purpose: a passive declaration of a queue that does not exist (how a service asks
/// whether a queue exists, [`crate::broker::queues::exists`]) closes its channel. Each close
/// the services do not expect comes back to them as an error, which they log where they
/// handle it, so lapin's own line is off unless `RUST_LOG` names lapin.
///
/// actix-http logs every request it cannot parse (a client's garbage, answered 400 before any
/// route) as an error: anyone could flood the log and trip alerts. Those lines are counted
/// ([`MALFORMED_REQUESTS`]) and shown only when `RUST_LOG` names `actix_http`.
///
/// Call once, from `main`; tests run without a subscriber.
pub fn init(format: LogFormat) {
    let rust_log = std::env::var("RUST_LOG").ok();
    let directives = rust_log.as_deref().unwrap_or("info");
    let filter = EnvFilter::try_new(directives).unwrap_or_else(|_| EnvFilter::new("info"));
    let hidden = Hidden {
        names_lapin: directives.contains("lapin"),
        names_actix_http: directives.contains("actix_http"),
    };
    let counted = MalformedCounter.with_filter(
        filter_fn(|metadata| {
            *metadata.level() == Level::ERROR && is_http_parser(metadata.target())
        })
        .with_max_level_hint(Level::ERROR),
    );
    let registry = tracing_subscriber::registry().with(counted);
    let lines = tracing_subscriber::fmt::layer()
        .with_writer(LossyStdout)
        .with_span_events(FmtSpan::NONE);
    match format {
        LogFormat::Text => registry.with(lines.with_filter(filter.and(hidden))).init(),
        LogFormat::Json => registry
            .with(
                lines
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    // Spans do not nest here (a request, a delivery): the current one says it all.
                    .with_span_list(false)
                    .with_filter(filter.and(hidden)),
            )
            .init(),
    }
}

/// Requests actix-http could not parse and answered itself, served in `/metrics` by
/// [`crate::health::render`]; one counter for the process, like [`LOG_LINES_DROPPED`].
pub static MALFORMED_REQUESTS: LazyLock<IntCounter> = LazyLock::new(|| {
    IntCounter::new(
        "http_malformed_requests_total",
        "Requests so malformed that the HTTP layer refused them before any route",
    )
    .expect("a valid counter name")
});

/// The targets whose error lines are a client's garbage: the HTTP/1 parser's.
fn is_http_parser(target: &str) -> bool {
    matches!(
        target,
        "actix_http::h1::dispatcher" | "actix_http::h1::decoder"
    )
}

/// Whether an error line of the HTTP/1 parser is about what a client sent (its
/// "stream error" and its decoder's lines), not about the service's own answers.
fn is_client_garbage(event: &Event<'_>) -> bool {
    let metadata = event.metadata();
    if metadata.target() == "actix_http::h1::decoder" {
        return true;
    }
    let mut message = Message(String::new());
    event.record(&mut message);
    message.0.starts_with("stream error")
}

/// An event's message, as written.
struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

/// Counts the HTTP parser's lines about clients' garbage.
struct MalformedCounter;

impl<S: Subscriber> Layer<S> for MalformedCounter {
    fn on_event(&self, event: &Event<'_>, _: LayerContext<'_, S>) {
        if is_client_garbage(event) {
            MALFORMED_REQUESTS.inc();
        }
    }
}

/// What is not written: lapin's channel-close lines unless `RUST_LOG` names lapin, and the
/// HTTP parser's lines about clients' garbage unless it names `actix_http`.
struct Hidden {
    names_lapin: bool,
    names_actix_http: bool,
}

impl<S> Filter<S> for Hidden {
    fn enabled(&self, metadata: &Metadata<'_>, _: &LayerContext<'_, S>) -> bool {
        shown(metadata.target(), self.names_lapin)
    }

    /// No limit of its own, said so: with no hint at all, the `RUST_LOG` filter's beside it
    /// would be lost and every level's lines built, to be dropped.
    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::TRACE)
    }

    fn event_enabled(&self, event: &Event<'_>, _: &LayerContext<'_, S>) -> bool {
        self.names_actix_http
            || !is_http_parser(event.metadata().target())
            || !is_client_garbage(event)
    }
}

/// Log lines this process could not write since it started, served in `/metrics` by
/// [`crate::health::render`]. One counter for the process, whatever the number of services in
/// it, since they share one standard output.
pub static LOG_LINES_DROPPED: LazyLock<IntCounter> = LazyLock::new(|| {
    IntCounter::new(
        "log_lines_dropped_total",
        "Log lines the process could not write (its standard output gone)",
    )
    .expect("a valid counter name")
});

/// Standard output for the log lines, which never fails: a line it cannot write is dropped
/// and counted, and the service goes on.
///
/// A service's output goes away when the reader of its pipe does (a terminal's log prefixer
/// stopped by Ctrl-C, a supervisor that died). Left to itself, tracing-subscriber reports a
/// failed write on standard error with `eprintln!`, which panics when standard error is that
/// same pipe: a service stopping on Ctrl-C died at its first line instead (exit 101).
#[derive(Debug, Clone, Copy)]
struct LossyStdout;

impl<'a> MakeWriter<'a> for LossyStdout {
    type Writer = LossyStdout;

    fn make_writer(&'a self) -> Self::Writer {
        LossyStdout
    }
}

impl Write for LossyStdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    /// tracing-subscriber writes each line with one `write_all`.
    fn write_all(&mut self, line: &[u8]) -> io::Result<()> {
        if io::stdout().write_all(line).is_err() {
            LOG_LINES_DROPPED.inc();
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = io::stdout().flush();
        Ok(())
    }
}

/// Whether lines of `target` are written: all but lapin's channel-close lines (the target
/// `lapin::channel` exactly; an `EnvFilter` directive would match every target it begins,
/// `lapin::channels`' connection errors among them), unless `RUST_LOG` names lapin.
fn shown(target: &str, names_lapin: bool) -> bool {
    names_lapin || target != "lapin::channel"
}

/// The span of an HTTP request, which every log line of the request carries: its id (also
/// sent back as `x-request-id`), method and route.
///
/// Lighter than tracing-actix-web's default span: that one has a dozen OpenTelemetry fields
/// and records the status when the request ends, and the JSON log format writes a span's
/// fields out when the span is made and again at every record. Statuses and durations are in
/// the request metrics; a server error is logged with its cause where it is answered.
#[derive(Debug)]
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request.extensions().get::<RequestId>().copied();
        let route = request.match_pattern();
        tracing::info_span!(
            "request",
            request_id = request_id.map(tracing::field::display),
            method = %request.method(),
            route = route.as_deref().unwrap_or("unmatched"),
        )
    }

    fn on_request_end<B: MessageBody>(_: Span, _: &Result<ServiceResponse<B>, actix_web::Error>) {}
}

#[cfg(test)]
mod tests {
    use super::shown;

    #[test]
    fn lapin_s_channel_close_lines_alone_are_off_unless_rust_log_names_lapin() {
        assert!(!shown("lapin::channel", false));
        assert!(shown("lapin::channel", true));
        for target in ["lapin::channels", "lapin::connection", "a_service::worker"] {
            assert!(shown(target, false), "{target}");
        }
    }
}
