//! Declaring the contract's topology on a fresh connection, each declaration on a channel of
//! its own (a refused declaration closes its channel).
//!
//! bet-maker's queues may be declared otherwise: classic queues of a version before quorum
//! queues, or quorum queues while this service is told `AMQP_QUEUE_TYPE=classic`. A queue's
//! type cannot change in place. bet-maker, their consumer, then moves them
//! ([`super::moving`]); line-provider, which declares them too so that no message is dropped
//! before bet-maker first starts, leaves them as they are and publishes on: its messages reach
//! whichever of the two queues of a move is bound at the time.

use lapin::Connection;
use shared_messages::Topology;

use super::bounded;
use super::moving::Moves;
pub use super::queues::TopologyError;
use super::queues::{close, declared_as};

/// Who declares the topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declarer {
    /// line-provider: leaves a queue declared otherwise to its consumer.
    Publisher,
    /// bet-maker: moves a queue declared otherwise to this service's declaration.
    Consumer,
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
            // bet-maker's queue declared otherwise stays as it is, bound or not: a move unbinds
            // it once its holding queue is bound, and binding it again would keep the move
            // copying for as long as messages come.
            if !otherwise.contains(&topology.queue.as_str()) {
                let channel = bounded(connection.create_channel()).await?;
                bounded(topology.bind(&channel, &topology.queue)).await?;
                close(&channel).await;
            }
            Ok(())
        }
        Declarer::Consumer => {
            tracing::warn!(queues = ?otherwise, queue_type = topology.queue_type.as_str(),
                "bet-maker's queues are declared otherwise (by another version?); moving them to this declaration");
            moves.run(connection).await
        }
    }
}
