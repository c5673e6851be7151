//! The operations of bet-maker: applying messages (a finish settles its event's bets), placing
//! a bet.

use deadpool_postgres::Pool;
use uuid::Uuid;

use shared_messages::EventStatus;
use time::OffsetDateTime;

use crate::db::{self, DbError, Placement};
use crate::domain::{Amount, Bet, BetStatus, EventId, IdempotencyKey, IncomingEvent};
use crate::metrics::Metrics;

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

/// A bet request, parsed.
#[derive(Debug, Clone)]
pub struct BetRequest {
    /// The event to bet on.
    pub event_id: EventId,
    /// The stake.
    pub amount: Amount,
}

/// A bet and whether it was placed now or found from an earlier request with the same key.
#[derive(Debug)]
pub enum Placed {
    /// Placed by this request.
    New(Bet),
    /// Placed earlier with the same Idempotency-Key and the same body.
    Replayed(Bet),
}

/// Why a bet was not placed.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// bet-maker knows no such event.
    #[error("no event with id {0:?}")]
    UnknownEvent(EventId),
    /// The event is finished, or its deadline passed.
    #[error("{}", closed(.event_id, *.status, *.deadline))]
    Closed {
        /// The event.
        event_id: EventId,
        /// Its status.
        status: EventStatus,
        /// Its deadline.
        deadline: OffsetDateTime,
    },
    /// The Idempotency-Key was used for another bet.
    #[error("Idempotency-Key {0:?} was used for another bet")]
    KeyReused(String),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<deadpool_postgres::PoolError> for Refused {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        Self::Database(error.into())
    }
}

fn closed(event_id: &EventId, status: EventStatus, deadline: OffsetDateTime) -> String {
    if status.is_final() {
        format!("event {event_id} is {status}; it takes no more bets")
    } else {
        let deadline = deadline
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        format!("betting on event {event_id} closed at {deadline}")
    }
}

/// Places a bet on an open event, at most once per Idempotency-Key.
pub async fn place_bet(
    pool: &Pool,
    metrics: &Metrics,
    request: BetRequest,
    key: Option<IdempotencyKey>,
) -> Result<Placed, Refused> {
    let client = pool.get().await?;
    if let Some(key) = &key
        && let Some(earlier) = db::bet_by_idempotency_key(&client, key).await?
    {
        return replay(earlier, &request, key);
    }
    let placement = db::place_bet(
        &client,
        Uuid::now_v7(),
        &request.event_id,
        request.amount,
        key.as_ref(),
    )
    .await;
    match (placement, key) {
        (Ok(Placement::Placed(bet)), _) => {
            metrics.bets_placed.inc();
            tracing::info!(bet_id = %bet.id, event_id = %bet.event_id, amount = %bet.amount.value(), "bet placed");
            Ok(Placed::New(bet))
        }
        (Ok(Placement::UnknownEvent), _) => Err(Refused::UnknownEvent(request.event_id)),
        (Ok(Placement::Closed { status, deadline }), _) => Err(Refused::Closed {
            event_id: request.event_id,
            status,
            deadline,
        }),
        // Another request with the same key committed between our look-up and our insert.
        (Err(DbError::Constraint(name)), Some(key)) if name == "bets_idempotency_key_unique" => {
            match db::bet_by_idempotency_key(&client, &key).await? {
                Some(earlier) => replay(earlier, &request, &key),
                None => {
                    Err(DbError::InvalidRow(format!("idempotency key {key:?} vanished")).into())
                }
            }
        }
        (Err(error), _) => Err(error.into()),
    }
}

fn replay(earlier: Bet, request: &BetRequest, key: &IdempotencyKey) -> Result<Placed, Refused> {
    if earlier.event_id == request.event_id && earlier.amount == request.amount {
        Ok(Placed::Replayed(earlier))
    } else {
        Err(Refused::KeyReused(key.as_str().to_owned()))
    }
}
