//! The operations of bet-maker: applying messages (a finish settles its event's bets), placing
//! a bet.

use std::collections::HashMap;

use deadpool_postgres::Pool;

use shared_messages::EventStatus;

use crate::db::{self, DbError};
use crate::domain::{BetStatus, IncomingEvent, Money};

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

/// How many times a batch is tried before its error is returned: only an event created by
/// another replica between the lock and the upsert can make a try fail, and the next try finds
/// it stored and locks it.
const APPLY_ATTEMPTS: usize = 3;

/// Applies a message's event in a transaction of its own.
pub async fn apply_event(pool: &Pool, event: &IncomingEvent) -> Result<Applied, DbError> {
    let mut outcomes = apply_events(pool, &[event]).await?;
    outcomes
        .pop()
        .ok_or_else(|| DbError::InvalidRow("no outcome for the message".into()))
}

/// Applies the events of several messages, in order, in one transaction (one commit for all)
/// and three statements whatever their number, three more for each event whose limit is
/// spread ([`apply_together`]). A finish is one row's
/// change whatever the number of bets (a bet's status is its event's), so a batch holds each
/// event's row for the same few milliseconds whatever it carries.
pub async fn apply_events(pool: &Pool, events: &[&IncomingEvent]) -> Result<Vec<Applied>, DbError> {
    let mut client = pool.get().await?;
    for _ in 0..APPLY_ATTEMPTS {
        let transaction = client.transaction().await?;
        if let Some(outcomes) = apply_together(&transaction, events).await? {
            transaction.commit().await?;
            return Ok(outcomes);
        }
        transaction.rollback().await?;
    }
    Err(DbError::Unavailable(
        "the events of the batch kept changing under it".into(),
    ))
}

/// What bet-maker holds of an event while a batch is worked out.
#[derive(Debug, Clone, Copy)]
struct Held {
    status: EventStatus,
    version: i64,
}

/// Applies a batch as one message after the other would, in three statements:
/// 1. lock the rows of its events and read their status and version;
/// 2. work out in order which messages apply (a newer version, and never a final status back
///    to `new`: the condition [`db::apply_events`] checks again) and write each event's last
///    applied state in one upsert; under the locks, no bet on these events runs until the
///    commit;
/// 3. count the bets of the events a message gave a final status, in a statement of its own
///    after the locks were granted: its snapshot sees every bet that committed while a lock was
///    awaited, and no bet can follow.
///
/// An event with an applied open version that has a liability limit has the last such limit
/// spread over its stripes after the upsert (three statements more for each), as one message
/// after the other would leave it. `None` when the upsert did not
/// write what the locked rows said it would: an event not stored at the lock was created
/// meanwhile by another replica (nothing of the transaction is to be kept).
async fn apply_together(
    transaction: &deadpool_postgres::Transaction<'_>,
    events: &[&IncomingEvent],
) -> Result<Option<Vec<Applied>>, DbError> {
    let mut ids: Vec<&str> = events.iter().map(|event| event.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() == events.len() && events.iter().all(|event| event.status == EventStatus::New) {
        return apply_open(transaction, events).await.map(Some);
    }
    let mut held: HashMap<&str, Held> = HashMap::with_capacity(ids.len());
    let stored = db::lock_events(transaction, &ids).await?;
    let stored_ids: Vec<&str> = stored.iter().map(|(id, _, _)| id.as_str()).collect();
    for (id, status, version) in &stored {
        if let Some(&key) = ids.iter().find(|key| **key == id.as_str()) {
            held.insert(
                key,
                Held {
                    status: *status,
                    version: *version,
                },
            );
        }
    }
    // Each message in order against what the ones before it left; the last applied per event
    // is what is written.
    let mut outcomes = Vec::with_capacity(events.len());
    let mut last: HashMap<&str, &IncomingEvent> = HashMap::with_capacity(ids.len());
    // The limit of each event's last applied open version that has one: where one message
    // after the other would have left the event's budgets, whatever followed (a final status
    // or a limit removed leaves them as they are).
    let mut limits: HashMap<&str, Money> = HashMap::new();
    for event in events {
        let id = event.id.as_str();
        let before = held.get(id).copied();
        let applied = before.is_none_or(|before| {
            before.version < event.version
                && (before.status == EventStatus::New || event.status != EventStatus::New)
        });
        if applied {
            held.insert(
                id,
                Held {
                    status: event.status,
                    version: event.version,
                },
            );
            last.insert(id, event);
            if event.status == EventStatus::New
                && let Some(max_liability) = event.limits.max_liability
            {
                limits.insert(id, max_liability);
            }
        }
        outcomes.push(Applied {
            applied,
            settled_as: BetStatus::settled_by(event.status).filter(|_| applied),
            settled: 0,
            resettled: applied && before.is_some_and(|before| before.status.is_final()),
        });
    }
    let mut writes: Vec<&IncomingEvent> = last.values().copied().collect();
    writes.sort_unstable_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
    let written = db::apply_events(transaction, &writes).await?;
    // Each event written as worked out: updated if it was stored (and locked), inserted if not.
    // An event another replica created in between was updated instead, or not at all.
    let as_worked_out = written.len() == writes.len()
        && written
            .iter()
            .all(|(id, inserted)| *inserted != stored_ids.contains(&id.as_str()));
    if !as_worked_out {
        return Ok(None);
    }
    let mut limits: Vec<(&str, Money)> = limits.into_iter().collect();
    limits.sort_unstable_by_key(|(id, _)| *id);
    for (id, max_liability) in limits {
        if let Some(event) = writes.iter().find(|event| event.id.as_str() == id) {
            db::spread_limit(transaction, &event.id, max_liability).await?;
        }
    }
    let mut settling: Vec<&str> = events
        .iter()
        .zip(&outcomes)
        .filter(|(_, outcome)| outcome.settled_as.is_some())
        .map(|(event, _)| event.id.as_str())
        .collect();
    settling.sort_unstable();
    settling.dedup();
    if !settling.is_empty() {
        let counts: HashMap<String, u64> = db::bets_on_events(transaction, &settling)
            .await?
            .into_iter()
            .collect();
        for (event, outcome) in events.iter().zip(&mut outcomes) {
            if outcome.settled_as.is_some() {
                outcome.settled = counts.get(event.id.as_str()).copied().unwrap_or(0);
            }
        }
    }
    Ok(Some(outcomes))
}

/// Applies a batch of open versions, each of another event, with the upsert alone: nothing is
/// to be settled and no final status replaced, and the upsert's rule decides each message as
/// it would alone; one statement fewer than [`apply_together`]'s way, and one round trip.
async fn apply_open(
    transaction: &deadpool_postgres::Transaction<'_>,
    events: &[&IncomingEvent],
) -> Result<Vec<Applied>, DbError> {
    let mut writes: Vec<&IncomingEvent> = events.to_vec();
    writes.sort_unstable_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
    let written = db::apply_events(transaction, &writes).await?;
    let applied = |id: &str| written.iter().any(|(written, _)| written == id);
    for event in &writes {
        if applied(event.id.as_str())
            && let Some(max_liability) = event.limits.max_liability
        {
            db::spread_limit(transaction, &event.id, max_liability).await?;
        }
    }
    Ok(events
        .iter()
        .map(|event| Applied {
            applied: applied(event.id.as_str()),
            settled_as: None,
            settled: 0,
            resettled: false,
        })
        .collect())
}

mod placing;
mod wallet;

pub use placing::{BetRequest, PlaceError, Placed, place_bet};
pub use wallet::{MoveError, Moved, deposit, open_account, rotate_token, signed_in, withdraw};
