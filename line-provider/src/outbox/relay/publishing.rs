//! Publishing one batch of outbox rows: every message queued in order, then every confirm.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use lapin::{Channel, Confirmation, PublisherConfirm};

use super::{Publisher, RelayError};
use crate::amqp;
use crate::db::OutboxMessage;

/// One message being handed to the connection: done once its frames are written.
type Sending<'a> = Pin<Box<dyn Future<Output = lapin::Result<PublisherConfirm>> + Send + 'a>>;

impl Publisher {
    /// Publishes `messages` in order, then waits for every confirm; returns the confirmed
    /// rows and the first failure.
    ///
    /// The whole batch is queued on the channel before anything is waited for. lapin's
    /// `basic_publish` queues a message's frames (and takes its delivery tag) when it is first
    /// polled, and completes only once the connection's own thread has written them. Awaited
    /// one after the other, each message cost a round trip between this task and that thread;
    /// queued together, the thread writes the batch in a few system calls. Each is polled
    /// once, in outbox order, so the frames leave in that order. That rests on lapin queuing
    /// the frames before its first `.await` (`Channel::send_method_frame_with_body` in 4.12):
    /// check it again when lapin is upgraded (`tests/it/publishing.rs` publishes 200 at once).
    pub(super) async fn publish_all(
        &self,
        channel: &Channel,
        messages: &[OutboxMessage],
    ) -> (Vec<i64>, Option<RelayError>) {
        let mut queued = Vec::with_capacity(messages.len());
        for message in messages {
            let mut sending: Sending<'_> =
                Box::pin(amqp::publish(channel, &self.topology.exchange, message));
            let first = std::future::poll_fn(|cx| Poll::Ready(sending.as_mut().poll(cx))).await;
            queued.push((message, first, sending));
        }
        let mut failure = None;
        let mut in_flight = Vec::with_capacity(queued.len());
        for (message, first, sending) in queued {
            let sent = match first {
                Poll::Ready(sent) => sent,
                Poll::Pending => sending.await,
            };
            match sent {
                Ok(confirm) => in_flight.push((message, confirm)),
                Err(error) => {
                    failure.get_or_insert(error.into());
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
