//! Placing a bet: the Idempotency-Key rules, the placement (and, when the bet's stripe of its
//! event's liability limit ran out, the placement against the whole limit), and why a bet is
//! refused.

use deadpool_postgres::Pool;
use rust_decimal::Decimal;
use shared_messages::EventStatus;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::{self, DbError, NewBet, Placement};
use crate::domain::{Bet, Consent, EventId, IdempotencyKey, Money};
use crate::metrics::Metrics;

/// A bet request, parsed.
#[derive(Debug, Clone)]
pub struct BetRequest {
    /// The event to bet on.
    pub event_id: EventId,
    /// The stake.
    pub amount: Money,
    /// The price the bettor agreed to, when they said.
    pub consent: Option<Consent>,
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
    /// The stake is outside the event's limits.
    #[error("{}", out_of_range(.event_id, *.amount, *.min_stake, *.max_stake))]
    StakeOutOfRange {
        /// The event.
        event_id: EventId,
        /// The stake asked for.
        amount: Decimal,
        /// The smallest stake accepted, if any.
        min_stake: Option<Decimal>,
        /// The largest stake accepted, if any.
        max_stake: Option<Decimal>,
    },
    /// The event's odds are not the ones the bettor accepted.
    #[error(
        "the odds of event {event_id} are now {coefficient}, which you did not accept; \
             no bet was placed: send the new odds to take them"
    )]
    OddsChanged {
        /// The event.
        event_id: EventId,
        /// The current odds.
        coefficient: Decimal,
    },
    /// The bet would take the event's liability above its limit.
    #[error("{}", over_limit(.event_id, *.max_amount))]
    LiabilityLimit {
        /// The event.
        event_id: EventId,
        /// The largest stake still accepted at the current odds.
        max_amount: Decimal,
    },
    /// The Idempotency-Key was used for another bet.
    #[error("Idempotency-Key {0:?} was used for another bet")]
    KeyReused(String),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] DbError),
}

impl Refused {
    /// The refusal's label on `bet_maker_bets_refused_total`; `None` for a failure.
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            Self::UnknownEvent(_) => Some("unknown_event"),
            Self::Closed { .. } => Some("closed"),
            Self::StakeOutOfRange { .. } => Some("stake_out_of_range"),
            Self::OddsChanged { .. } => Some("odds_changed"),
            Self::LiabilityLimit { .. } => Some("liability_limit"),
            Self::KeyReused(_) => Some("idempotency_key_reused"),
            Self::Database(_) => None,
        }
    }
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

fn out_of_range(
    event_id: &EventId,
    amount: Decimal,
    min: Option<Decimal>,
    max: Option<Decimal>,
) -> String {
    let accepted = match (min, max) {
        (Some(min), Some(max)) => format!("from {min} to {max}"),
        (Some(min), None) => format!("of at least {min}"),
        (None, Some(max)) => format!("of at most {max}"),
        (None, None) => "of any size".to_owned(),
    };
    format!(
        "a stake of {amount} is outside the limits of event {event_id}: it takes stakes {accepted}"
    )
}

fn over_limit(event_id: &EventId, max_amount: Decimal) -> String {
    if max_amount.is_zero() {
        format!(
            "event {event_id} takes no more bets at its current odds: the book's liability limit on it is reached"
        )
    } else {
        format!(
            "this bet would take the book's liability on event {event_id} above its limit; \
                 a stake of at most {max_amount} is still accepted at the current odds"
        )
    }
}

/// Places a bet on an open event, at most once per Idempotency-Key.
pub async fn place_bet(
    pool: &Pool,
    metrics: &Metrics,
    request: BetRequest,
    key: Option<IdempotencyKey>,
) -> Result<Placed, Refused> {
    let outcome = place(pool, metrics, &request, key.as_ref()).await;
    if let Err(refused) = &outcome
        && let Some(reason) = refused.reason()
    {
        metrics.bets_refused.with_label_values(&[reason]).inc();
    }
    outcome
}

async fn place(
    pool: &Pool,
    metrics: &Metrics,
    request: &BetRequest,
    key: Option<&IdempotencyKey>,
) -> Result<Placed, Refused> {
    let mut client = pool.get().await?;
    if let Some(key) = key
        && let Some(earlier) = db::bet_by_idempotency_key(&client, key).await?
    {
        return replay(earlier, request, key);
    }
    let bet = NewBet {
        id: Uuid::now_v7(),
        event_id: &request.event_id,
        amount: request.amount,
        idempotency_key: key,
        consent: request.consent,
    };
    let mut placement = db::place_bet(&client, &bet).await;
    if let Ok(Placement::StripeFull) = placement {
        // Its connection's share of the liability limit is used up: decide on the whole limit.
        metrics.limit_spreads.inc();
        placement = db::place_bet_within_limit(&mut client, &bet).await;
    }
    let event_id = || request.event_id.clone();
    match (placement, key) {
        (Ok(Placement::Placed(bet)), _) => {
            metrics.bets_placed.inc();
            tracing::info!(bet_id = %bet.id, event_id = %bet.event_id, amount = %bet.amount.value(), coefficient = %bet.coefficient, "bet placed");
            Ok(Placed::New(bet))
        }
        (Ok(Placement::UnknownEvent), _) => Err(Refused::UnknownEvent(event_id())),
        (Ok(Placement::Closed { status, deadline }), _) => Err(Refused::Closed {
            event_id: event_id(),
            status,
            deadline,
        }),
        (
            Ok(Placement::StakeOutOfRange {
                min_stake,
                max_stake,
            }),
            _,
        ) => Err(Refused::StakeOutOfRange {
            event_id: event_id(),
            amount: request.amount.value(),
            min_stake,
            max_stake,
        }),
        (Ok(Placement::OddsChanged { coefficient }), _) => Err(Refused::OddsChanged {
            event_id: event_id(),
            coefficient,
        }),
        (Ok(Placement::LiabilityLimit { max_amount }), _) => Err(Refused::LiabilityLimit {
            event_id: event_id(),
            max_amount,
        }),
        (Ok(Placement::StripeFull), _) => Err(DbError::InvalidRow(
            "a bet placed against the whole limit found its stripe full".to_owned(),
        )
        .into()),
        // Another request with the same key committed between our look-up and our insert.
        (Err(DbError::Constraint(name)), Some(key)) if name == "bets_idempotency_key_unique" => {
            match db::bet_by_idempotency_key(&client, key).await? {
                Some(earlier) => replay(earlier, request, key),
                None => {
                    Err(DbError::InvalidRow(format!("idempotency key {key:?} vanished")).into())
                }
            }
        }
        (Err(error), _) => Err(error.into()),
    }
}

/// The bet an earlier request with the same key placed, if this request is the same bet: the
/// same event, stake and consent to the price.
fn replay(
    (earlier, consent): (Bet, Option<Consent>),
    request: &BetRequest,
    key: &IdempotencyKey,
) -> Result<Placed, Refused> {
    if earlier.event_id == request.event_id
        && earlier.amount == request.amount
        && consent == request.consent
    {
        Ok(Placed::Replayed(earlier))
    } else {
        Err(Refused::KeyReused(key.as_str().to_owned()))
    }
}
