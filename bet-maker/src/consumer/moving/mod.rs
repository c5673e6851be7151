//! Moving bet-maker's queues to this service's declaration without losing a message: a queue
//! is emptied into a holding queue, declared anew, and filled again.
//!
//! bet-maker runs it under a lock (an exclusive queue), so that one connection moves at a
//! time. Each step can be repeated, so a move cut short is finished by the next one:
//!
//! 1. if `Q` is declared otherwise: refuse while others consume it (deleting it would drop what
//!    they hold unacknowledged); declare the holding queue `Q.moving` (of the new type) and
//!    bind it like `Q`, so that every new message reaches it too; unbind `Q`, move its
//!    messages to the holding queue, delete it once empty;
//! 2. declare `Q` anew and bind it, unbind the holding queue, move its messages back to `Q`,
//!    delete it once empty.
//!
//! A message is taken from its queue only after the broker confirmed its copy, so a move cut
//! short leaves a batch of messages in both queues, never in neither; bet-maker applies a
//! change once whatever the number of copies (invariant 2). The copies keep their routing key
//! and properties: they go through a fanout exchange of the move's own (`Q.moving.copies`),
//! bound to the one queue that receives them. The dead-letter queue moves the same way, after
//! `Q`; nothing is dead-lettered meanwhile, as `Q` has no consumer while it is moved.
//!
//! The queues are declared with `shared-messages`' calls, as every service declares them;
//! what is done to a queue otherwise (its counts, deleting it) is `service-support`'s.
//!
//! - `mod.rs`: [`Moves`], the lock and the exchange of copies around the two queues' moves.
//! - `queue.rs`: the move of one queue, steps 1 and 2.
//! - `copying.rs`: copying a queue's messages into another.
//! - `error.rs`: [`TopologyError`].

mod copying;
mod error;
mod queue;

pub use error::TopologyError;

use lapin::options::{
    ExchangeDeclareOptions, ExchangeDeleteOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::protocol::AMQPSoftError;
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ExchangeKind};
use service_support::broker::bounded;
use service_support::broker::queues::{close, exists, refused_with};
use shared_messages::Topology;

use queue::Move;

/// A move of `topology`'s two queues.
#[derive(Debug)]
pub(super) struct Moves<'a> {
    topology: &'a Topology,
    /// The exclusive queue whose holder moves.
    lock: String,
    /// The fanout exchange the copies go through.
    exchange: String,
}

impl<'a> Moves<'a> {
    pub(super) fn new(topology: &'a Topology) -> Self {
        Self {
            topology,
            lock: format!("{}.moving.lock", topology.queue),
            exchange: format!("{}.moving.copies", topology.queue),
        }
    }

    /// Whether a holding queue exists: a move was cut short.
    pub(super) async fn any_left(&self, connection: &Connection) -> Result<bool, TopologyError> {
        for queue in Move::both(self.topology) {
            if exists(connection, &queue.holding).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Takes the lock, moves both queues, declares the whole topology and lets the lock go.
    pub(super) async fn run(&self, connection: &Connection) -> Result<(), TopologyError> {
        let lock = self.lock(connection).await?;
        let channel = bounded(connection.create_channel()).await?;
        bounded(self.topology.declare_exchange(&channel)).await?;
        // Anew, without the bindings a move cut short may have left (a holding queue still
        // bound to it would receive its own copies for ever).
        self.delete_exchange(&channel).await?;
        bounded(channel.exchange_declare(
            self.exchange.as_str().into(),
            ExchangeKind::Fanout,
            ExchangeDeclareOptions {
                passive: false,
                durable: true,
                auto_delete: false,
                internal: false,
                nowait: false,
            },
            FieldTable::default(),
        ))
        .await?;
        close(&channel).await;
        for queue in Move::both(self.topology) {
            queue.run(connection, &self.exchange).await?;
        }
        let channel = bounded(connection.create_channel()).await?;
        self.delete_exchange(&channel).await?;
        close(&channel).await;
        let declared = bounded(self.topology.declare(connection)).await?;
        if !declared.as_asked() {
            return Err(TopologyError::Otherwise(declared.otherwise));
        }
        self.unlock(&lock).await;
        tracing::info!(queue = %self.topology.queue, "bet-maker's queues are declared as this service declares them");
        Ok(())
    }

    /// Declares the lock, on a channel of its own: the lock is held while that channel's
    /// connection lives, or until [`Moves::unlock`].
    async fn lock(&self, connection: &Connection) -> Result<Channel, TopologyError> {
        let lock = bounded(connection.create_channel()).await?;
        let locked = bounded(lock.queue_declare(
            self.lock.as_str().into(),
            QueueDeclareOptions {
                passive: false,
                durable: false,
                exclusive: true, // one connection at a time; gone with it
                auto_delete: true,
                nowait: false,
            },
            FieldTable::default(),
        ))
        .await;
        match locked {
            Ok(_) => Ok(lock),
            Err(error) if refused_with(&error, AMQPSoftError::RESOURCELOCKED) => {
                Err(TopologyError::Busy(self.topology.queue.clone()))
            }
            Err(error) => Err(error.into()),
        }
    }

    async fn unlock(&self, lock: &Channel) {
        let _ = bounded(lock.queue_delete(
            self.lock.as_str().into(),
            QueueDeleteOptions {
                if_unused: false,
                if_empty: false,
                nowait: false,
            },
        ))
        .await;
        close(lock).await;
    }

    /// Deletes the exchange of copies, with its bindings.
    async fn delete_exchange(&self, channel: &Channel) -> Result<(), TopologyError> {
        bounded(channel.exchange_delete(
            self.exchange.as_str().into(),
            ExchangeDeleteOptions {
                if_unused: false,
                nowait: false,
            },
        ))
        .await?;
        Ok(())
    }
}
