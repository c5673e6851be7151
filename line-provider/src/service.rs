//! The operations of line-provider: each changes events and writes the messages reporting the
//! change in one transaction, then wakes the outbox relay.

use deadpool_postgres::Transaction;
use shared_messages::{EventChange, EventId};

use crate::db::{self, OutboxMessage};
use crate::domain::{Event, EventChanges, Finish, FinishOutcome, NewEvent};
use crate::error::ApiError;
use crate::outbox;
use crate::state::AppState;

/// Events re-published per statement by [`republish_all`].
const REPUBLISH_CHUNK: i64 = 1_000;

/// Creates an event at version 1 and enqueues `event.created`.
pub async fn create_event(state: &AppState, new: NewEvent) -> Result<Event, ApiError> {
    let id = match new.id {
        Some(id) => id,
        None => EventId::parse(uuid::Uuid::now_v7().to_string())
            .map_err(|e| ApiError::Internal(e.into()))?,
    };
    let mut client = state.pool.get().await?;
    let transaction = client.transaction().await?;
    let event = db::insert_event(&transaction, &id, new.coefficient, new.deadline)
        .await?
        .ok_or_else(|| ApiError::EventExists(id.to_string()))?;
    commit_with_message(state, transaction, &event, EventChange::Created).await?;
    Ok(event)
}

/// Changes odds and/or deadline of an unfinished event; a change to the same values is a
/// no-op that neither bumps the version nor sends a message.
pub async fn change_event(
    state: &AppState,
    id: &EventId,
    changes: EventChanges,
) -> Result<Event, ApiError> {
    let mut client = state.pool.get().await?;
    let transaction = client.transaction().await?;
    let current = locked(&transaction, id).await?;
    let Some((coefficient, deadline)) = current.changed(changes)? else {
        return Ok(current);
    };
    let event = db::update_event(&transaction, id, coefficient, deadline).await?;
    commit_with_message(state, transaction, &event, EventChange::Updated).await?;
    Ok(event)
}

/// Gives an event its result; the same result again is a no-op.
pub async fn finish_event(
    state: &AppState,
    id: &EventId,
    finish: Finish,
) -> Result<Event, ApiError> {
    let mut client = state.pool.get().await?;
    let transaction = client.transaction().await?;
    let current = locked(&transaction, id).await?;
    let FinishOutcome::Finish(status) = current.finishing(finish)? else {
        return Ok(current);
    };
    let event = db::finish_event(&transaction, id, status).await?;
    commit_with_message(state, transaction, &event, EventChange::Finished).await?;
    Ok(event)
}

/// Enqueues a message with the current state of every event, for a consumer that lost its
/// copy; harmless for the others, which ignore versions they already hold.
pub async fn republish_all(state: &AppState) -> Result<usize, ApiError> {
    let mut client = state.pool.get().await?;
    let transaction = client.transaction().await?;
    let mut count = 0;
    let mut after: Option<String> = None;
    loop {
        let events =
            db::events_page_for_share(&transaction, after.as_deref(), REPUBLISH_CHUNK).await?;
        let messages = events
            .iter()
            .map(|event| outbox::message_for(event, EventChange::describing(&event.snapshot())))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ApiError::Internal(e.into()))?;
        db::enqueue(&transaction, &messages).await?;
        count += events.len();
        match events.last() {
            Some(last) if events.len() == REPUBLISH_CHUNK as usize => {
                after = Some(last.id.to_string())
            }
            _ => break,
        }
    }
    transaction.commit().await?;
    state.relay.wake();
    tracing::info!(
        events = count,
        "re-published the current state of every event"
    );
    Ok(count)
}

async fn locked(transaction: &Transaction<'_>, id: &EventId) -> Result<Event, ApiError> {
    db::lock_event(transaction, id)
        .await?
        .ok_or_else(|| ApiError::EventNotFound(id.to_string()))
}

async fn commit_with_message(
    state: &AppState,
    transaction: Transaction<'_>,
    event: &Event,
    change: EventChange,
) -> Result<(), ApiError> {
    let message: OutboxMessage =
        outbox::message_for(event, change).map_err(|e| ApiError::Internal(e.into()))?;
    db::enqueue(&transaction, std::slice::from_ref(&message)).await?;
    transaction.commit().await?;
    state.relay.wake();
    state
        .metrics
        .event_changes
        .with_label_values(&[change.routing_key()])
        .inc();
    tracing::info!(event_id = %event.id, version = event.version, routing_key = %change,
        message_id = %message.message_id, "event changed");
    Ok(())
}
