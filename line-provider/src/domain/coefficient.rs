//! Odds of an event.

use rust_decimal::Decimal;
use serde_json::value::RawValue;
use shared_messages::decimal_text::parse_two_decimals;

use super::ValidationError;
use super::json::number_text;

/// Odds greater than zero and at most 10 000.00, with exactly two decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coefficient(Decimal);

impl Coefficient {
    /// The largest coefficient the contract accepts.
    pub const MAX: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 2);

    /// Parses a JSON number or numeric string with at most two decimals.
    pub fn from_json(field: &'static str, value: &RawValue) -> Result<Self, ValidationError> {
        let text = number_text(field, value)?;
        let decimal =
            parse_two_decimals(&text).map_err(|e| ValidationError::new(field, e.to_string()))?;
        Self::new(field, decimal)
    }

    /// Checks the bounds of a decimal that already has at most two decimals.
    pub fn new(field: &'static str, value: Decimal) -> Result<Self, ValidationError> {
        if value <= Decimal::ZERO {
            return Err(ValidationError::new(field, "must be greater than zero"));
        }
        if value > Self::MAX {
            return Err(ValidationError::new(field, "must be at most 10000.00"));
        }
        if value.scale() > 2 {
            return Err(ValidationError::new(
                field,
                "must have at most two decimals",
            ));
        }
        let mut value = value;
        value.rescale(2);
        Ok(Self(value))
    }

    /// The odds, with a scale of two.
    pub fn value(self) -> Decimal {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::json::raw;

    fn parse(text: &str) -> Result<Coefficient, ValidationError> {
        Coefficient::from_json("coefficient", &raw(text))
    }

    #[test]
    fn a_number_with_two_decimals_is_accepted() {
        assert_eq!(parse("1.85").unwrap().value().to_string(), "1.85");
    }

    #[test]
    fn a_numeric_string_is_accepted() {
        assert_eq!(parse(r#""2.5""#).unwrap().value().to_string(), "2.50");
    }

    #[test]
    fn an_integer_gets_two_decimals() {
        assert_eq!(parse("3").unwrap().value().to_string(), "3.00");
    }

    #[test]
    fn zero_is_refused() {
        assert!(
            parse("0")
                .unwrap_err()
                .message
                .contains("greater than zero")
        );
        assert!(parse(r#""0.00""#).is_err());
    }

    #[test]
    fn a_negative_coefficient_is_refused() {
        assert!(
            parse("-1.50")
                .unwrap_err()
                .message
                .contains("greater than zero")
        );
    }

    #[test]
    fn three_decimals_are_refused() {
        assert!(parse("1.855").unwrap_err().message.contains("two decimals"));
    }

    #[test]
    fn an_exponent_hiding_a_third_decimal_is_refused() {
        assert!(parse("1855e-3").is_err());
        assert!(parse("1.00000000000000000000000000000000000001e2").is_err());
    }

    #[test]
    fn ten_thousand_is_accepted_and_one_cent_more_refused() {
        assert!(parse("10000.00").is_ok());
        assert!(parse("10000.01").unwrap_err().message.contains("at most"));
    }

    #[test]
    fn nan_and_words_are_refused() {
        assert!(parse(r#""NaN""#).is_err());
        assert!(parse(r#""one""#).is_err());
    }

    #[test]
    fn a_boolean_or_null_is_refused_with_its_type_named() {
        assert!(parse("true").unwrap_err().message.contains("boolean"));
        assert!(parse("null").unwrap_err().message.contains("null"));
    }

    #[test]
    fn an_absurdly_large_number_is_refused_without_a_panic() {
        assert!(parse("1e999999").is_err());
        assert!(parse(&format!("\"{}\"", "9".repeat(19))).is_err());
        assert!(parse(&"9".repeat(100)).is_err());
    }
}
