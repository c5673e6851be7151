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

use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions,
    QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::protocol::AMQPSoftError;
use lapin::types::FieldTable;
use lapin::{Channel, Confirmation, Connection, ExchangeKind};
use shared_messages::Topology;
use shared_messages::topology::{ArgumentValue, declare_queue};

use super::bounded;
use super::queues::{
    TopologyError, close, counts, declared_as, delete_when_empty, exists, refused_with,
};

/// How many messages a move takes before it waits for their confirms.
const MOVE_BATCH: usize = 256;
/// How long a move waits for the next message before it asks whether the queue is empty.
const MOVE_IDLE: Duration = Duration::from_millis(50);

/// A move of `topology`'s two queues.
pub(super) struct Moves<'a> {
    topology: &'a Topology,
    /// The exclusive queue whose holder moves.
    lock: String,
    /// The fanout exchange the copies go through.
    exchange: String,
}

/// One queue to move.
struct Move<'a> {
    queue: &'a str,
    holding: String,
    arguments: Vec<(&'static str, ArgumentValue<'a>)>,
    /// Whether the queue is bound to the topic exchange (bet-maker's queue is; its dead-letter
    /// queue is reached through the default exchange).
    bound: bool,
}

impl<'a> Moves<'a> {
    pub(super) fn new(topology: &'a Topology) -> Self {
        Self {
            topology,
            lock: format!("{}.moving.lock", topology.queue),
            exchange: format!("{}.moving.copies", topology.queue),
        }
    }

    /// bet-maker's queue first, then its dead-letter queue.
    fn queues(&self) -> [Move<'a>; 2] {
        let topology = self.topology;
        [
            Move {
                queue: &topology.queue,
                holding: format!("{}.moving", topology.queue),
                arguments: topology.queue_arguments(),
                bound: true,
            },
            Move {
                queue: &topology.dead_letter_queue,
                holding: format!("{}.moving", topology.dead_letter_queue),
                arguments: topology.dead_letter_queue_arguments(),
                bound: false,
            },
        ]
    }

    /// Whether a holding queue exists: a move was cut short.
    pub(super) async fn any_left(&self, connection: &Connection) -> Result<bool, TopologyError> {
        for queue in self.queues() {
            if exists(connection, &queue.holding).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Takes the lock, moves both queues, declares the whole topology and lets the lock go.
    pub(super) async fn run(&self, connection: &Connection) -> Result<(), TopologyError> {
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
            Ok(_) => {}
            Err(error) if refused_with(&error, AMQPSoftError::RESOURCELOCKED) => {
                return Err(TopologyError::Busy(self.topology.queue.clone()));
            }
            Err(error) => return Err(error.into()),
        }
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
        for queue in self.queues() {
            self.move_queue(connection, &queue).await?;
        }
        let channel = bounded(connection.create_channel()).await?;
        self.delete_exchange(&channel).await?;
        bounded(self.topology.declare(&channel)).await?;
        close(&channel).await;
        let _ = bounded(lock.queue_delete(
            self.lock.as_str().into(),
            QueueDeleteOptions {
                if_unused: false,
                if_empty: false,
                nowait: false,
            },
        ))
        .await;
        close(&lock).await;
        tracing::info!(queue = %self.topology.queue, "bet-maker's queues are declared as this service declares them");
        Ok(())
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

    /// Steps 1 and 2 of the module's description for one queue.
    ///
    /// A queue deleted and declared anew with another type is used on a fresh channel:
    /// RabbitMQ 3.10's channel keeps the queue's old type for its name and crashes on it.
    async fn move_queue(
        &self,
        connection: &Connection,
        queue: &Move<'_>,
    ) -> Result<(), TopologyError> {
        let channel = confirming(connection).await?;
        let has_holding = exists(connection, &queue.holding).await?;
        if !declared_as(connection, queue.queue, &queue.arguments).await? {
            // Consumers of the queue would lose what they hold when it is deleted, and
            // consumers of bet-maker's queue dead-letter into the dead-letter queue.
            for watched in [queue.queue, self.topology.queue.as_str()] {
                let (_, consumers) = counts(&channel, watched).await?;
                if consumers > 0 {
                    return Err(TopologyError::InUse {
                        queue: watched.to_owned(),
                        consumers,
                    });
                }
            }
            if !has_holding {
                bounded(declare_queue(
                    &channel,
                    &queue.holding,
                    &self.topology.type_arguments(),
                ))
                .await?;
            }
            if queue.bound {
                bounded(self.topology.bind(&channel, &queue.holding)).await?;
                bounded(self.topology.unbind(&channel, queue.queue)).await?;
            }
            let moved = self
                .empty_into(&channel, queue.queue, &queue.holding)
                .await?;
            tracing::info!(from = queue.queue, to = %queue.holding, moved, "emptied the queue declared otherwise");
        } else if !has_holding {
            // Declared as it should be, nothing held for it: nothing to move.
            close(&channel).await;
            return Ok(());
        }
        close(&channel).await;
        let channel = confirming(connection).await?;
        bounded(declare_queue(&channel, queue.queue, &queue.arguments)).await?;
        if queue.bound {
            bounded(self.topology.bind(&channel, queue.queue)).await?;
            bounded(self.topology.unbind(&channel, &queue.holding)).await?;
        }
        // Whatever its type (a move cut short, then the queue type changed): it is only read.
        let moved = self
            .empty_into(&channel, &queue.holding, queue.queue)
            .await?;
        close(&channel).await;
        tracing::info!(from = %queue.holding, to = queue.queue, moved, "moved the messages back");
        Ok(())
    }

    /// Moves every message of `from` to `to`, then deletes `from` once it is empty (a message
    /// that arrived meanwhile is moved first); returns how many moved.
    async fn empty_into(
        &self,
        channel: &Channel,
        from: &str,
        to: &str,
    ) -> Result<u64, TopologyError> {
        bounded(channel.queue_bind(
            to.into(),
            self.exchange.as_str().into(),
            "".into(),
            QueueBindOptions { nowait: false },
            FieldTable::default(),
        ))
        .await?;
        let mut moved = 0;
        loop {
            moved += self.copy_all(channel, from, to).await?;
            if delete_when_empty(channel, from).await? {
                break;
            }
        }
        bounded(channel.queue_unbind(
            to.into(),
            self.exchange.as_str().into(),
            "".into(),
            FieldTable::default(),
        ))
        .await?;
        Ok(moved)
    }

    /// Copies the messages of `from` to `to` through the move's exchange, taking each from
    /// `from` once its copy is confirmed, until `from` has none ready: a consumer with a
    /// window of [`MOVE_BATCH`] × 2 deliveries, each batch published, confirmed, then
    /// acknowledged at once.
    async fn copy_all(
        &self,
        channel: &Channel,
        from: &str,
        to: &str,
    ) -> Result<u64, TopologyError> {
        let tag = format!("{from}.mover");
        let mut consumer = bounded(channel.basic_consume(
            from.into(),
            tag.as_str().into(),
            BasicConsumeOptions {
                no_local: false,
                no_ack: false, // acknowledged after the copy's confirm
                exclusive: false,
                nowait: false,
            },
            FieldTable::default(),
        ))
        .await?;
        let mut moved = 0;
        loop {
            let first = match tokio::time::timeout(MOVE_IDLE, consumer.next()).await {
                Ok(Some(delivery)) => delivery?,
                Ok(None) => return Err(TopologyError::Cancelled(from.to_owned())),
                Err(_) if counts(channel, from).await?.0 == 0 => break,
                Err(_) => continue,
            };
            let mut batch = vec![first];
            while batch.len() < MOVE_BATCH
                && let Some(Some(delivery)) = consumer.next().now_or_never()
            {
                batch.push(delivery?);
            }
            moved += self.copy(channel, &batch, to).await?;
        }
        bounded(channel.basic_cancel(tag.as_str().into(), BasicCancelOptions { nowait: false }))
            .await?;
        // What the broker delivered before it took the cancel.
        let mut rest = Vec::new();
        while let Some(Some(delivery)) = consumer.next().now_or_never() {
            rest.push(delivery?);
        }
        moved += self.copy(channel, &rest, to).await?;
        Ok(moved)
    }

    /// Publishes a copy of each of `deliveries` to `to`, waits for the confirms and
    /// acknowledges the originals.
    async fn copy(
        &self,
        channel: &Channel,
        deliveries: &[Delivery],
        to: &str,
    ) -> Result<u64, TopologyError> {
        let Some(last) = deliveries.last() else {
            return Ok(0);
        };
        let mut confirms = Vec::with_capacity(deliveries.len());
        for delivery in deliveries {
            confirms.push(
                bounded(channel.basic_publish(
                    self.exchange.as_str().into(),
                    delivery.routing_key.clone(),
                    BasicPublishOptions {
                        mandatory: true,
                        immediate: false,
                    },
                    &delivery.data,
                    delivery.properties.clone(),
                ))
                .await?,
            );
        }
        for confirm in confirms {
            if !matches!(bounded(confirm).await?, Confirmation::Ack(None)) {
                return Err(TopologyError::NotTaken(to.to_owned()));
            }
        }
        bounded(channel.basic_ack(last.delivery_tag, BasicAckOptions { multiple: true })).await?;
        Ok(deliveries.len() as u64)
    }
}

/// A new channel with publisher confirms and a window of deliveries for a move's consumer.
async fn confirming(connection: &Connection) -> Result<Channel, TopologyError> {
    let channel = bounded(connection.create_channel()).await?;
    bounded(channel.confirm_select(ConfirmSelectOptions { nowait: false })).await?;
    let window = u16::try_from(MOVE_BATCH * 2).unwrap_or(u16::MAX);
    bounded(channel.basic_qos(window, BasicQosOptions { global: false })).await?;
    Ok(channel)
}
