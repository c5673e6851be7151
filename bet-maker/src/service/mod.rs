//! The operations of bet-maker: applying messages (a finish settles its event's bets), placing
//! a bet.

use deadpool_postgres::Pool;

use shared_messages::EventStatus;

use crate::db::{self, DbError};
use crate::domain::{BetStatus, IncomingEvent};

/// What applying a message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Whether the events table changed (false: stale, duplicate, or it would take a final
    /// event back to `new`).
    pub applied: bool,
    /// The bets' outcome when the message gave the event a final status.
    pub settled_as: Option<BetStatus>,
    /// How many bets it settled (every bet of the event).
    pub settled: u64,
    /// Whether the event already had a final status: the bets were settled before and now
    /// follow a correction.
    pub resettled: bool,
}

/// Applies a message's event in a transaction of its own.
pub async fn apply_event(pool: &Pool, event: &IncomingEvent) -> Result<Applied, DbError> {
    let mut client = pool.get().await?;
    let transaction = client.transaction().await?;
    let outcome = apply(&transaction, event).await?;
    transaction.commit().await?;
    Ok(outcome)
}

/// Applies the events of several messages, in order, in one transaction (one commit for all).
/// A finish is one row's change whatever the number of bets (a bet's status is its event's),
/// so a batch holds each event's row for the same few milliseconds whatever it carries.
pub async fn apply_events(pool: &Pool, events: &[&IncomingEvent]) -> Result<Vec<Applied>, DbError> {
    let mut client = pool.get().await?;
    let transaction = client.transaction().await?;
    let mut outcomes = Vec::with_capacity(events.len());
    for event in events {
        outcomes.push(apply(&transaction, event).await?);
    }
    transaction.commit().await?;
    Ok(outcomes)
}

/// The event's upsert and, when it finishes the event, the count of the bets it settles.
async fn apply(
    transaction: &deadpool_postgres::Transaction<'_>,
    event: &IncomingEvent,
) -> Result<Applied, DbError> {
    // Only a final status can correct an earlier one: for it, read what it replaces, under the
    // row lock its upsert needs anyway.
    let before = if event.status.is_final() {
        db::lock_event_status(transaction, &event.id).await?
    } else {
        None
    };
    let applied = db::apply_event(transaction, event).await?;
    // Under the row lock the upsert took: no bet on the event runs until the commit. (A limit
    // removed needs nothing: a stripe that runs out finds no limit and drops the budgets.)
    if applied
        && event.status == EventStatus::New
        && let Some(max_liability) = event.limits.max_liability
    {
        db::spread_limit(transaction, &event.id, max_liability).await?;
    }
    let (settled_as, settled) = match BetStatus::settled_by(event.status) {
        // A statement of its own, after the event's row lock was granted: its snapshot sees
        // every bet that committed while the lock was awaited, and no bet can follow.
        Some(result) if applied => (
            Some(result),
            db::bets_on_event(transaction, &event.id).await?,
        ),
        _ => (None, 0),
    };
    Ok(Applied {
        applied,
        settled_as,
        settled,
        resettled: applied && before.is_some_and(EventStatus::is_final),
    })
}

mod placing;

pub use placing::{BetRequest, Placed, Refused, place_bet};
