//! The operations of line-provider. A change of an event is decided on the stored event and
//! written as the next version with the message reporting it, if the event is still at the
//! version read, by the writer that reads, decides and writes the changes of concurrent
//! requests together ([`crate::commits`]); then the outbox relay is woken. Re-publishing is
//! one transaction.

use std::sync::Arc;

use shared_messages::{EventChange, EventId, EventStatus};
use time::OffsetDateTime;

use crate::commits::{Changed, Decide, Handed, committed};
use crate::db::{self, OutboxMessage};
use crate::domain::{Correction, Event, EventChanges, Finish, NewEvent};
use crate::error::ApiError;
use crate::outbox;
use crate::state::AppState;

/// Events re-published per statement by [`republish_all`].
const REPUBLISH_CHUNK: i64 = 1_000;

/// How many times a change made alone is decided on the stored event and written before the
/// request gives up (503): each failed write means another change of the event committed
/// first.
const CHANGE_ATTEMPTS: usize = 50;

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
    let written = match state.commits.insert(&event, &message).await? {
        Handed::Done(written) => written,
        Handed::Alone => {
            let _alone = state.commits.alone().await?;
            let client = state.pool.get().await?;
            let written = !db::insert_events_with_messages(&client, &[(&event, &message)])
                .await?
                .is_empty();
            if written {
                state.relay.wake();
                committed(&state.metrics, &event, &message, EventChange::Created);
            }
            written
        }
    };
    if !written {
        return Err(ApiError::EventExists(event.id.to_string()));
    }
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
/// changes), and write that with its message; or, when the writer hands it back, does the
/// same alone ([`change_alone`]).
async fn change<Refused>(
    state: &AppState,
    id: &EventId,
    kind: EventChange,
    decide: impl Fn(&Event, OffsetDateTime) -> Result<Option<Event>, Refused> + Send + Sync + 'static,
) -> Result<Event, ApiError>
where
    ApiError: From<Refused>,
{
    let decide: Decide = Arc::new(move |current, at| decide(current, at).map_err(ApiError::from));
    match state.commits.change(id, kind, decide.clone()).await? {
        Handed::Done(Changed::Written(event) | Changed::Unchanged(event)) => Ok(event),
        Handed::Alone => change_alone(state, id, kind, &decide).await,
    }
}

/// Reads the event, decides, and writes the next version with its message in one statement
/// on a connection of the request's own, provided nobody changed the event in between
/// (the statement waits for a session holding the row); otherwise decides again on what they
/// wrote, [`CHANGE_ATTEMPTS`] times at most.
async fn change_alone(
    state: &AppState,
    id: &EventId,
    kind: EventChange,
    decide: &Decide,
) -> Result<Event, ApiError> {
    let _alone = state.commits.alone().await?;
    let client = state.pool.get().await?;
    for _ in 0..CHANGE_ATTEMPTS {
        let current = db::get_event(&client, id)
            .await?
            .ok_or_else(|| ApiError::EventNotFound(id.to_string()))?;
        let Some(event) = decide(&current, OffsetDateTime::now_utc())? else {
            return Ok(current);
        };
        let message = message_for(&event, kind)?;
        if !db::update_events_with_messages(&client, &[(&event, &message)])
            .await?
            .is_empty()
        {
            state.relay.wake();
            committed(&state.metrics, &event, &message, kind);
            return Ok(event);
        }
        state.metrics.change_retries.inc();
    }
    Err(ApiError::EventBusy(id.to_string()))
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
