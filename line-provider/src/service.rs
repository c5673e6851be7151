//! The operations of line-provider, each as the rule that decides it: a new event's first
//! version, and a change decided on the stored event (the event's own rules, in `domain`).
//! The [`Committer`] writes each with the message reporting it, or says why not.

use shared_messages::{EventChange, EventId, EventStatus};
use time::OffsetDateTime;

use crate::commits::{Committer, WriteError};
use crate::domain::{Correction, Event, EventChanges, Finish, NewEvent};

/// Creates an event at version 1 (its id made here when the operator gave none) and enqueues
/// `event.created`.
pub async fn create_event(commits: &Committer, new: NewEvent) -> Result<Event, WriteError> {
    let id = match new.id {
        Some(id) => id,
        None => EventId::from_uuid(uuid::Uuid::now_v7()),
    };
    let event = Event::created(
        id,
        new.coefficient,
        new.deadline,
        new.limits,
        OffsetDateTime::now_utc(),
    );
    commits.insert(event).await
}

/// Changes odds, deadline and/or limits of an unfinished event; a change to the same values is
/// a no-op that neither bumps the version nor sends a message.
pub async fn change_event(
    commits: &Committer,
    id: &EventId,
    changes: EventChanges,
) -> Result<Event, WriteError> {
    commits
        .change(id, EventChange::Updated, move |current, at| {
            current.changed(changes, at)
        })
        .await
}

/// Gives an event its result, or cancels it; the same status again is a no-op.
pub async fn finish_event(
    commits: &Committer,
    id: &EventId,
    finish: Finish,
) -> Result<Event, WriteError> {
    let kind = match finish.status() {
        EventStatus::Cancelled => EventChange::Cancelled,
        _ => EventChange::Finished,
    };
    commits
        .change(id, kind, move |current, at| current.finished(&finish, at))
        .await
}

/// Corrects the final status of a finished or cancelled event (a new version, published as
/// `event.corrected`); its current state when it already has that status.
pub async fn correct_event(
    commits: &Committer,
    id: &EventId,
    correction: Correction,
) -> Result<Event, WriteError> {
    commits
        .change(id, EventChange::Corrected, move |current, at| {
            current.corrected(&correction, at)
        })
        .await
}

/// Enqueues a message with the current state of every event, for a consumer that lost its
/// copy; how many events.
pub async fn republish_all(commits: &Committer) -> Result<usize, WriteError> {
    commits.republish_all().await
}
