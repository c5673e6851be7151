//! Money as the contract has it: a bet's stake, and an event's stake and liability limits (one
//! rule for both, since a limit is compared with stakes).

use rust_decimal::Decimal;

use crate::decimal_text::{BoundsError, positive_at_most};

/// Money greater than zero and at most 1 000 000 000.00, with exactly two decimals.
///
/// The only way to get one is [`Money::parse`], so a value of this type is always valid. A
/// service reads it from a request with the exact text of the number first
/// ([`crate::decimal_text::parse_two_decimals`]), so that no float rounds it on the way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money(Decimal);

impl Money {
    /// The largest sum the contract accepts.
    pub const MAX: Decimal = Decimal::from_parts(1_215_752_192, 23, 0, false, 2); // 1e11 cents

    /// Checks every rule of the contract; the sum comes back with a scale of two (`7.5` →
    /// `7.50`).
    pub fn parse(value: Decimal) -> Result<Self, BoundsError> {
        positive_at_most(value, Self::MAX).map(Self)
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
    use crate::decimal_text::parse_two_decimals;

    /// Money from the exact text of a number, as a service reads a request's.
    fn parse(text: &str) -> Result<Money, String> {
        let value = parse_two_decimals(text).map_err(|e| e.to_string())?;
        Money::parse(value).map_err(|e| e.to_string())
    }

    #[test]
    fn the_maximum_is_one_billion() {
        assert_eq!(Money::MAX.to_string(), "1000000000.00");
    }

    #[test]
    fn an_amount_with_two_decimals_is_accepted() {
        assert_eq!(parse("10.50").unwrap().value().to_string(), "10.50");
        assert_eq!(parse("7.5").unwrap().to_string(), "7.50");
        assert_eq!(parse("100").unwrap().to_string(), "100.00");
        assert_eq!(parse("0.01").unwrap().to_string(), "0.01");
    }

    #[test]
    fn zero_and_negative_amounts_are_refused() {
        for text in ["0", "0.00", "-0.01", "-5"] {
            assert!(
                parse(text).unwrap_err().contains("greater than zero"),
                "{text}"
            );
        }
    }

    #[test]
    fn three_decimals_are_refused() {
        assert!(parse("10.005").unwrap_err().contains("two decimals"));
        assert!(parse("10.000").is_err());
        assert!(parse("1e-3").is_err());
        assert_eq!(
            Money::parse(Decimal::new(10_005, 3)),
            Err(BoundsError::TooManyDecimals)
        );
    }

    #[test]
    fn one_billion_is_accepted_and_a_cent_more_refused() {
        assert!(parse("1000000000.00").is_ok());
        assert!(parse("1000000000").is_ok());
        assert!(parse("1000000000.01").unwrap_err().contains("at most"));
        assert!(parse("1e10").is_err());
        assert!(parse(&"9".repeat(100)).is_err());
    }
}
