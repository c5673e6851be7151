//! One supervised broker connection, the same for a publisher and a consumer: lapin does not
//! reconnect by itself, so [`Supervisor::run`] connects (with a timeout), hands the connection
//! to the service's [`Session`], and when the session reports the connection broken, closes it,
//! waits with exponential backoff and connects again, until shutdown. It keeps the readiness
//! flag ([`BrokerStatus`]) and the reconnect and connected metrics.
//!
//! What a service declares on the connection is its own; [`queues`] holds what it may do to
//! one queue besides publishing and consuming, each step within [`BROKER_TIMEOUT`]
//! (`timeout.rs`), and `connect.rs` opens the connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use lapin::{Channel, Connection};
use prometheus::{IntCounter, IntGauge};
use tokio_util::sync::CancellationToken;

/// How long closing a connection may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
/// The largest frame this service asks for. lapin keeps a buffer of 32 frames each way per
/// connection, sized by the negotiated `frame_max`: RabbitMQ's default (128 KiB) costs 8 MiB
/// of resident memory per connection, for messages that are well under 1 KiB. Larger messages
/// still work (they are split into frames). A `frame_max` in the URL's query wins.
const FRAME_MAX: u32 = 16 * 1024;

mod connect;
pub mod queues;
mod timeout;

pub use timeout::{BROKER_TIMEOUT, bounded};

/// Whether the supervised connection is usable, shared with the readiness check.
#[derive(Debug, Clone, Default)]
pub struct BrokerStatus(Arc<AtomicBool>);

impl BrokerStatus {
    /// Whether the service holds a working broker connection.
    pub fn is_up(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self, up: bool) {
        self.0.store(up, Ordering::Relaxed);
    }
}

/// What the channel is for.
#[derive(Debug, Clone, Copy)]
pub enum ChannelMode {
    /// Publishing, with publisher confirms.
    Confirms,
    /// Consuming, with at most this many unacknowledged deliveries.
    Prefetch(u16),
}

/// The service's metrics of its connection.
#[derive(Debug, Clone)]
pub struct BrokerMetrics {
    /// Counts every connection after the first.
    pub reconnects: IntCounter,
    /// 1 while the connection is usable.
    pub connected: IntGauge,
}

/// A fresh connection and its channel, handed to a [`Session`].
#[derive(Debug)]
pub struct Link<'a> {
    /// The connection.
    pub connection: &'a Connection,
    /// Its one channel, in the supervisor's [`ChannelMode`].
    pub channel: &'a Channel,
    status: &'a BrokerStatus,
    metrics: &'a BrokerMetrics,
    reconnect: bool,
    ready: AtomicBool,
}

impl Link<'_> {
    /// Reports the connection usable (the topology declared, consuming started): readiness
    /// turns green and a reconnection is counted.
    pub fn ready(&self) {
        if self.ready.swap(true, Ordering::Relaxed) {
            return;
        }
        if self.reconnect {
            self.metrics.reconnects.inc();
        }
        self.status.set(true);
        self.metrics.connected.set(1);
    }

    /// Whether the connection and the channel are still open.
    pub fn is_open(&self) -> bool {
        self.connection.status().connected() && self.channel.status().connected()
    }
}

/// The work a service does on one connection.
pub trait Session {
    /// Why the work on a connection stopped before shutdown.
    type Error: std::fmt::Display;

    /// Works on `link` until `shutdown` (`Ok`) or until the connection is no longer usable
    /// (`Err`); calls [`Link::ready`] once the connection serves.
    fn run(
        &mut self,
        link: &Link<'_>,
        shutdown: &CancellationToken,
    ) -> impl Future<Output = Result<(), Self::Error>>;

    /// Runs after each failed attempt to connect (to refresh a gauge, say).
    fn unreachable(&mut self) -> impl Future<Output = ()> {
        std::future::ready(())
    }
}

/// Keeps one connection to the broker for a [`Session`]: to the first of its URLs (the nodes
/// of a cluster) that answers, and after losing a node, to the next one first.
#[derive(Debug)]
pub struct Supervisor {
    urls: Vec<String>,
    /// The URL to try first at the next connection.
    next: usize,
    name: &'static str,
    mode: ChannelMode,
    status: BrokerStatus,
    metrics: BrokerMetrics,
}

impl Supervisor {
    /// A connection to `url` (one AMQP URL, or several separated by commas: the nodes of a
    /// cluster), named `name` in the management UI.
    pub fn new(url: String, name: &'static str, mode: ChannelMode, metrics: BrokerMetrics) -> Self {
        Self {
            urls: url.split(',').map(|url| url.trim().to_owned()).collect(),
            next: 0,
            name,
            mode,
            status: BrokerStatus::default(),
            metrics,
        }
    }

    /// The readiness flag, for the health check.
    pub fn status(&self) -> BrokerStatus {
        self.status.clone()
    }

    /// Connects and runs `session` until `shutdown`, reconnecting with backoff whenever the
    /// connection fails; `while_down` tells the log what waits meanwhile.
    pub async fn run<S: Session>(
        mut self,
        mut session: S,
        while_down: &str,
        shutdown: CancellationToken,
    ) {
        let mut backoff = reconnect_backoff();
        let mut connected_before = false;
        while !shutdown.is_cancelled() {
            let (connection, channel) = tokio::select! {
                result = self.connect_any() => match result {
                    Ok((pair, node)) => {
                        // If this node is lost, the next connection tries the others first.
                        self.next = (node + 1) % self.urls.len();
                        pair
                    }
                    Err(error) => {
                        let delay = backoff.next().unwrap_or(Duration::from_secs(5));
                        tracing::warn!(%error, retry_in = ?delay, "cannot reach the broker; {while_down}");
                        session.unreachable().await;
                        tokio::select! {
                            () = tokio::time::sleep(delay) => continue,
                            () = shutdown.cancelled() => break,
                        }
                    }
                },
                () = shutdown.cancelled() => break,
            };
            let link = Link {
                connection: &connection,
                channel: &channel,
                status: &self.status,
                metrics: &self.metrics,
                reconnect: connected_before,
                ready: AtomicBool::new(false),
            };
            let outcome = session.run(&link, &shutdown).await;
            self.status.set(false);
            self.metrics.connected.set(0);
            let served = link.ready.load(Ordering::Relaxed);
            if served {
                connected_before = true;
                backoff = reconnect_backoff();
            }
            close(&connection).await;
            match outcome {
                Ok(()) => break,
                Err(error) if served => tracing::warn!(%error, "lost the broker; reconnecting"),
                Err(error) => {
                    let delay = backoff.next().unwrap_or(Duration::from_secs(5));
                    tracing::warn!(%error, retry_in = ?delay, "the broker connection failed before it served; {while_down}");
                    session.unreachable().await;
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = shutdown.cancelled() => break,
                    }
                }
            }
        }
        self.status.set(false);
        self.metrics.connected.set(0);
    }
}

/// A broker operation to prepare a session (declare, start consuming): `None` when shutdown
/// came first, else its outcome within [`BROKER_TIMEOUT`].
pub async fn unless_stopped<T>(
    shutdown: &CancellationToken,
    operation: impl Future<Output = lapin::Result<T>>,
) -> Option<lapin::Result<T>> {
    until_stopped(shutdown, bounded(operation)).await
}

/// Work that prepares a session and may take long (moving queues, say), so that no time limit
/// fits it: `None` when shutdown came first, else its outcome.
pub async fn until_stopped<T>(
    shutdown: &CancellationToken,
    work: impl Future<Output = T>,
) -> Option<T> {
    tokio::select! {
        outcome = work => Some(outcome),
        () = shutdown.cancelled() => None,
    }
}

/// Closes a connection without waiting long for a broker that may be gone; closing hands
/// unacknowledged deliveries back to their queue.
async fn close(connection: &Connection) {
    let closing = connection.close(200, "closing".into());
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, closing).await;
}

/// 100 ms doubling to at most 5 s (each delay with random jitter of up to as much again),
/// forever: the broker may be down for long.
fn reconnect_backoff() -> impl Iterator<Item = Duration> {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(100))
        .with_max_delay(Duration::from_secs(5))
        .with_jitter()
        .without_max_times()
        .build()
}
