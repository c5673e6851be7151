//! Parsing of the contract's two-decimal numbers (amounts and odds) from their exact text.

use rust_decimal::Decimal;

/// Why a decimal is not positive money (or odds) within the contract's bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoundsError {
    /// Zero or negative.
    NotPositive,
    /// Above the bound, which it names.
    AboveMax(Decimal),
    /// More than two decimals.
    TooManyDecimals,
}

impl std::fmt::Display for BoundsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotPositive => f.write_str("must be greater than zero"),
            Self::AboveMax(max) => write!(f, "must be at most {max:.2}"),
            Self::TooManyDecimals => f.write_str("must have at most two decimals"),
        }
    }
}

/// `value` as the contract's money and odds are: greater than zero, at most `max`, at most
/// two decimals; returned with a scale of two (`7.5` → `7.50`).
pub fn positive_at_most(value: Decimal, max: Decimal) -> Result<Decimal, BoundsError> {
    if value <= Decimal::ZERO {
        return Err(BoundsError::NotPositive);
    }
    if value > max {
        return Err(BoundsError::AboveMax(max));
    }
    if value.normalize().scale() > 2 {
        return Err(BoundsError::TooManyDecimals);
    }
    let mut value = value;
    value.rescale(2);
    Ok(value)
}

/// Why a text is not a number with at most two decimals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecimalTextError {
    /// Not a decimal number (`abc`, `NaN`, `1,5`, ` 1`, `+1`, `.5`).
    NotANumber,
    /// More than two decimals, written out or hidden by an exponent (`1.005`, `1e-3`).
    TooManyDecimals,
    /// Too large to be represented at all.
    OutOfRange,
}

impl std::fmt::Display for DecimalTextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::NotANumber => "must be a decimal number such as 10.50",
            Self::TooManyDecimals => "must have at most two decimals",
            Self::OutOfRange => "is out of range",
        })
    }
}

impl std::error::Error for DecimalTextError {}

/// Parses the text of a JSON number (or of a numeric string) exactly, with no float on the
/// way, and returns it with a scale of exactly two.
///
/// The grammar is JSON's: an optional `-`, digits, optional `.digits`, optional exponent.
/// Written decimals beyond two are refused even when zero (`1.500`); an exponent is
/// accepted when the value it gives has at most two decimals (`1.5e1` is 15.00).
pub fn parse_two_decimals(text: &str) -> Result<Decimal, DecimalTextError> {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let unsigned = mantissa.strip_prefix('-').unwrap_or(mantissa);
    let (int_part, frac_part) = match unsigned.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (unsigned, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int_part) || frac_part.is_some_and(|f| !all_digits(f)) {
        return Err(DecimalTextError::NotANumber);
    }
    let mut value = match exponent {
        None => {
            if frac_part.is_some_and(|f| f.len() > 2) {
                return Err(DecimalTextError::TooManyDecimals);
            }
            Decimal::from_str_exact(text).map_err(|_| DecimalTextError::OutOfRange)?
        }
        Some(exp) => {
            let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            if !all_digits(digits) {
                return Err(DecimalTextError::NotANumber);
            }
            // Count from the text, before any conversion can round: the value is
            // `digits × 10^-scale`; trailing zeros of `digits` do not count as decimals.
            let exponent: i64 = exp.parse().map_err(|_| DecimalTextError::OutOfRange)?;
            let fraction = frac_part.unwrap_or("");
            let mut digits = format!("{int_part}{fraction}");
            let mut scale = i64::try_from(fraction.len())
                .unwrap_or(i64::MAX)
                .saturating_sub(exponent);
            while scale > 0 && digits.ends_with('0') {
                digits.pop();
                scale -= 1;
            }
            if scale > 2 {
                return Err(DecimalTextError::TooManyDecimals);
            }
            let significant = digits.trim_start_matches('0').len() as i64;
            if significant.saturating_add(scale.saturating_neg().max(0)) > 28 {
                return Err(DecimalTextError::OutOfRange);
            }
            Decimal::from_scientific(text).map_err(|_| DecimalTextError::OutOfRange)?
        }
    };
    if value.scale() > 2 {
        value = value.normalize();
    }
    value.rescale(2);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> String {
        parse_two_decimals(text).unwrap().to_string()
    }

    #[test]
    fn integers_and_up_to_two_decimals_are_read_exactly_with_scale_two() {
        assert_eq!(ok("10"), "10.00");
        assert_eq!(ok("10.5"), "10.50");
        assert_eq!(ok("1.85"), "1.85");
        assert_eq!(ok("0.01"), "0.01");
        assert_eq!(ok("-3.20"), "-3.20");
    }

    #[test]
    fn three_written_decimals_are_refused_even_when_zero() {
        assert_eq!(
            parse_two_decimals("1.005"),
            Err(DecimalTextError::TooManyDecimals)
        );
        assert_eq!(
            parse_two_decimals("1.500"),
            Err(DecimalTextError::TooManyDecimals)
        );
    }

    #[test]
    fn an_exponent_is_accepted_only_when_it_hides_no_extra_decimal() {
        assert_eq!(ok("1.5e1"), "15.00");
        assert_eq!(ok("1E2"), "100.00");
        assert_eq!(ok("125e-2"), "1.25");
        assert_eq!(ok("1.2345e2"), "123.45");
        assert_eq!(
            parse_two_decimals("1e-3"),
            Err(DecimalTextError::TooManyDecimals)
        );
        assert_eq!(
            parse_two_decimals("1.2345e1"),
            Err(DecimalTextError::TooManyDecimals)
        );
        assert_eq!(ok("1.50e1"), "15.00");
    }

    #[test]
    fn an_exponent_cannot_hide_a_decimal_beyond_what_a_decimal_type_keeps() {
        let hidden = "1.00000000000000000000000000000000000001e2";
        assert_eq!(
            parse_two_decimals(hidden),
            Err(DecimalTextError::TooManyDecimals)
        );
        let long = format!("1{}e-10", "0".repeat(40));
        assert_eq!(parse_two_decimals(&long), Err(DecimalTextError::OutOfRange));
    }

    #[test]
    fn a_huge_negative_or_positive_exponent_is_refused_without_a_panic() {
        for text in [
            "1e-99999999999999999999",
            "1e99999999999999999999",
            "1e-9223372036854775808",
            "1e9223372036854775807",
            "1e-400",
        ] {
            assert!(parse_two_decimals(text).is_err(), "{text}");
        }
    }

    #[test]
    fn text_that_is_not_a_json_number_is_refused() {
        for text in [
            "", "abc", "NaN", "nan", "Infinity", "-", "1,5", " 1", "1 ", "+1", ".5", "5.", "1e",
            "1e+", "0x10", "1.2.3", "--1",
        ] {
            assert_eq!(
                parse_two_decimals(text),
                Err(DecimalTextError::NotANumber),
                "{text:?}"
            );
        }
    }

    #[test]
    fn money_and_odds_are_positive_bounded_and_get_two_decimals() {
        let max = Decimal::new(1_000_000, 2);
        assert_eq!(
            positive_at_most(Decimal::new(75, 1), max)
                .unwrap()
                .to_string(),
            "7.50"
        );
        assert_eq!(positive_at_most(max, max).unwrap().to_string(), "10000.00");
        assert_eq!(
            positive_at_most(Decimal::ZERO, max),
            Err(BoundsError::NotPositive)
        );
        let above = positive_at_most(Decimal::new(1_000_001, 2), max).unwrap_err();
        assert_eq!(above.to_string(), "must be at most 10000.00");
        assert_eq!(
            positive_at_most(Decimal::new(1_005, 3), max),
            Err(BoundsError::TooManyDecimals)
        );
    }

    #[test]
    fn absurdly_large_numbers_are_out_of_range_not_a_panic() {
        assert_eq!(
            parse_two_decimals("1e400"),
            Err(DecimalTextError::OutOfRange)
        );
        assert_eq!(
            parse_two_decimals(&"9".repeat(40)),
            Err(DecimalTextError::OutOfRange)
        );
    }
}
