//! Declaring the contract's topology on a fresh connection, each declaration on a channel of
//! its own (a refused declaration closes its channel).
//!
//! bet-maker's queues may be declared otherwise: classic queues of a version before quorum
//! queues, or quorum queues while this service is told `AMQP_QUEUE_TYPE=classic`. A queue's
//! type cannot change in place. bet-maker, their consumer, then moves them
//! ([`super::moving`]); line-provider, which declares them too so that no message is dropped
//! before bet-maker first starts, leaves them as they are and publishes on: its messages reach
//! whichever of the two queues of a move is bound at the time.

use lapin::options::{QueueDeclareOptions, QueueDeleteOptions};
use lapin::protocol::{AMQPErrorKind, AMQPSoftError};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ErrorKind};
use shared_messages::Topology;
use shared_messages::topology::{ArgumentValue, declare_queue};

use super::bounded;
use super::moving::Moves;

/// Who declares the topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declarer {
    /// line-provider: leaves a queue declared otherwise to its consumer.
    Publisher,
    /// bet-maker: moves a queue declared otherwise to this service's declaration.
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
    /// Others consume a queue to be moved: deleting it would drop what they hold unacknowledged.
    #[error(
        "{queue} has {consumers} other consumer(s) (bet-makers of an older version?); the move waits until they stop"
    )]
    InUse {
        /// The queue.
        queue: String,
        /// How many consume it.
        consumers: u32,
    },
    /// A copy of a message was not confirmed; its original stays where it was.
    #[error("the broker did not take a message moved to {0}")]
    NotTaken(String),
    /// The broker cancelled the consumer of a move (the queue was deleted, say).
    #[error("the broker cancelled the move of {0}")]
    Cancelled(String),
}

/// Declares `topology` on `connection` for `declarer`: bet-maker moves its queues first when
/// they are declared otherwise (or when a move was cut short), and then takes as long as they
/// hold messages.
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
    // The exchange is line-provider's own: a refusal of it is an error for both services.
    bounded(topology.declare_exchange(&channel)).await?;
    close(&channel).await;
    let queues = [
        (
            topology.dead_letter_queue.as_str(),
            topology.dead_letter_queue_arguments(),
        ),
        (topology.queue.as_str(), topology.queue_arguments()),
    ];
    let mut otherwise = Vec::new();
    for (queue, arguments) in &queues {
        if !declared_as(connection, queue, arguments).await? {
            otherwise.push(*queue);
        }
    }
    if otherwise.is_empty() {
        let channel = bounded(connection.create_channel()).await?;
        bounded(topology.bind(&channel, &topology.queue)).await?;
        close(&channel).await;
        return Ok(());
    }
    match declarer {
        Declarer::Publisher => {
            tracing::warn!(queues = ?otherwise, queue_type = topology.queue_type.as_str(),
                "bet-maker's queues are declared otherwise (by another version?); bet-maker moves them when it starts, and messages reach them meanwhile");
            let channel = bounded(connection.create_channel()).await?;
            bounded(topology.bind(&channel, &topology.queue)).await?;
            close(&channel).await;
            Ok(())
        }
        Declarer::Consumer => {
            tracing::warn!(queues = ?otherwise, queue_type = topology.queue_type.as_str(),
                "bet-maker's queues are declared otherwise (by another version?); moving them to this declaration");
            moves.run(connection).await
        }
    }
}

/// Whether `queue` exists (a passive declaration, on a channel of its own).
pub(super) async fn exists(connection: &Connection, queue: &str) -> Result<bool, TopologyError> {
    let channel = bounded(connection.create_channel()).await?;
    match bounded(channel.queue_declare(queue.into(), passive(), FieldTable::default())).await {
        Ok(_) => {
            close(&channel).await;
            Ok(true)
        }
        Err(error) if refused_with(&error, AMQPSoftError::NOTFOUND) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// Whether `queue` is declared with `arguments` (it is once this declares it, when it did not
/// exist); `false` when it exists declared otherwise.
pub(super) async fn declared_as(
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
        Err(error) if refused_with(&error, AMQPSoftError::PRECONDITIONFAILED) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// How many messages `queue` holds ready, and how many consumers it has.
pub(super) async fn counts(channel: &Channel, queue: &str) -> Result<(u32, u32), TopologyError> {
    let declared =
        bounded(channel.queue_declare(queue.into(), passive(), FieldTable::default())).await?;
    Ok((declared.message_count(), declared.consumer_count()))
}

/// Deletes `queue` once it holds no message and has no consumer: nothing reaches it by then
/// (a move unbinds it first, and only consumers of bet-maker's queue dead-letter), so nothing
/// is lost. Queues are not deleted with `if-empty`: quorum queues refuse it.
pub(super) async fn delete_when_empty(
    channel: &Channel,
    queue: &str,
) -> Result<bool, TopologyError> {
    match counts(channel, queue).await? {
        (0, 0) => {}
        (_, 0) => return Ok(false),
        (_, consumers) => {
            return Err(TopologyError::InUse {
                queue: queue.to_owned(),
                consumers,
            });
        }
    }
    bounded(channel.queue_delete(
        queue.into(),
        QueueDeleteOptions {
            if_unused: false,
            if_empty: false,
            nowait: false,
        },
    ))
    .await?;
    Ok(true)
}

fn passive() -> QueueDeclareOptions {
    QueueDeclareOptions {
        passive: true,
        durable: false,
        exclusive: false,
        auto_delete: false,
        nowait: false,
    }
}

/// Whether the broker refused with `kind` (which closes the channel, not the connection).
pub(super) fn refused_with(error: &lapin::Error, kind: AMQPSoftError) -> bool {
    matches!(error.kind(), ErrorKind::ProtocolError(amqp)
        if *amqp.kind() == AMQPErrorKind::Soft(kind))
}

pub(super) async fn close(channel: &Channel) {
    let _ = bounded(channel.close(200, "done".into())).await;
}
