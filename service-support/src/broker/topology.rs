//! Declaring the contract's topology on a fresh connection, and moving bet-maker's queues when
//! they are declared otherwise (classic queues of a version before quorum queues, or the other
//! way for `AMQP_QUEUE_TYPE=classic`): a queue's type cannot change in place, so the queue is
//! emptied into a holding queue, declared anew, and filled again, without losing a message.
//!
//! The move, run by bet-maker (the queues' consumer) under a lock, so that one connection moves
//! at a time; each step can be repeated, so a move cut short is finished by the next one:
//!
//! 1. declare the holding queue `Q.moving` (of the new type) and bind it like `Q`: from now on every new
//!    message reaches it too;
//! 2. if `Q` is declared otherwise: unbind it, move its messages to the holding queue, delete it
//!    once empty, declare it anew;
//! 3. bind `Q`, unbind the holding queue, move its messages back to `Q`, delete it once empty.
//!
//! A message is taken from its queue only after the broker confirmed its copy, so a move cut
//! short leaves a message in both queues, never in neither; bet-maker applies a change once
//! whatever the number of copies (invariant 2). The copies keep their routing key and
//! properties: they travel through a fanout exchange of the move's own, bound to the one
//! queue that receives them. The dead-letter queue moves the same way, after `Q`, so that
//! `Q`, by then a quorum queue, keeps its dead letters until their queue is back.
//!
//! line-provider, which declares the queues too so that no message is dropped before bet-maker
//! first starts, leaves a queue declared otherwise as it is: it publishes to the exchange, and
//! at every step of a move one of the two queues is bound to it.

use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions,
    QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::protocol::{AMQPErrorKind, AMQPSoftError};
use lapin::types::FieldTable;
use lapin::{Channel, Confirmation, Connection, ErrorKind, ExchangeKind};
use shared_messages::Topology;
use shared_messages::topology::{ArgumentValue, QueueType, declare_queue};

use super::bounded;

/// How many messages a move takes before it waits for their confirms.
const MOVE_BATCH: usize = 256;
/// How long a move waits for the next message before it asks whether the queue is empty.
const MOVE_IDLE: Duration = Duration::from_millis(50);

/// Who declares the topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declarer {
    /// line-provider: leaves a queue declared otherwise to its consumer.
    Publisher,
    /// bet-maker: moves a queue declared otherwise to this version's declaration.
    Consumer,
}

/// Why the topology is not declared.
#[derive(Debug, thiserror::Error)]
pub enum TopologyError {
    /// The broker refused or failed.
    #[error(transparent)]
    Broker(#[from] lapin::Error),
    /// Another connection holds the lock of a move.
    #[error("another connection is moving {0}")]
    Busy(String),
    /// A copy of a message was not confirmed; its original stays where it was.
    #[error("the broker did not take a message moved to {0}")]
    NotTaken(String),
    /// The broker cancelled the consumer of a move (the queue was deleted, say).
    #[error("the broker cancelled the move of {0}")]
    Cancelled(String),
}

/// Declares `topology` on channels of its own on `connection` (a refused declaration closes
/// its channel), moving bet-maker's queues first when they are declared otherwise and
/// `declarer` is their consumer.
pub async fn declare(
    connection: &Connection,
    topology: &Topology,
    declarer: Declarer,
) -> Result<(), TopologyError> {
    let moves = Moves::new(topology);
    if declarer == Declarer::Consumer && moves.any_left(connection).await? {
        tracing::warn!(queue = %topology.queue, "a move of bet-maker's queues was cut short; finishing it");
        return moves.run(connection).await;
    }
    let channel = bounded(connection.create_channel()).await?;
    match bounded(topology.declare(&channel)).await {
        Ok(()) => {
            close(&channel).await;
            Ok(())
        }
        Err(error) if is(&error, AMQPSoftError::PRECONDITIONFAILED) => match declarer {
            Declarer::Publisher => {
                tracing::warn!(queue = %topology.queue, %error,
                    "bet-maker's queues are declared otherwise (by an older version?); bet-maker moves them when it starts, and messages reach them meanwhile");
                Ok(())
            }
            Declarer::Consumer => {
                tracing::warn!(queue = %topology.queue, %error,
                    "bet-maker's queues are declared otherwise (by an older version?); moving them to this version's declaration");
                moves.run(connection).await
            }
        },
        Err(error) => Err(error.into()),
    }
}

/// The names of a move of `topology`'s two queues.
struct Moves<'a> {
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
    fn new(topology: &'a Topology) -> Self {
        Self {
            topology,
            lock: format!("{}.moving.lock", topology.queue),
            exchange: format!("{}.moving", topology.queue),
        }
    }

    /// bet-maker's queue first, then its dead-letter queue.
    fn queues(&self) -> [Move<'a>; 2] {
        let topology = self.topology;
        [
            Move {
                queue: &topology.queue,
                holding: holding_name(&topology.queue),
                arguments: topology.queue_arguments(),
                bound: true,
            },
            Move {
                queue: &topology.dead_letter_queue,
                holding: holding_name(&topology.dead_letter_queue),
                arguments: topology.dead_letter_queue_arguments(),
                bound: false,
            },
        ]
    }

    /// Whether a holding queue exists: a move was cut short.
    async fn any_left(&self, connection: &Connection) -> Result<bool, TopologyError> {
        for queue in self.queues() {
            if exists(connection, &queue.holding).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Takes the lock, moves both queues, declares the whole topology and lets the lock go.
    async fn run(&self, connection: &Connection) -> Result<(), TopologyError> {
        let lock = bounded(connection.create_channel()).await?;
        let locked = bounded(lock.queue_declare(
            self.lock.as_str().into(),
            QueueDeclareOptions {
                exclusive: true, // one connection at a time; gone with it
                auto_delete: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        ))
        .await;
        match locked {
            Ok(_) => {}
            Err(error) if is(&error, AMQPSoftError::RESOURCELOCKED) => {
                return Err(TopologyError::Busy(self.topology.queue.clone()));
            }
            Err(error) => return Err(error.into()),
        }
        let channel = confirming(connection).await?;
        bounded(self.topology.declare_exchange(&channel)).await?;
        bounded(channel.exchange_declare(
            self.exchange.as_str().into(),
            ExchangeKind::Fanout,
            ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        ))
        .await?;
        close(&channel).await;
        for queue in self.queues() {
            self.move_queue(connection, &queue).await?;
        }
        let channel = bounded(connection.create_channel()).await?;
        bounded(channel.exchange_delete(
            self.exchange.as_str().into(),
            ExchangeDeleteOptions::default(),
        ))
        .await?;
        bounded(self.topology.declare(&channel)).await?;
        close(&channel).await;
        let _ =
            bounded(lock.queue_delete(self.lock.as_str().into(), QueueDeleteOptions::default()))
                .await;
        close(&lock).await;
        tracing::info!(queue = %self.topology.queue, "bet-maker's queues are declared as this version declares them");
        Ok(())
    }

    /// Steps 1 to 3 of the module's description for one queue.
    ///
    /// A queue deleted and declared anew with another type is used on a fresh channel:
    /// RabbitMQ 3.10's channel keeps the queue's old type for its name and crashes on it.
    async fn move_queue(
        &self,
        connection: &Connection,
        queue: &Move<'_>,
    ) -> Result<(), TopologyError> {
        let channel = confirming(connection).await?;
        // The holding queue has the type of the queues it holds for.
        bounded(declare_queue(
            &channel,
            &queue.holding,
            &self.topology.dead_letter_queue_arguments(),
        ))
        .await?;
        if queue.bound {
            bounded(self.topology.bind(&channel, &queue.holding)).await?;
        }
        if !declared_as(connection, queue.queue, &queue.arguments).await? {
            if queue.bound {
                bounded(self.topology.unbind(&channel, queue.queue)).await?;
            }
            let moved = self
                .empty_into(connection, &channel, queue.queue, &queue.holding, false)
                .await?;
            tracing::info!(from = queue.queue, to = %queue.holding, moved, "emptied the old queue");
        }
        close(&channel).await;
        let channel = confirming(connection).await?;
        bounded(declare_queue(&channel, queue.queue, &queue.arguments)).await?;
        if queue.bound {
            bounded(self.topology.bind(&channel, queue.queue)).await?;
            bounded(self.topology.unbind(&channel, &queue.holding)).await?;
        }
        let moved = self
            .empty_into(connection, &channel, &queue.holding, queue.queue, true)
            .await?;
        close(&channel).await;
        tracing::info!(from = %queue.holding, to = queue.queue, moved, "moved the messages back");
        Ok(())
    }

    /// Moves every message of `from` to `to` and deletes `from` once it is empty; returns how
    /// many moved.
    ///
    /// Nothing is routed to a holding queue once it is unbound, so it is deleted when a passive
    /// declaration shows it empty. An old classic queue may still receive dead letters, so it
    /// is deleted with `if-empty`, which the broker refuses while a message arrived meanwhile.
    /// Quorum queues do not take `if-empty` (RabbitMQ closes the connection), so a queue that
    /// is a quorum queue (holding queues, and the old queues of a move to classic ones) goes
    /// the first way.
    async fn empty_into(
        &self,
        connection: &Connection,
        channel: &Channel,
        from: &str,
        to: &str,
        from_is_holding: bool,
    ) -> Result<u64, TopologyError> {
        let from_is_quorum = match self.topology.queue_type {
            QueueType::Quorum => from_is_holding,
            QueueType::Classic => !from_is_holding,
        };
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
            if from_is_quorum || from_is_holding {
                if ready(channel, from).await? == 0 {
                    bounded(channel.queue_delete(from.into(), QueueDeleteOptions::default()))
                        .await?;
                    break;
                }
                continue;
            }
            // Refused while not empty, which closes the channel: a message that arrived
            // meanwhile is moved first.
            let deleting = bounded(connection.create_channel()).await?;
            match bounded(deleting.queue_delete(
                from.into(),
                QueueDeleteOptions {
                    if_empty: true,
                    ..QueueDeleteOptions::default()
                },
            ))
            .await
            {
                Ok(_) => {
                    close(&deleting).await;
                    break;
                }
                Err(error) if is(&error, AMQPSoftError::PRECONDITIONFAILED) => {}
                Err(error) => return Err(error.into()),
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
            BasicConsumeOptions::default(), // acknowledged after the copy's confirm
            FieldTable::default(),
        ))
        .await?;
        let mut moved = 0;
        loop {
            let first = match tokio::time::timeout(MOVE_IDLE, consumer.next()).await {
                Ok(Some(delivery)) => delivery?,
                Ok(None) => return Err(TopologyError::Cancelled(from.to_owned())),
                Err(_) if ready(channel, from).await? == 0 => break,
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

/// A new channel with publisher confirms.
async fn confirming(connection: &Connection) -> Result<Channel, TopologyError> {
    let channel = bounded(connection.create_channel()).await?;
    bounded(channel.confirm_select(ConfirmSelectOptions { nowait: false })).await?;
    let window = u16::try_from(MOVE_BATCH * 2).unwrap_or(u16::MAX);
    bounded(channel.basic_qos(window, BasicQosOptions { global: false })).await?;
    Ok(channel)
}

/// How many messages `queue` holds ready for delivery.
async fn ready(channel: &Channel, queue: &str) -> Result<u32, TopologyError> {
    let declared = bounded(channel.queue_declare(
        queue.into(),
        QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        },
        FieldTable::default(),
    ))
    .await?;
    Ok(declared.message_count())
}

fn holding_name(queue: &str) -> String {
    format!("{queue}.moving")
}

/// Whether `queue` exists (a passive declaration, on a channel of its own).
async fn exists(connection: &Connection, queue: &str) -> Result<bool, TopologyError> {
    let channel = bounded(connection.create_channel()).await?;
    let declared = bounded(channel.queue_declare(
        queue.into(),
        QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        },
        FieldTable::default(),
    ))
    .await;
    match declared {
        Ok(_) => {
            close(&channel).await;
            Ok(true)
        }
        Err(error) if is(&error, AMQPSoftError::NOTFOUND) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// Whether `queue` is declared with `arguments` (it is once this declares it, when it did not
/// exist); `false` when it exists declared otherwise.
async fn declared_as(
    connection: &Connection,
    queue: &str,
    arguments: &[(&str, ArgumentValue<'_>)],
) -> Result<bool, TopologyError> {
    let channel = bounded(connection.create_channel()).await?;
    match bounded(declare_queue(&channel, queue, arguments)).await {
        Ok(()) => {
            close(&channel).await;
            Ok(true)
        }
        Err(error) if is(&error, AMQPSoftError::PRECONDITIONFAILED) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// Whether the broker refused with `kind` (which closes the channel, not the connection).
fn is(error: &lapin::Error, kind: AMQPSoftError) -> bool {
    matches!(error.kind(), ErrorKind::ProtocolError(amqp)
        if *amqp.kind() == AMQPErrorKind::Soft(kind))
}

async fn close(channel: &Channel) {
    let _ = bounded(channel.close(200, "done".into())).await;
}
