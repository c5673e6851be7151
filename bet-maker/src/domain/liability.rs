//! What a liability limit leaves room for.

use rust_decimal::{Decimal, RoundingStrategy};

use super::Money;

/// The largest stake a limit with `free` left accepts at `coefficient`, within the stake
/// limits: whole cents, rounded down; zero when not even the smallest stake fits.
pub fn max_amount(
    free: Decimal,
    coefficient: Decimal,
    min_stake: Option<Decimal>,
    max_stake: Option<Decimal>,
) -> Decimal {
    let margin = coefficient - Decimal::ONE;
    let mut most = if margin <= Decimal::ZERO {
        Money::MAX
    } else if free <= Decimal::ZERO {
        Decimal::ZERO
    } else {
        let cent = Decimal::new(1, 2);
        let mut most = (free / margin).round_dp_with_strategy(2, RoundingStrategy::ToZero);
        // The division rounds at its 28th digit: never offer a stake that does not fit.
        while most > Decimal::ZERO && most * margin > free {
            most -= cent;
        }
        most.min(Money::MAX)
    };
    if let Some(max) = max_stake {
        most = most.min(max);
    }
    if min_stake.is_some_and(|min| most < min) {
        most = Decimal::ZERO;
    }
    let mut most = most.max(Decimal::ZERO);
    most.rescale(2);
    most
}

#[cfg(test)]
mod tests {
    use super::max_amount;
    use rust_decimal::Decimal;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn the_largest_stake_fits_the_room_left_in_whole_cents() {
        // 100.00 of room at odds 2.50: 66.66 × 1.50 = 99.99 fits, 66.67 × 1.50 does not.
        assert_eq!(
            max_amount(d("100"), d("2.50"), None, None).to_string(),
            "66.66"
        );
        assert_eq!(
            max_amount(d("100"), d("3.00"), None, None).to_string(),
            "50.00"
        );
    }

    #[test]
    fn the_stake_limits_bound_it_and_below_the_minimum_nothing_is_accepted() {
        assert_eq!(
            max_amount(d("100"), d("2.00"), None, Some(d("20"))).to_string(),
            "20.00"
        );
        assert_eq!(
            max_amount(d("100"), d("2.00"), Some(d("150")), None).to_string(),
            "0.00"
        );
        assert_eq!(
            max_amount(d("0"), d("2.00"), None, None).to_string(),
            "0.00"
        );
        assert_eq!(
            max_amount(d("-5"), d("2.00"), None, None).to_string(),
            "0.00"
        );
    }

    #[test]
    fn odds_of_one_or_less_take_no_liability() {
        assert_eq!(
            max_amount(d("0"), d("1.00"), None, Some(d("70"))).to_string(),
            "70.00"
        );
        assert_eq!(
            max_amount(d("0"), d("0.50"), None, None).to_string(),
            "1000000000.00"
        );
    }
}
