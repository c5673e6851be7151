//! The operations of line-provider. A change of an event is decided on the stored event and
//! written as the next version with the message reporting it, if the event is still at the
//! version read, by the writer that reads, decides and writes the changes of concurrent
//! requests together ([`crate::commits`]); then the outbox relay is woken. Re-publishing is
//! one transaction.

use shared_messages::{EventChange, EventId, EventStatus};
use time::OffsetDateTime;

use crate::commits::{Changed, Decide};
use crate::db::{self, OutboxMessage};
use crate::domain::{Correction, Event, EventChanges, Finish, NewEvent};
use crate::error::ApiError;
use crate::outbox;
use crate::state::AppState;

/// Events re-published per statement by [`republish_all`].
const REPUBLISH_CHUNK: i64 = 1_000;

/// Creates an event at version 1 and enqueues `event.created`, in one statement (with the
/// other changes written at the same moment).
pub async fn create_event(state: &AppState, new: NewEvent) -> Result<Event, ApiError> {
    let id = match new.id {
        Some(id) => id,
        None => EventId::parse(uuid::Uuid::now_v7().to_string()).map_err(ApiError::internal)?,
    };
    let event = Event::created(
        id,
        new.coefficient,
        new.deadline,
        new.limits,
        OffsetDateTime::now_utc(),
    );
    let message = message_for(&event, EventChange::Created)?;
    if !state.commits.insert(&event, &message).await? {
        return Err(ApiError::EventExists(event.id.to_string()));
    }
    committed(state, &event, &message, EventChange::Created);
    Ok(event)
}

/// Changes odds, deadline and/or limits of an unfinished event; a change to the same values is
/// a no-op that neither bumps the version nor sends a message.
pub async fn change_event(
    state: &AppState,
    id: &EventId,
    changes: EventChanges,
) -> Result<Event, ApiError> {
    change(state, id, EventChange::Updated, move |current, at| {
        current.changed(changes, at)
    })
    .await
}

/// Gives an event its result; the same result again is a no-op.
pub async fn finish_event(
    state: &AppState,
    id: &EventId,
    finish: Finish,
) -> Result<Event, ApiError> {
    let kind = match finish.status() {
        EventStatus::Cancelled => EventChange::Cancelled,
        _ => EventChange::Finished,
    };
    change(state, id, kind, move |current, at| {
        current.finished(&finish, at)
    })
    .await
}

/// Corrects the final status of a finished or cancelled event (a new version, published as
/// `event.corrected`); its current state when it already has that status.
pub async fn correct_event(
    state: &AppState,
    id: &EventId,
    correction: Correction,
) -> Result<Event, ApiError> {
    change(state, id, EventChange::Corrected, move |current, at| {
        current.corrected(&correction, at)
    })
    .await
}

/// Has the writer read the event, let `decide` say what it becomes now (`None`: nothing
/// changes), and write that with its message in one statement, provided nobody changed the
/// event in between (otherwise it decides again on what they wrote).
async fn change<Refused>(
    state: &AppState,
    id: &EventId,
    kind: EventChange,
    decide: impl Fn(&Event, OffsetDateTime) -> Result<Option<Event>, Refused> + Send + Sync + 'static,
) -> Result<Event, ApiError>
where
    ApiError: From<Refused>,
{
    let decide: Decide = Box::new(move |current, at| decide(current, at).map_err(ApiError::from));
    match state.commits.change(id, kind, decide).await? {
        Changed::Written { event, message } => {
            committed(state, &event, &message, kind);
            Ok(event)
        }
        Changed::Unchanged(event) => Ok(event),
    }
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
            .map_err(ApiError::internal)?;
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

fn message_for(event: &Event, change: EventChange) -> Result<OutboxMessage, ApiError> {
    outbox::message_for(event, change).map_err(ApiError::internal)
}

/// After a change and its message committed: wakes the relay, counts and logs the change.
fn committed(state: &AppState, event: &Event, message: &OutboxMessage, change: EventChange) {
    state.relay.wake();
    state
        .metrics
        .event_changes
        .with_label_values(&[change.routing_key()])
        .inc();
    tracing::info!(event_id = %event.id, version = event.version, routing_key = %change,
        message_id = %message.message_id, "event changed");
}
