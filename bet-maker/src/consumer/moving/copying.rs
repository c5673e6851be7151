//! Copying a queue's messages into another through the move's exchange of copies, each taken
//! from its queue only once the broker confirmed its copy.

use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, QueueBindOptions,
};
use lapin::types::FieldTable;
use lapin::{Channel, Confirmation, Connection};
use service_support::broker::bounded;
use service_support::broker::queues::{Deletion, counts, delete_when_unused};

use super::error::TopologyError;

/// How many messages a move takes before it waits for their confirms.
const MOVE_BATCH: usize = 256;
/// How long a move waits for the next message before it asks whether the queue is empty.
const MOVE_IDLE: Duration = Duration::from_millis(50);

/// Copies on one [`confirming`] channel through the fanout exchange `exchange`, so that a copy
/// keeps its routing key and properties and reaches the one queue bound to it.
#[derive(Debug)]
pub(super) struct Copier<'a> {
    pub(super) channel: &'a Channel,
    pub(super) exchange: &'a str,
}

impl Copier<'_> {
    /// Moves every message of `from` to `to`, then deletes `from` once it is empty (a message
    /// that arrived meanwhile is moved first); returns how many moved.
    ///
    /// Nothing reaches `from` by then: the move unbound it first, and only consumers of
    /// bet-maker's queue dead-letter, which the move made sure there are none of. So deleting
    /// it loses nothing.
    pub(super) async fn empty_into(&self, from: &str, to: &str) -> Result<u64, TopologyError> {
        bounded(self.channel.queue_bind(
            to.into(),
            self.exchange.into(),
            "".into(),
            QueueBindOptions { nowait: false },
            FieldTable::default(),
        ))
        .await?;
        let mut moved = 0;
        loop {
            moved += self.copy_all(from, to).await?;
            match delete_when_unused(self.channel, from).await? {
                Deletion::Deleted => break,
                Deletion::HoldsMessages => {}
                Deletion::Consumed(consumers) => {
                    return Err(TopologyError::InUse {
                        queue: from.to_owned(),
                        consumers,
                    });
                }
            }
        }
        bounded(self.channel.queue_unbind(
            to.into(),
            self.exchange.into(),
            "".into(),
            FieldTable::default(),
        ))
        .await?;
        Ok(moved)
    }

    /// Copies the messages of `from` to `to`, taking each from `from` once its copy is
    /// confirmed, until `from` has none ready: a consumer with a window of [`MOVE_BATCH`] × 2
    /// deliveries, each batch published, confirmed, then acknowledged at once.
    async fn copy_all(&self, from: &str, to: &str) -> Result<u64, TopologyError> {
        let tag = format!("{from}.mover");
        let mut consumer = bounded(self.channel.basic_consume(
            from.into(),
            tag.as_str().into(),
            BasicConsumeOptions {
                no_local: false,
                no_ack: false, // acknowledged after the copy's confirm
                exclusive: false,
                nowait: false,
            },
            FieldTable::default(),
        ))
        .await?;
        let mut moved = 0;
        loop {
            let first = match tokio::time::timeout(MOVE_IDLE, consumer.next()).await {
                Ok(Some(delivery)) => delivery?,
                Ok(None) => return Err(TopologyError::Cancelled(from.to_owned())),
                Err(_) if counts(self.channel, from).await?.messages == 0 => break,
                Err(_) => continue,
            };
            let mut batch = vec![first];
            while batch.len() < MOVE_BATCH
                && let Some(Some(delivery)) = consumer.next().now_or_never()
            {
                batch.push(delivery?);
            }
            moved += self.copy(&batch, to).await?;
        }
        bounded(
            self.channel
                .basic_cancel(tag.as_str().into(), BasicCancelOptions { nowait: false }),
        )
        .await?;
        // What the broker delivered before it took the cancel.
        let mut rest = Vec::new();
        while let Some(Some(delivery)) = consumer.next().now_or_never() {
            rest.push(delivery?);
        }
        moved += self.copy(&rest, to).await?;
        Ok(moved)
    }

    /// Publishes a copy of each of `deliveries` to `to`, waits for the confirms and
    /// acknowledges the originals.
    async fn copy(&self, deliveries: &[Delivery], to: &str) -> Result<u64, TopologyError> {
        let Some(last) = deliveries.last() else {
            return Ok(0);
        };
        let mut confirms = Vec::with_capacity(deliveries.len());
        for delivery in deliveries {
            confirms.push(
                bounded(self.channel.basic_publish(
                    self.exchange.into(),
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
        bounded(
            self.channel
                .basic_ack(last.delivery_tag, BasicAckOptions { multiple: true }),
        )
        .await?;
        Ok(deliveries.len() as u64)
    }
}

/// A new channel with publisher confirms and a window of deliveries for a move's consumer.
pub(super) async fn confirming(connection: &Connection) -> Result<Channel, TopologyError> {
    let channel = bounded(connection.create_channel()).await?;
    bounded(channel.confirm_select(ConfirmSelectOptions { nowait: false })).await?;
    let window = u16::try_from(MOVE_BATCH * 2).unwrap_or(u16::MAX);
    bounded(channel.basic_qos(window, BasicQosOptions { global: false })).await?;
    Ok(channel)
}
