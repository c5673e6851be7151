//! bet-maker's declaration of the topology on each connection: the declaration every service
//! runs (`shared-messages`' `Topology::declare`), then, as the queues' consumer, a move of
//! those it finds declared otherwise (`moving/`).
//!
//! bet-maker's queues may be declared otherwise: classic queues of a version before quorum
//! queues, or quorum queues while this service is told `AMQP_QUEUE_TYPE=classic`. A queue's
//! type cannot change in place, so bet-maker, their consumer, moves them; line-provider, which
//! declares them too so that no message is dropped before bet-maker first starts, leaves them
//! as they are and publishes on: its messages reach whichever of the two queues of a move is
//! bound at the time.

use lapin::Connection;
use service_support::broker::bounded;
use shared_messages::Topology;

use super::moving::Moves;
pub use super::moving::TopologyError;

/// Declares `topology` on `connection`, moving bet-maker's queues first when they are declared
/// otherwise (or when a move was cut short); a move takes as long as they hold messages.
pub async fn declare(connection: &Connection, topology: &Topology) -> Result<(), TopologyError> {
    let moves = Moves::new(topology);
    if moves.any_left(connection).await? {
        tracing::warn!(queue = %topology.queue, "a move of bet-maker's queues was cut short; finishing it");
        return moves.run(connection).await;
    }
    let declared = bounded(topology.declare(connection)).await?;
    if declared.as_asked() {
        return Ok(());
    }
    tracing::warn!(queues = ?declared.otherwise, queue_type = topology.queue_type.as_str(),
        "bet-maker's queues are declared otherwise (by another version?); moving them to this declaration");
    moves.run(connection).await
}
