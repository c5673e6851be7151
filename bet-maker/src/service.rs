//! The operations of bet-maker: applying a message (and settling), placing a bet.

use deadpool_postgres::Pool;
use uuid::Uuid;

use crate::consumer::IncomingMessage;
use crate::db::{self, DbError, Placement};
use crate::domain::{Amount, Bet, BetStatus, EventId, IdempotencyKey};
use crate::error::ApiError;
use crate::state::AppState;

/// What applying a message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Whether the events table changed (false: stale, duplicate, or the event is final).
    pub applied: bool,
    /// The bets' outcome when the message finished the event.
    pub settled_as: Option<BetStatus>,
    /// How many bets were settled.
    pub settled: u64,
}

/// Applies a message in one transaction: the event when its version is newer, and when that
/// finishes the event, the settlement of every pending bet on it.
pub async fn apply_message(pool: &Pool, message: &IncomingMessage) -> Result<Applied, DbError> {
    let event = &message.event;
    let outcome = BetStatus::settled_by(event.status);
    let mut client = pool.get().await?;
    let transaction = client.transaction().await?;
    if outcome.is_some() {
        db::allow_long_statements(&transaction).await?;
    }
    let applied = db::apply_event(&transaction, event).await?;
    let (settled_as, settled) = match outcome {
        // A separate statement, after the event row is locked: its snapshot sees every bet
        // that committed while the lock was awaited.
        Some(result) if applied => (
            Some(result),
            db::settle_bets(&transaction, &event.id, result).await?,
        ),
        _ => (None, 0),
    };
    transaction.commit().await?;
    Ok(Applied {
        applied,
        settled_as,
        settled,
    })
}

/// The most pending bets a batch of messages settles in all. A batch whose finishes would
/// settle more is applied one message at a time, so that a long settlement holds no other
/// event's row (bets on those events would wait for it).
pub const BATCH_SETTLEMENT_LIMIT: i64 = 10_000;

/// Applies several messages, in order, in one transaction (one commit for all of them).
/// Returns `None`, having changed nothing, when its finishes would settle more than
/// [`BATCH_SETTLEMENT_LIMIT`] bets in all: the caller then applies the messages one at a time.
pub async fn apply_batch(
    pool: &Pool,
    messages: &[&IncomingMessage],
) -> Result<Option<Vec<Applied>>, DbError> {
    let mut client = pool.get().await?;
    let transaction = client.transaction().await?;
    let mut outcomes = Vec::with_capacity(messages.len());
    // Pending bets this batch settles in all: the time it holds every event row it touched.
    let mut settling = 0;
    for message in messages {
        let event = &message.event;
        let applied = db::apply_event(&transaction, event).await?;
        let (settled_as, settled) = match BetStatus::settled_by(event.status) {
            Some(result) if applied => {
                // The event's row is locked now: no bet can join the ones counted.
                let budget = BATCH_SETTLEMENT_LIMIT - settling;
                let pending = db::pending_bets(&transaction, &event.id, budget + 1).await?;
                settling += pending;
                if settling > BATCH_SETTLEMENT_LIMIT {
                    transaction.rollback().await?;
                    return Ok(None);
                }
                (
                    Some(result),
                    db::settle_bets(&transaction, &event.id, result).await?,
                )
            }
            _ => (None, 0),
        };
        outcomes.push(Applied {
            applied,
            settled_as,
            settled,
        });
    }
    transaction.commit().await?;
    Ok(Some(outcomes))
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

/// Places a bet on an open event, at most once per Idempotency-Key.
pub async fn place_bet(
    state: &AppState,
    request: BetRequest,
    key: Option<IdempotencyKey>,
) -> Result<Placed, ApiError> {
    let client = state.pool.get().await?;
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
    match placement {
        Ok(Placement::Placed(bet)) => {
            state.metrics.bets_placed.inc();
            tracing::info!(bet_id = %bet.id, event_id = %bet.event_id, amount = %bet.amount.value(), "bet placed");
            Ok(Placed::New(bet))
        }
        Ok(Placement::UnknownEvent) => Err(ApiError::EventNotFound(request.event_id.to_string())),
        Ok(Placement::Closed { status, deadline }) => {
            Err(ApiError::EventClosed(if status.is_finished() {
                format!(
                    "event {} is finished ({status}); it takes no more bets",
                    request.event_id
                )
            } else {
                let deadline = deadline
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default();
                format!("betting on event {} closed at {deadline}", request.event_id)
            }))
        }
        // Only a settlement holds an event's row lock for long: the event is finishing.
        Err(DbError::LockTimeout) => Err(ApiError::EventClosed(format!(
            "event {} is being settled; it takes no more bets",
            request.event_id
        ))),
        // Another request with the same key committed between our look-up and our insert.
        Err(DbError::Constraint(name)) if name == "bets_idempotency_key_unique" => {
            let key = key
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("key conflict without a key")))?;
            let earlier = db::bet_by_idempotency_key(&client, &key)
                .await?
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("idempotency key vanished")))?;
            replay(earlier, &request, &key)
        }
        Err(error) => Err(error.into()),
    }
}

fn replay(earlier: Bet, request: &BetRequest, key: &IdempotencyKey) -> Result<Placed, ApiError> {
    if earlier.event_id == request.event_id && earlier.amount == request.amount {
        Ok(Placed::Replayed(earlier))
    } else {
        Err(ApiError::IdempotencyKeyReused(key.as_str().to_owned()))
    }
}
