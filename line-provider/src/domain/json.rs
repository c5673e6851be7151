//! Shapes the contract accepts for one value: a JSON number or a numeric string for amounts,
//! a string or an integer for event ids, a string or Unix seconds for instants. The shapes
//! themselves are `service-support`'s; what an event id may be is the contract's.

use serde_json::value::RawValue;
use shared_messages::EventId;

pub use service_support::json::{
    MAX_NUMERIC_STRING, Scalar, ValidationError, integer_value, number_text, present,
    string_or_integer,
};

/// An event id given as a string, or as a JSON integer (within 64-bit range) meaning its
/// decimal string.
pub fn event_id_from_json(field: &'static str, raw: &RawValue) -> Result<EventId, ValidationError> {
    EventId::parse(string_or_integer(field, raw)?)
        .map_err(|e| ValidationError::new(field, e.to_string()))
}

#[cfg(test)]
pub(crate) use test_support::raw_json as raw;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_id_error_names_the_field() {
        let error = event_id_from_json("event_id", &raw(r#""a b""#)).unwrap_err();
        assert_eq!(error.field, "event_id");
        assert_eq!(event_id_from_json("id", &raw("42")).unwrap().as_str(), "42");
    }
}
