//! Why bet-maker's declaration of the topology, a move of its queues included, failed.

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
    /// Queues a move had just declared anew are declared otherwise again (by another version
    /// meanwhile, say).
    #[error("{0:?} are declared otherwise again after the move (by another version?)")]
    Otherwise(Vec<String>),
}
