//! Re-publishing: a message with the current state of every event, for a consumer that lost
//! its copy; harmless for the others, which ignore versions they already hold.

use shared_messages::EventChange;

use super::{Committer, WriteError};
use crate::db;
use crate::outbox;

/// Events re-published per statement.
const CHUNK: i64 = 1_000;

impl Committer {
    /// Enqueues a message with the current state of every event, in one transaction that
    /// holds them `FOR SHARE` (so a change waits, and its message follows this one), and wakes
    /// the relay; how many events.
    pub async fn republish_all(&self) -> Result<usize, WriteError> {
        let mut client = self.pool.get().await?;
        let transaction = client.transaction().await?;
        let mut count = 0;
        let mut after: Option<String> = None;
        loop {
            let events = db::events_page_for_share(&transaction, after.as_deref(), CHUNK).await?;
            let messages = events
                .iter()
                .map(|event| outbox::message_for(event, EventChange::describing(&event.snapshot())))
                .collect::<Result<Vec<_>, _>>()?;
            db::enqueue(&transaction, &messages).await?;
            count += events.len();
            match events.last() {
                Some(last) if events.len() == CHUNK as usize => after = Some(last.id.to_string()),
                _ => break,
            }
        }
        transaction.commit().await?;
        self.relay.wake();
        tracing::info!(
            events = count,
            "re-published the current state of every event"
        );
        Ok(count)
    }
}
