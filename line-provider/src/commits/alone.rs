//! Work the writer handed back, done by its request alone: on a connection of its own, waiting
//! for a row another session holds, as every change was made before group commit. At most
//! [`super::ALONE`] requests at a time, so that those waiting for a held row never take the
//! pool from the writer and the reads; the others wait for their turn without a connection.

use time::OffsetDateTime;

use super::{Committer, Decide, WriteError, committed, stopped};
use crate::db::{self, OutboxMessage};
use crate::domain::{Event, EventId, Refused};
use crate::outbox;
use shared_messages::EventChange;

/// How many times a change made alone is decided on the stored event and written before the
/// request gives up (503): each failed write means another change of the event committed
/// first.
const CHANGE_ATTEMPTS: usize = 50;

/// Inserts a new event with its message; `false` (nothing written) when the id is taken.
pub(super) async fn insert(
    committer: &Committer,
    event: &Event,
    message: &OutboxMessage,
) -> Result<bool, WriteError> {
    let _turn = committer.alone.acquire().await.map_err(|_| stopped())?;
    let client = committer.pool.get().await?;
    let written = !db::insert_events_with_messages(&client, &[(event, message)])
        .await?
        .is_empty();
    if written {
        committer.relay.wake();
        committed(&committer.metrics, event, message, EventChange::Created);
    }
    Ok(written)
}

/// Reads the event, decides, and writes the next version with its message in one statement,
/// provided nobody changed the event in between (the statement waits for a session holding
/// the row); otherwise decides again on what they wrote, [`CHANGE_ATTEMPTS`] times at most.
pub(super) async fn change(
    committer: &Committer,
    id: &EventId,
    kind: EventChange,
    decide: &Decide,
) -> Result<Event, WriteError> {
    let _turn = committer.alone.acquire().await.map_err(|_| stopped())?;
    let client = committer.pool.get().await?;
    for _ in 0..CHANGE_ATTEMPTS {
        let current = db::get_event(&client, id)
            .await?
            .ok_or_else(|| Refused::NotFound(id.clone()))?;
        let Some(event) = decide(&current, OffsetDateTime::now_utc()).map_err(Refused::from)?
        else {
            return Ok(current);
        };
        let message = outbox::message_for(&event, kind)?;
        if !db::update_events_with_messages(&client, &[(&event, &message)])
            .await?
            .is_empty()
        {
            committer.relay.wake();
            committed(&committer.metrics, &event, &message, kind);
            return Ok(event);
        }
        committer.metrics.change_retries.inc();
    }
    Err(Refused::Busy(id.clone()).into())
}
