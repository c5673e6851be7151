//! Publishing one batch of outbox rows: every message in order, then every confirm.

use lapin::{Channel, Confirmation};

use super::{Publisher, RelayError};
use crate::amqp;
use crate::db::OutboxMessage;

impl Publisher {
    /// Publishes `messages` in order, then waits for every confirm; returns the confirmed
    /// rows and the first failure.
    pub(super) async fn publish_all(
        &self,
        channel: &Channel,
        messages: &[OutboxMessage],
    ) -> (Vec<i64>, Option<RelayError>) {
        let mut failure = None;
        let mut in_flight = Vec::with_capacity(messages.len());
        for message in messages {
            match amqp::publish(channel, &self.topology.exchange, message).await {
                Ok(confirm) => in_flight.push((message, confirm)),
                Err(error) => {
                    failure = Some(error.into());
                    break;
                }
            }
        }
        let mut confirmed = Vec::with_capacity(in_flight.len());
        for (message, confirm) in in_flight {
            match confirm.await {
                Ok(Confirmation::Ack(None)) => {
                    confirmed.push(message.seq);
                    tracing::debug!(message_id = %message.message_id, routing_key = %message.routing_key,
                        event_id = %message.event_id, "published");
                }
                Ok(Confirmation::Ack(Some(_returned))) => {
                    failure.get_or_insert(RelayError::Unroutable(message.message_id));
                }
                Ok(Confirmation::Nack(_) | Confirmation::NotRequested) => {
                    failure.get_or_insert(RelayError::Nacked(message.message_id));
                }
                Err(error) => {
                    failure.get_or_insert(error.into());
                }
            }
        }
        (confirmed, failure)
    }
}
