//! What a service may do with one queue besides publishing to it and consuming it: ask whether
//! it exists and what it holds, delete it once nothing is in it or on it, and tell why the
//! broker refused a step. Each takes the channel or connection it works on, and gives up after
//! [`BROKER_TIMEOUT`](super::BROKER_TIMEOUT).

use std::time::Duration;

use lapin::options::{QueueDeclareOptions, QueueDeleteOptions};
use lapin::protocol::{AMQPErrorKind, AMQPSoftError};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ErrorKind};

use super::timeout::bounded;

/// How often, and how far apart, a queue's consumers are counted again before they count as
/// another's.
const CONSUMER_GONE_CHECKS: usize = 3;
const CONSUMER_GONE_WAIT: Duration = Duration::from_millis(100);

/// What a queue holds, as the broker counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Messages ready for delivery (not those delivered and unacknowledged).
    pub messages: u32,
    /// Consumers on the queue.
    pub consumers: u32,
}

/// What [`delete_when_unused`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    /// The queue is gone.
    Deleted,
    /// The queue holds messages still; it stays.
    HoldsMessages,
    /// Others consume the queue (this many): deleting it would drop what they hold
    /// unacknowledged, so it stays.
    Consumed(u32),
}

/// Whether `queue` exists (a passive declaration, on a channel of its own).
pub async fn exists(connection: &Connection, queue: &str) -> lapin::Result<bool> {
    let channel = bounded(connection.create_channel()).await?;
    match bounded(channel.queue_declare(queue.into(), passive(), FieldTable::default())).await {
        Ok(_) => {
            close(&channel).await;
            Ok(true)
        }
        Err(error) if refused_with(&error, AMQPSoftError::NOTFOUND) => Ok(false),
        Err(error) => Err(error),
    }
}

/// What `queue` holds (a passive declaration on `channel`, which a missing queue closes).
pub async fn counts(channel: &Channel, queue: &str) -> lapin::Result<Counts> {
    let declared =
        bounded(channel.queue_declare(queue.into(), passive(), FieldTable::default())).await?;
    Ok(Counts {
        messages: declared.message_count(),
        consumers: declared.consumer_count(),
    })
}

/// Deletes `queue` once it holds no message and has no consumer. Whether anything can still
/// reach it is the caller's to rule out (unbind it first). Queues are not deleted with
/// `if-empty`: quorum queues refuse it.
pub async fn delete_when_unused(channel: &Channel, queue: &str) -> lapin::Result<Deletion> {
    let mut counted = counts(channel, queue).await?;
    // A quorum queue counts a cancelled consumer until the acknowledgements it owed are
    // applied: the caller's own, a moment ago.
    for _ in 0..CONSUMER_GONE_CHECKS {
        if counted.consumers == 0 {
            break;
        }
        tokio::time::sleep(CONSUMER_GONE_WAIT).await;
        counted = counts(channel, queue).await?;
    }
    match counted {
        Counts {
            consumers: 0,
            messages: 0,
        } => {}
        Counts { consumers: 0, .. } => return Ok(Deletion::HoldsMessages),
        Counts { consumers, .. } => return Ok(Deletion::Consumed(consumers)),
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
    Ok(Deletion::Deleted)
}

/// Whether the broker refused with `kind` (which closes the channel, not the connection).
pub fn refused_with(error: &lapin::Error, kind: AMQPSoftError) -> bool {
    matches!(error.kind(), ErrorKind::ProtocolError(amqp)
        if *amqp.kind() == AMQPErrorKind::Soft(kind))
}

/// Closes a channel whose work is done; a failure to close is no failure of that work.
pub async fn close(channel: &Channel) {
    let _ = bounded(channel.close(200, "done".into())).await;
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
