//! The bettor's consent to the price: the odds they saw and which odds they accept instead.

use rust_decimal::Decimal;
use serde_json::value::RawValue;
use shared_messages::decimal_text::{parse_two_decimals, positive_at_most};

use super::ValidationError;
use super::json::{Scalar, number_text};

/// Which odds a bettor accepts, compared with the odds they saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptOdds {
    /// Only the odds they saw.
    Exact,
    /// The odds they saw or better (higher) ones.
    Higher,
    /// Whatever the odds are when the bet is placed.
    Any,
}

impl AcceptOdds {
    /// The wire (and stored) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Higher => "higher",
            Self::Any => "any",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "exact" => Some(Self::Exact),
            "higher" => Some(Self::Higher),
            "any" => Some(Self::Any),
            _ => None,
        }
    }
}

/// What the bettor agreed to; a request without `coefficient` or `accept_odds` states none
/// and is placed at the current odds, as before these members existed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Consent {
    /// Which odds they accept.
    pub accept: AcceptOdds,
    /// The odds they saw; only `any` may go without.
    pub coefficient: Option<Decimal>,
}

/// The largest odds the contract knows.
const MAX_COEFFICIENT: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 2);

impl Consent {
    /// Reads the optional members `coefficient` and `accept_odds` of `POST /bet`; `exact` is
    /// the default when `coefficient` is sent.
    pub fn from_json(
        coefficient: Option<&RawValue>,
        accept_odds: Option<&RawValue>,
    ) -> Result<Option<Self>, ValidationError> {
        let coefficient = coefficient.map(parse_coefficient).transpose()?;
        let accept = accept_odds.map(parse_accept_odds).transpose()?;
        match (accept, coefficient) {
            (None, None) => Ok(None),
            (None, Some(seen)) => Ok(Some(Self {
                accept: AcceptOdds::Exact,
                coefficient: Some(seen),
            })),
            (Some(AcceptOdds::Any), seen) => Ok(Some(Self {
                accept: AcceptOdds::Any,
                coefficient: seen,
            })),
            (Some(accept), Some(seen)) => Ok(Some(Self {
                accept,
                coefficient: Some(seen),
            })),
            (Some(accept), None) => Err(ValidationError::new(
                "coefficient",
                format!(
                    "is required with accept_odds \"{}\": send the odds you accept",
                    accept.as_str()
                ),
            )),
        }
    }

    /// Whether odds of `current` are what the bettor agreed to.
    pub fn allows(&self, current: Decimal) -> bool {
        match (self.accept, self.coefficient) {
            (AcceptOdds::Any, _) | (_, None) => true,
            (AcceptOdds::Exact, Some(seen)) => current == seen,
            (AcceptOdds::Higher, Some(seen)) => current >= seen,
        }
    }
}

fn parse_coefficient(value: &RawValue) -> Result<Decimal, ValidationError> {
    let field = "coefficient";
    let text = number_text(field, value)?;
    let decimal =
        parse_two_decimals(&text).map_err(|e| ValidationError::new(field, e.to_string()))?;
    positive_at_most(decimal, MAX_COEFFICIENT)
        .map_err(|e| ValidationError::new(field, e.to_string()))
}

fn parse_accept_odds(value: &RawValue) -> Result<AcceptOdds, ValidationError> {
    let refused =
        || ValidationError::new("accept_odds", "must be \"exact\", \"higher\" or \"any\"");
    match Scalar::of(value) {
        Scalar::String(text) => AcceptOdds::parse(&text).ok_or_else(refused),
        _ => Err(refused()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::json::raw;

    fn consent(
        coefficient: Option<&str>,
        accept: Option<&str>,
    ) -> Result<Option<Consent>, ValidationError> {
        let coefficient = coefficient.map(raw);
        let accept = accept.map(raw);
        Consent::from_json(coefficient.as_deref(), accept.as_deref())
    }

    fn odds(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn no_member_states_no_consent() {
        assert_eq!(consent(None, None).unwrap(), None);
    }

    #[test]
    fn a_coefficient_alone_accepts_exactly_those_odds() {
        let seen = consent(Some("1.85"), None).unwrap().unwrap();
        assert_eq!(seen.accept, AcceptOdds::Exact);
        assert!(seen.allows(odds("1.85")));
        assert!(!seen.allows(odds("1.86")));
        assert!(!seen.allows(odds("1.40")));
        assert_eq!(
            seen,
            consent(Some("\"1.85\""), Some("\"exact\""))
                .unwrap()
                .unwrap()
        );
    }

    #[test]
    fn higher_accepts_the_same_or_better_odds_only() {
        let seen = consent(Some("1.85"), Some("\"higher\"")).unwrap().unwrap();
        assert!(seen.allows(odds("1.85")));
        assert!(seen.allows(odds("2.00")));
        assert!(!seen.allows(odds("1.84")));
    }

    #[test]
    fn any_accepts_every_price_with_or_without_the_odds_seen() {
        for seen in [Some("1.85"), None] {
            let any = consent(seen, Some("\"any\"")).unwrap().unwrap();
            assert!(any.allows(odds("0.01")));
            assert!(any.allows(odds("10000")));
        }
    }

    #[test]
    fn exact_or_higher_without_the_odds_is_refused() {
        for accept in ["\"exact\"", "\"higher\""] {
            let error = consent(None, Some(accept)).unwrap_err();
            assert_eq!(error.field, "coefficient");
        }
    }

    #[test]
    fn odds_follow_the_money_rules() {
        for bad in ["0", "-1.5", "1.855", "10000.01", "\"abc\"", "true", "null"] {
            let error = consent(Some(bad), None).unwrap_err();
            assert_eq!(error.field, "coefficient", "{bad}");
        }
        assert_eq!(
            consent(Some("\"2\""), None)
                .unwrap()
                .unwrap()
                .coefficient
                .unwrap()
                .to_string(),
            "2.00"
        );
    }

    #[test]
    fn an_unknown_accept_odds_is_refused() {
        for bad in ["\"lower\"", "\"EXACT\"", "1", "null"] {
            let error = consent(Some("1.5"), Some(bad)).unwrap_err();
            assert_eq!(error.field, "accept_odds", "{bad}");
        }
    }
}
