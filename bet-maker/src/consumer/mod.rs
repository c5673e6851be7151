//! The consumer: applies line-provider's messages to bet-maker's events table (a finish settles
//! every bet of its event by storing the result on the event).
//!
//! It runs on `service-support`'s supervised broker connection: on any broker error the
//! supervisor drops the connection, waits with exponential backoff and reconnects, and the
//! consumer re-declares the topology (`topology.rs`, which moves bet-maker's queues when they
//! are declared otherwise: `moving/`) and consumes again. Deliveries are acknowledged only after
//! their transaction committed; a delivery that can never be applied is rejected into the
//! dead-letter queue; a database outage is waited out, never turned into a rejection.

mod apply;
mod decode;
mod moving;
mod record;
pub mod topology;

pub use decode::{DecodeError, IncomingMessage, decode};

use std::sync::Arc;

use deadpool_postgres::Pool;
use futures_util::{FutureExt, StreamExt};
use lapin::message::Delivery;
use lapin::options::{BasicConsumeOptions, BasicRejectOptions};
use lapin::types::FieldTable;
use service_support::broker::{
    BrokerStatus, ChannelMode, Link, Session, Supervisor, unless_stopped, until_stopped,
};
use shared_messages::Topology;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::metrics::Metrics;
use crate::open_events::OpenEvents;
use apply::Batch;
use record::span;
use topology::TopologyError;

/// Deliveries the broker may push ahead of the acknowledgements.
const PREFETCH: u16 = 64;

/// The consumer task: a supervised broker connection and the applier that runs on it.
#[derive(Debug)]
pub struct Consumer {
    supervisor: Supervisor,
    applier: Applier,
}

/// The work on one connection.
#[derive(Debug)]
struct Applier {
    pool: Pool,
    topology: Topology,
    metrics: Metrics,
    open_events: Arc<OpenEvents>,
}

/// Why consuming stopped.
#[derive(Debug, thiserror::Error)]
enum Stop {
    #[error("broker error: {0}")]
    Broker(#[from] lapin::Error),
    #[error("cannot declare the topology: {0}")]
    Topology(#[from] TopologyError),
    #[error("the broker closed the consumer")]
    Closed,
}

impl Consumer {
    /// A consumer of `topology.queue` at `amqp_url`, applying to `pool`.
    pub fn new(
        pool: Pool,
        amqp_url: String,
        topology: Topology,
        metrics: Metrics,
        open_events: Arc<OpenEvents>,
    ) -> Self {
        let supervisor = Supervisor::new(
            amqp_url,
            "bet-maker",
            ChannelMode::Prefetch(PREFETCH),
            metrics.broker(),
        );
        Self {
            supervisor,
            applier: Applier {
                pool,
                topology,
                metrics,
                open_events,
            },
        }
    }

    /// Whether the consumer holds a working broker connection, for the readiness check.
    pub fn broker_status(&self) -> BrokerStatus {
        self.supervisor.status()
    }

    /// Runs until `shutdown`: connect, consume, and on a broker failure reconnect with backoff.
    pub async fn consume(self, shutdown: CancellationToken) {
        self.supervisor
            .run(
                self.applier,
                "new events and results wait in the queue",
                shutdown,
            )
            .await;
        tracing::info!("consumer stopped");
    }
}

impl Session for Applier {
    type Error = Stop;

    async fn run(&mut self, link: &Link<'_>, shutdown: &CancellationToken) -> Result<(), Stop> {
        let declaring = topology::declare(link.connection, &self.topology);
        let Some(declared) = until_stopped(shutdown, declaring).await else {
            return Ok(());
        };
        declared?;
        let consuming = unless_stopped(
            shutdown,
            link.channel.basic_consume(
                self.topology.queue.as_str().into(),
                "bet-maker".into(),
                BasicConsumeOptions {
                    no_local: false,
                    no_ack: false,    // acknowledged after the commit
                    exclusive: false, // replicas share the queue
                    nowait: false,
                },
                FieldTable::default(),
            ),
        );
        let Some(consumer) = consuming.await else {
            return Ok(());
        };
        let mut consumer = consumer?;
        link.ready();
        tracing::info!(queue = %self.topology.queue, "connected to the broker; consuming");
        self.consume(&mut consumer, shutdown).await
    }
}

impl Applier {
    /// Takes each delivery with every other one already at hand (up to the prefetch) and
    /// handles them as one batch.
    async fn consume(
        &self,
        consumer: &mut lapin::Consumer,
        shutdown: &CancellationToken,
    ) -> Result<(), Stop> {
        loop {
            let next = tokio::select! {
                next = consumer.next() => next,
                () = shutdown.cancelled() => return Ok(()),
            };
            let mut batch = vec![next.ok_or(Stop::Closed)??];
            while batch.len() < usize::from(PREFETCH)
                && let Some(Some(delivery)) = consumer.next().now_or_never()
            {
                batch.push(delivery?);
            }
            if !self.handle(batch, shutdown).await? {
                return Ok(());
            }
        }
    }

    /// Dead-letters the deliveries that cannot be decoded and applies the others: together in
    /// one transaction when there are several, one at a time when that fails because of one of
    /// them. Returns `false` when it stopped because of shutdown.
    async fn handle(
        &self,
        batch: Vec<Delivery>,
        shutdown: &CancellationToken,
    ) -> Result<bool, Stop> {
        let mut decoded = Vec::with_capacity(batch.len());
        for delivery in batch {
            match decode(&delivery) {
                Ok(message) => decoded.push((delivery, message)),
                Err(reason) => self.dead_letter(&delivery, &reason.to_string()).await?,
            }
        }
        if decoded.len() > 1 {
            match self.apply_batch(&decoded, shutdown).await? {
                Batch::Applied => return Ok(true),
                Batch::Stopped => return Ok(false),
                Batch::OneByOne => {}
            }
        }
        for (delivery, message) in &decoded {
            if !self
                .apply(delivery, message, shutdown)
                .instrument(span(message))
                .await?
            {
                return Ok(false);
            }
        }
        Ok(true)
    }

    async fn dead_letter(&self, delivery: &Delivery, reason: &str) -> Result<(), Stop> {
        let message_id = delivery
            .properties
            .message_id()
            .as_ref()
            .map(|id| id.to_string());
        tracing::warn!(reason, message_id = message_id.as_deref().unwrap_or("-"),
            routing_key = %delivery.routing_key, "dead-lettering a message");
        delivery
            .reject(BasicRejectOptions { requeue: false })
            .await?;
        self.metrics.messages_dead_lettered.inc();
        Ok(())
    }
}

/// `ack`/`reject` answer `false` when the channel was already gone: the broker will deliver the
/// message again, so the consumer must start over rather than count it as handled.
fn acknowledged(done: bool) -> Result<(), Stop> {
    if done { Ok(()) } else { Err(Stop::Closed) }
}
