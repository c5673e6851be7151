//! Shapes the contract accepts for one value: a JSON number or a numeric string for amounts,
//! a string or an integer for event ids, a string or Unix seconds for instants. The shapes
//! themselves are `service-support`'s; what an event id may be is the contract's.

use serde_json::value::RawValue;
use shared_messages::EventId;

pub use service_support::json::{
    MAX_NUMERIC_STRING, Scalar, ValidationError, integer_value, number_text, present,
};

/// An event id given as a string, or as a JSON integer (within 64-bit range) meaning its
/// decimal string.
pub fn event_id_from_json(field: &'static str, raw: &RawValue) -> Result<EventId, ValidationError> {
    let text = match Scalar::of(raw) {
        Scalar::String(text) => text,
        Scalar::Number(text) if integer_value(text).is_some() => integer_value(text)
            .map(|n| n.to_string())
            .unwrap_or_default(),
        Scalar::Number(_) => {
            return Err(ValidationError::new(
                field,
                "as a number must be an integer between -9223372036854775808 and 9223372036854775807",
            ));
        }
        other => {
            return Err(ValidationError::new(
                field,
                format!("must be a string or an integer, got {}", other.kind()),
            ));
        }
    };
    EventId::parse(text).map_err(|e| ValidationError::new(field, e.to_string()))
}

/// A raw JSON value from its text (tests).
#[cfg(test)]
pub(crate) fn raw(text: &str) -> Box<RawValue> {
    RawValue::from_string(text.to_owned()).expect("valid JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_integer_event_id_means_its_decimal_string() {
        let id = event_id_from_json("id", &raw("42")).unwrap();
        assert_eq!(id.as_str(), "42");
        assert_eq!(event_id_from_json("id", &raw(r#""42""#)).unwrap(), id);
        assert_eq!(event_id_from_json("id", &raw("-5")).unwrap().as_str(), "-5");
        assert_eq!(
            event_id_from_json("id", &raw("42.0")).unwrap().as_str(),
            "42"
        );
        assert_eq!(
            event_id_from_json("id", &raw("4.2e1")).unwrap().as_str(),
            "42"
        );
    }

    #[test]
    fn a_fractional_huge_or_boolean_event_id_is_refused() {
        for text in ["4.2", "1e-2", "true", "null", "9223372036854775808", "{}"] {
            assert!(event_id_from_json("id", &raw(text)).is_err(), "{text}");
        }
    }

    #[test]
    fn an_event_id_error_names_the_field() {
        let error = event_id_from_json("event_id", &raw(r#""a b""#)).unwrap_err();
        assert_eq!(error.field, "event_id");
    }
}
