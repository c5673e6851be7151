//! Events as bet-maker knows them: copies of line-provider's, at the newest version seen.

use rust_decimal::Decimal;
use shared_messages::{EventId, EventSnapshot, EventStatus};
use time::OffsetDateTime;

use super::Money;

/// A message's event, checked against the contract before it may touch the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingEvent {
    /// The event's id.
    pub id: EventId,
    /// Its odds, greater than zero, at most 10 000.00, two decimals.
    pub coefficient: Decimal,
    /// Bets are accepted strictly before it.
    pub deadline: OffsetDateTime,
    /// Where it stands.
    pub status: EventStatus,
    /// line-provider's version, at least 1.
    pub version: i64,
    /// What bet-maker accepts on it.
    pub limits: Limits,
}

/// An event's limits; `None` for each that is not set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// The smallest stake accepted.
    pub min_stake: Option<Money>,
    /// The largest stake accepted.
    pub max_stake: Option<Money>,
    /// The most the book may lose if the event is won: the sum over its bets of
    /// `amount × (coefficient − 1)`.
    pub max_liability: Option<Money>,
}

/// Why a message's event can never be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidEvent {
    /// The odds break the contract.
    #[error("coefficient {0} is not a positive amount of at most 10000.00 with two decimals")]
    Coefficient(Decimal),
    /// The version is 0 or does not fit the database.
    #[error("version {0} is out of range")]
    Version(u64),
    /// A limit is not an amount, or the smallest stake is above the largest.
    #[error("{0}")]
    Limit(String),
}

impl IncomingEvent {
    /// Checks what the types of the message do not.
    pub fn from_snapshot(snapshot: &EventSnapshot) -> Result<Self, InvalidEvent> {
        let coefficient = snapshot.coefficient;
        let max = Decimal::new(1_000_000, 2);
        if coefficient <= Decimal::ZERO || coefficient > max || coefficient.normalize().scale() > 2
        {
            return Err(InvalidEvent::Coefficient(coefficient));
        }
        let version = i64::try_from(snapshot.version)
            .ok()
            .filter(|v| *v >= 1)
            .ok_or(InvalidEvent::Version(snapshot.version))?;
        Ok(Self {
            id: snapshot.id.clone(),
            coefficient,
            deadline: snapshot.deadline,
            status: snapshot.status,
            version,
            limits: Limits::from_snapshot(snapshot)?,
        })
    }
}

impl Limits {
    fn from_snapshot(snapshot: &EventSnapshot) -> Result<Self, InvalidEvent> {
        let amount = |field: &'static str, value: Option<Decimal>| {
            value
                .map(Money::parse)
                .transpose()
                .map_err(|e| InvalidEvent::Limit(format!("{field} {e}")))
        };
        let limits = Self {
            min_stake: amount("min_stake", snapshot.min_stake)?,
            max_stake: amount("max_stake", snapshot.max_stake)?,
            max_liability: amount("max_liability", snapshot.max_liability)?,
        };
        if let (Some(min), Some(max)) = (limits.min_stake, limits.max_stake)
            && min.value() > max.value()
        {
            return Err(InvalidEvent::Limit(format!(
                "min_stake {} is above max_stake {}",
                min.value(),
                max.value()
            )));
        }
        Ok(limits)
    }
}

/// An event open for betting, as `GET /events` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenEvent {
    /// Its id.
    pub id: EventId,
    /// Current odds.
    pub coefficient: Decimal,
    /// Bets are accepted strictly before it.
    pub deadline: OffsetDateTime,
    /// Always `new`.
    pub status: EventStatus,
    /// What it accepts.
    pub limits: Limits,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn snapshot(coefficient: Decimal, version: u64) -> EventSnapshot {
        EventSnapshot {
            id: EventId::parse("e1").unwrap(),
            coefficient,
            deadline: datetime!(2026-11-24 18:00 UTC),
            status: EventStatus::New,
            version,
            created_at: datetime!(2026-11-24 12:00 UTC),
            updated_at: datetime!(2026-11-24 12:00 UTC),
            reason: None,
            min_stake: None,
            max_stake: None,
            max_liability: None,
        }
    }

    #[test]
    fn a_well_formed_event_is_accepted() {
        let event = IncomingEvent::from_snapshot(&snapshot(Decimal::new(185, 2), 3)).unwrap();
        assert_eq!(event.version, 3);
    }

    #[test]
    fn a_zero_negative_or_huge_coefficient_is_refused() {
        for cents in [0, -150, 1_000_001] {
            assert!(IncomingEvent::from_snapshot(&snapshot(Decimal::new(cents, 2), 1)).is_err());
        }
        assert!(IncomingEvent::from_snapshot(&snapshot(Decimal::new(1855, 3), 1)).is_err());
    }

    #[test]
    fn limits_are_carried_and_checked_like_amounts() {
        let mut message = snapshot(Decimal::new(185, 2), 1);
        message.min_stake = Some(Decimal::new(100, 2));
        message.max_liability = Some(Decimal::new(5_000, 0));
        let event = IncomingEvent::from_snapshot(&message).unwrap();
        assert_eq!(event.limits.min_stake.unwrap().value().to_string(), "1.00");
        assert_eq!(event.limits.max_stake, None);
        assert_eq!(
            event.limits.max_liability.unwrap().value().to_string(),
            "5000.00"
        );
        for bad in [Decimal::ZERO, Decimal::new(-1, 0), Decimal::new(1005, 3)] {
            message.max_liability = Some(bad);
            assert!(IncomingEvent::from_snapshot(&message).is_err(), "{bad}");
        }
        message.max_liability = None;
        message.max_stake = Some(Decimal::new(99, 2));
        let error = IncomingEvent::from_snapshot(&message).unwrap_err();
        assert!(error.to_string().contains("above max_stake"), "{error}");
    }

    #[test]
    fn version_zero_or_beyond_bigint_is_refused() {
        assert!(IncomingEvent::from_snapshot(&snapshot(Decimal::ONE, 0)).is_err());
        assert!(IncomingEvent::from_snapshot(&snapshot(Decimal::ONE, u64::MAX)).is_err());
    }
}
