//! Money in an event's limits: a stake or a liability, with the rules of an amount.

use rust_decimal::Decimal;
use serde_json::value::RawValue;
use shared_messages::decimal_text::{parse_two_decimals, positive_at_most};

use super::ValidationError;
use super::json::{Scalar, number_text};

/// Money greater than zero and at most 1 000 000 000.00, with exactly two decimals: the rule of
/// a bet's amount (bet-maker's `Amount`), since a limit is compared with amounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money(Decimal);

impl Money {
    /// The largest sum the contract accepts.
    pub const MAX: Decimal = Decimal::from_parts(1_215_752_192, 23, 0, false, 2); // 1e11 cents

    /// Parses a JSON number or numeric string with at most two decimals.
    pub fn from_json(field: &'static str, value: &RawValue) -> Result<Self, ValidationError> {
        let text = number_text(field, value)?;
        let decimal =
            parse_two_decimals(&text).map_err(|e| ValidationError::new(field, e.to_string()))?;
        Self::new(field, decimal)
    }

    /// Parses a member where `null` means "no limit" (`None`), else as [`Money::from_json`].
    pub fn from_nullable_json(
        field: &'static str,
        value: &RawValue,
    ) -> Result<Option<Self>, ValidationError> {
        match Scalar::of(value) {
            Scalar::Other("null") => Ok(None),
            _ => Self::from_json(field, value).map(Some),
        }
    }

    /// Checks the bounds of a decimal.
    pub fn new(field: &'static str, value: Decimal) -> Result<Self, ValidationError> {
        positive_at_most(value, Self::MAX)
            .map(Self)
            .map_err(|e| ValidationError::new(field, e.to_string()))
    }

    /// The sum, with a scale of two.
    pub fn value(self) -> Decimal {
        self.0
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::json::raw;

    fn parse(text: &str) -> Result<Money, ValidationError> {
        Money::from_json("max_stake", &raw(text))
    }

    #[test]
    fn the_maximum_is_one_billion() {
        assert_eq!(Money::MAX.to_string(), "1000000000.00");
    }

    #[test]
    fn a_number_a_numeric_string_and_an_integer_are_accepted_with_two_decimals() {
        assert_eq!(parse("10.50").unwrap().to_string(), "10.50");
        assert_eq!(parse(r#""7.5""#).unwrap().to_string(), "7.50");
        assert_eq!(parse("100").unwrap().to_string(), "100.00");
        assert_eq!(parse("0.01").unwrap().to_string(), "0.01");
    }

    #[test]
    fn zero_and_negative_sums_are_refused() {
        for text in ["0", r#""0.00""#, "-0.01", "-5"] {
            let error = parse(text).unwrap_err();
            assert_eq!(error.field, "max_stake");
            assert!(error.message.contains("greater than zero"), "{text}");
        }
    }

    #[test]
    fn three_decimals_are_refused() {
        assert!(
            parse("10.005")
                .unwrap_err()
                .message
                .contains("two decimals")
        );
        assert!(parse(r#""10.000""#).is_err());
        assert!(parse("1e-3").is_err());
    }

    #[test]
    fn one_billion_is_accepted_and_a_cent_more_refused() {
        assert!(parse("1000000000.00").is_ok());
        assert!(parse(r#""1000000000""#).is_ok());
        assert!(
            parse("1000000000.01")
                .unwrap_err()
                .message
                .contains("at most")
        );
        assert!(parse("1e10").is_err());
        assert!(parse(&"9".repeat(100)).is_err());
    }

    #[test]
    fn nan_words_and_other_types_are_refused() {
        for text in [
            r#""NaN""#, r#""ten""#, r#""""#, "true", "null", "{}", "[1]", r#""1e2""#,
        ] {
            assert_eq!(parse(text).unwrap_err().field, "max_stake", "{text}");
        }
    }

    #[test]
    fn null_is_no_limit_where_a_member_may_be_null() {
        assert_eq!(
            Money::from_nullable_json("min_stake", &raw("null")),
            Ok(None)
        );
        assert_eq!(
            Money::from_nullable_json("min_stake", &raw("2.5")).map(|m| m.map(Money::value)),
            Ok(Some(Decimal::new(250, 2)))
        );
        let error = Money::from_nullable_json("min_stake", &raw(r#""null""#)).unwrap_err();
        assert_eq!(error.field, "min_stake");
    }
}
