//! What the declaration and a move of bet-maker's queues do with one queue: whether it exists
//! or is declared as asked, its counts, deleting it once empty; and why they fail.

use std::time::Duration;

use lapin::options::{QueueDeclareOptions, QueueDeleteOptions};
use lapin::protocol::{AMQPErrorKind, AMQPSoftError};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ErrorKind};
use shared_messages::topology::{ArgumentValue, declare_queue};

use super::bounded;

/// How often, and how far apart, a queue's consumers are counted again before they count as
/// another's.
const CONSUMER_GONE_CHECKS: usize = 3;
const CONSUMER_GONE_WAIT: Duration = Duration::from_millis(100);

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
    let mut counted = counts(channel, queue).await?;
    // A quorum queue counts a cancelled consumer until the acknowledgements it owed are
    // applied: the mover's own, a moment ago.
    for _ in 0..CONSUMER_GONE_CHECKS {
        if counted.1 == 0 {
            break;
        }
        tokio::time::sleep(CONSUMER_GONE_WAIT).await;
        counted = counts(channel, queue).await?;
    }
    match counted {
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
