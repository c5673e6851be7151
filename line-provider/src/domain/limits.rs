//! An event's limits, which bet-maker enforces: the smallest and the largest stake it takes,
//! and the most the book may lose on it. Each is optional: none means no limit.

use super::{Money, ValidationError};

/// The limits of one event; when both stakes are set, the smallest is at most the largest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    min_stake: Option<Money>,
    max_stake: Option<Money>,
    max_liability: Option<Money>,
}

impl Limits {
    /// No limit at all.
    pub const NONE: Self = Self {
        min_stake: None,
        max_stake: None,
        max_liability: None,
    };

    /// Checks that `min_stake` is at most `max_stake` when both are set (else the error names
    /// `min_stake`, with both values).
    pub fn new(
        min_stake: Option<Money>,
        max_stake: Option<Money>,
        max_liability: Option<Money>,
    ) -> Result<Self, ValidationError> {
        if let (Some(min), Some(max)) = (min_stake, max_stake)
            && min > max
        {
            return Err(ValidationError::new(
                "min_stake",
                format!(
                    "must be at most max_stake; the event would have min_stake {min} and max_stake {max}"
                ),
            ));
        }
        Ok(Self {
            min_stake,
            max_stake,
            max_liability,
        })
    }

    /// These limits with `changes` made to them, checked again as a whole.
    pub fn changed(self, changes: &LimitChanges) -> Result<Self, ValidationError> {
        Self::new(
            changes.min_stake.unwrap_or(self.min_stake),
            changes.max_stake.unwrap_or(self.max_stake),
            changes.max_liability.unwrap_or(self.max_liability),
        )
    }

    /// The smallest stake accepted, if any.
    pub fn min_stake(&self) -> Option<Money> {
        self.min_stake
    }

    /// The largest stake accepted, if any.
    pub fn max_stake(&self) -> Option<Money> {
        self.max_stake
    }

    /// The most the book may lose on the event, if limited.
    pub fn max_liability(&self) -> Option<Money> {
        self.max_liability
    }
}

/// What a change says of each limit: `None` keeps it (the member was absent), `Some(None)`
/// removes it (the member was null), `Some(Some(_))` sets it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LimitChanges {
    min_stake: Option<Option<Money>>,
    max_stake: Option<Option<Money>>,
    max_liability: Option<Option<Money>>,
}

impl LimitChanges {
    /// A change of limits; one that sets both stakes the wrong way round is refused at once,
    /// whatever the event it is meant for.
    pub fn new(
        min_stake: Option<Option<Money>>,
        max_stake: Option<Option<Money>>,
        max_liability: Option<Option<Money>>,
    ) -> Result<Self, ValidationError> {
        if let (Some(min), Some(max)) = (min_stake, max_stake) {
            Limits::new(min, max, None)?;
        }
        Ok(Self {
            min_stake,
            max_stake,
            max_liability,
        })
    }

    /// Whether it says nothing of any limit.
    pub fn is_empty(&self) -> bool {
        self.min_stake.is_none() && self.max_stake.is_none() && self.max_liability.is_none()
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;

    fn money(units: i64) -> Money {
        Money::parse(Decimal::from(units)).unwrap()
    }

    #[test]
    fn every_limit_is_optional_and_equal_stakes_are_accepted() {
        assert_eq!(Limits::new(None, None, None), Ok(Limits::NONE));
        let limits = Limits::new(Some(money(5)), Some(money(5)), Some(money(100))).unwrap();
        assert_eq!(limits.min_stake(), Some(money(5)));
        assert_eq!(limits.max_stake(), Some(money(5)));
        assert_eq!(limits.max_liability(), Some(money(100)));
        assert!(Limits::new(Some(money(500)), None, None).is_ok());
        assert!(Limits::new(None, Some(money(1)), None).is_ok());
    }

    #[test]
    fn a_smallest_stake_above_the_largest_is_refused_naming_min_stake() {
        let error = Limits::new(Some(money(10)), Some(money(5)), None).unwrap_err();
        assert_eq!(error.field, "min_stake");
        assert!(error.message.contains("10.00") && error.message.contains("5.00"));
    }

    #[test]
    fn an_absent_member_keeps_a_limit_null_removes_it_and_a_value_sets_it() {
        let limits = Limits::new(Some(money(1)), Some(money(50)), Some(money(900))).unwrap();
        let keep_all = LimitChanges::default();
        assert!(keep_all.is_empty());
        assert_eq!(limits.changed(&keep_all), Ok(limits));
        let remove_two = LimitChanges::new(Some(None), Some(Some(money(60))), Some(None)).unwrap();
        assert!(!remove_two.is_empty());
        assert_eq!(
            limits.changed(&remove_two),
            Limits::new(None, Some(money(60)), None)
        );
        let remove_max = LimitChanges::new(None, Some(None), Some(Some(money(800)))).unwrap();
        assert_eq!(
            limits.changed(&remove_max),
            Limits::new(Some(money(1)), None, Some(money(800)))
        );
    }

    #[test]
    fn a_change_is_checked_against_the_limits_it_leads_to() {
        let limits = Limits::new(Some(money(10)), None, None).unwrap();
        let lower_max = LimitChanges::new(None, Some(Some(money(5))), None).unwrap();
        assert_eq!(limits.changed(&lower_max).unwrap_err().field, "min_stake");
        let both = LimitChanges::new(Some(Some(money(2))), Some(Some(money(5))), None).unwrap();
        assert!(limits.changed(&both).is_ok());
    }

    #[test]
    fn a_change_that_sets_both_stakes_the_wrong_way_round_is_refused_by_itself() {
        let error =
            LimitChanges::new(Some(Some(money(9))), Some(Some(money(3))), None).unwrap_err();
        assert_eq!(error.field, "min_stake");
        assert!(LimitChanges::new(Some(Some(money(9))), Some(None), None).is_ok());
    }
}
