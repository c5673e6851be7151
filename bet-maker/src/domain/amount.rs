//! The stake of a bet.

use rust_decimal::Decimal;
use serde_json::value::RawValue;
use shared_messages::decimal_text::{parse_two_decimals, positive_at_most};

use super::ValidationError;
use super::json::number_text;

/// An amount greater than zero and at most 1 000 000 000.00, with exactly two decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amount(Decimal);

impl Amount {
    /// The largest stake the contract accepts.
    pub const MAX: Decimal = Decimal::from_parts(1_215_752_192, 23, 0, false, 2); // 1e11 cents

    /// Parses a JSON number or numeric string with at most two decimals.
    pub fn from_json(field: &'static str, value: &RawValue) -> Result<Self, ValidationError> {
        let text = number_text(field, value)?;
        let decimal =
            parse_two_decimals(&text).map_err(|e| ValidationError::new(field, e.to_string()))?;
        Self::new(field, decimal)
    }

    /// Checks the bounds of a decimal.
    pub fn new(field: &'static str, value: Decimal) -> Result<Self, ValidationError> {
        positive_at_most(value, Self::MAX)
            .map(Self)
            .map_err(|e| ValidationError::new(field, e.to_string()))
    }

    /// The amount, with a scale of two.
    pub fn value(self) -> Decimal {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::json::raw;

    fn parse(text: &str) -> Result<Amount, ValidationError> {
        Amount::from_json("amount", &raw(text))
    }

    #[test]
    fn the_maximum_is_one_billion() {
        assert_eq!(Amount::MAX.to_string(), "1000000000.00");
    }

    #[test]
    fn an_amount_with_two_decimals_is_accepted() {
        assert_eq!(parse("10.50").unwrap().value().to_string(), "10.50");
    }

    #[test]
    fn a_numeric_string_and_an_integer_are_accepted() {
        assert_eq!(parse(r#""7.5""#).unwrap().value().to_string(), "7.50");
        assert_eq!(parse("100").unwrap().value().to_string(), "100.00");
    }

    #[test]
    fn zero_and_negative_amounts_are_refused() {
        for text in ["0", r#""0.00""#, "-0.01", "-5"] {
            assert!(
                parse(text)
                    .unwrap_err()
                    .message
                    .contains("greater than zero"),
                "{text}"
            );
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
        assert!(
            parse("1000000000.01")
                .unwrap_err()
                .message
                .contains("at most")
        );
        assert!(parse("1e10").is_err());
    }

    #[test]
    fn nan_words_and_other_types_are_refused() {
        for text in [r#""NaN""#, r#""ten""#, "true", "null", "{}", r#""1e2""#] {
            assert!(parse(text).is_err(), "{text}");
        }
    }
}
