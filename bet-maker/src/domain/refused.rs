//! Why a bet is not placed: one type for every refusal, made where it is found (the bet's
//! statement) and answered in one place (`error.rs`).

use rust_decimal::Decimal;
use shared_messages::{EventId, EventStatus};
use time::OffsetDateTime;

use super::MoneyRefused;

/// Why a bet was refused, in the order the checks come: the event, then the stake, the odds,
/// the liability limit, and last the account's money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BetRefused {
    /// bet-maker knows no such event.
    #[error("no event with id \"{0}\"")]
    UnknownEvent(EventId),
    /// The event is finished or cancelled, or its deadline passed.
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
        /// The largest stake still accepted at the current odds (possibly zero).
        max_amount: Decimal,
    },
    /// The bet's account cannot give the stake: blocked, or too little available.
    #[error(transparent)]
    Funds(#[from] MoneyRefused),
}

impl BetRefused {
    /// The refusal's label on `bet_maker_bets_refused_total`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::UnknownEvent(_) => "unknown_event",
            Self::Closed { .. } => "closed",
            Self::StakeOutOfRange { .. } => "stake_out_of_range",
            Self::OddsChanged { .. } => "odds_changed",
            Self::LiabilityLimit { .. } => "liability_limit",
            Self::Funds(MoneyRefused::InsufficientFunds { .. }) => "insufficient_funds",
            Self::Funds(MoneyRefused::Blocked) => "account_blocked",
        }
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
