//! The operations of bet-maker: applying messages (a finish settles its event's bets), placing
//! a bet.

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
    /// How many bets the finish settled (every bet of the event).
    pub settled: u64,
}

/// Applies a message in a transaction of its own.
pub async fn apply_message(pool: &Pool, message: &IncomingMessage) -> Result<Applied, DbError> {
    let mut client = pool.get().await?;
    let transaction = client.transaction().await?;
    let outcome = apply(&transaction, message).await?;
    transaction.commit().await?;
    Ok(outcome)
}

/// Applies messages, in order, in one transaction (one commit for all of them). A finish is
/// one row's change whatever the number of bets (a bet's status is its event's), so a batch
/// holds each event's row for the same few milliseconds whatever it carries.
pub async fn apply_messages(
    pool: &Pool,
    messages: &[&IncomingMessage],
) -> Result<Vec<Applied>, DbError> {
    let mut client = pool.get().await?;
    let transaction = client.transaction().await?;
    let mut outcomes = Vec::with_capacity(messages.len());
    for message in messages {
        outcomes.push(apply(&transaction, message).await?);
    }
    transaction.commit().await?;
    Ok(outcomes)
}

/// The event's upsert and, when it finishes the event, the count of the bets it settles.
async fn apply(
    transaction: &deadpool_postgres::Transaction<'_>,
    message: &IncomingMessage,
) -> Result<Applied, DbError> {
    let event = &message.event;
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
