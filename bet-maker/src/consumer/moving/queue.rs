//! The move of one queue: steps 1 and 2 of the module's description.

use lapin::Connection;
use service_support::broker::bounded;
use service_support::broker::queues::{close, counts, exists};
use shared_messages::Topology;
use shared_messages::topology::{ArgumentValue, declare_queue, declared_as};

use super::copying::{Copier, confirming};
use super::error::TopologyError;

/// One queue to move.
#[derive(Debug)]
pub(super) struct Move<'a> {
    topology: &'a Topology,
    queue: &'a str,
    /// Where its messages wait meanwhile.
    pub(super) holding: String,
    arguments: Vec<(&'static str, ArgumentValue<'a>)>,
    /// Whether the queue is bound to the topic exchange (bet-maker's queue is; its dead-letter
    /// queue is reached through the default exchange).
    bound: bool,
}

impl<'a> Move<'a> {
    /// bet-maker's queue first, then its dead-letter queue.
    pub(super) fn both(topology: &'a Topology) -> [Self; 2] {
        [
            Move {
                topology,
                queue: &topology.queue,
                holding: format!("{}.moving", topology.queue),
                arguments: topology.queue_arguments(),
                bound: true,
            },
            Move {
                topology,
                queue: &topology.dead_letter_queue,
                holding: format!("{}.moving", topology.dead_letter_queue),
                arguments: topology.dead_letter_queue_arguments(),
                bound: false,
            },
        ]
    }

    /// Moves the queue through its holding queue, copying through `exchange`.
    ///
    /// A queue deleted and declared anew with another type is used on a fresh channel:
    /// RabbitMQ 3.10's channel keeps the queue's old type for its name and crashes on it.
    pub(super) async fn run(
        &self,
        connection: &Connection,
        exchange: &str,
    ) -> Result<(), TopologyError> {
        let topology = self.topology;
        let channel = confirming(connection).await?;
        let has_holding = exists(connection, &self.holding).await?;
        if !bounded(declared_as(connection, self.queue, &self.arguments)).await? {
            // Consumers of the queue would lose what they hold when it is deleted, and
            // consumers of bet-maker's queue dead-letter into the dead-letter queue.
            for watched in [self.queue, topology.queue.as_str()] {
                let consumers = counts(&channel, watched).await?.consumers;
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
                    &self.holding,
                    &topology.type_arguments(),
                ))
                .await?;
            }
            if self.bound {
                bounded(topology.bind(&channel, &self.holding)).await?;
                bounded(topology.unbind(&channel, self.queue)).await?;
            }
            let copier = Copier {
                channel: &channel,
                exchange,
            };
            let moved = copier.empty_into(self.queue, &self.holding).await?;
            tracing::info!(from = self.queue, to = %self.holding, moved, "emptied the queue declared otherwise");
        } else if !has_holding {
            // Declared as it should be, nothing held for it: nothing to move.
            close(&channel).await;
            return Ok(());
        }
        close(&channel).await;
        let channel = confirming(connection).await?;
        bounded(declare_queue(&channel, self.queue, &self.arguments)).await?;
        if self.bound {
            bounded(topology.bind(&channel, self.queue)).await?;
            bounded(topology.unbind(&channel, &self.holding)).await?;
        }
        // Whatever its type (a move cut short, then the queue type changed): it is only read.
        let copier = Copier {
            channel: &channel,
            exchange,
        };
        let moved = copier.empty_into(&self.holding, self.queue).await?;
        close(&channel).await;
        tracing::info!(from = %self.holding, to = self.queue, moved, "moved the messages back");
        Ok(())
    }
}
