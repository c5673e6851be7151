//! Shapes the contract accepts for one value, as raw JSON text ([`RawValue`]) so that a number
//! reaches its parser exactly as the client wrote it and nothing else can pass for a number:
//! [`Scalar`] says what a value is, [`number_text`] and [`integer_value`] read numbers,
//! [`decimal_from_json`] and [`id_from_json`] hand a value to its type's `parse`, and a broken
//! rule is a [`ValidationError`] naming the field.

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use shared_messages::decimal_text::parse_two_decimals;

/// A value a client sent that breaks a rule; `field` names it, `message` says what to send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {message}")]
pub struct ValidationError {
    /// The request field at fault, as the client spelled it.
    pub field: &'static str,
    /// What is wrong and what is expected, readable by a person.
    pub message: String,
}

impl ValidationError {
    /// A broken rule of `field`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// One JSON value as the client wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scalar<'a> {
    /// A JSON number, its exact text.
    Number(&'a str),
    /// A JSON string, unescaped.
    String(String),
    /// Anything else, named for an error message (`null`, `a boolean`, ...).
    Other(&'static str),
}

impl<'a> Scalar<'a> {
    /// Classifies a raw JSON value by its first character.
    pub fn of(raw: &'a RawValue) -> Self {
        let text = raw.get().trim();
        match text.as_bytes().first() {
            Some(b'"') => serde_json::from_str(text).map_or(
                Self::Other(
                    "a string that is not valid Unicode (a lone surrogate escape such as \\ud800)",
                ),
                Self::String,
            ),
            Some(b'-' | b'0'..=b'9') => Self::Number(text),
            Some(b't' | b'f') => Self::Other("a boolean"),
            Some(b'n') => Self::Other("null"),
            Some(b'[') => Self::Other("an array"),
            Some(b'{') => Self::Other("an object"),
            _ => Self::Other("an unknown value"),
        }
    }

    /// The JSON type, as a client reads it in an error.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Number(_) => "a number",
            Self::String(_) => "a string",
            Self::Other(kind) => kind,
        }
    }
}

/// For optional fields: a present `null` is a value (and refused), not an absent field.
pub fn present<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Box<RawValue>>, D::Error> {
    Box::<RawValue>::deserialize(deserializer).map(Some)
}

/// Longest numeric string accepted; longer ones cannot be a valid amount anyway.
pub const MAX_NUMERIC_STRING: usize = 20;

/// The exact text of a JSON number or of a plain numeric string; anything else is refused.
pub fn number_text(field: &'static str, raw: &RawValue) -> Result<String, ValidationError> {
    match Scalar::of(raw) {
        Scalar::Number(text) => Ok(text.to_owned()),
        Scalar::String(text) if text.len() > MAX_NUMERIC_STRING => Err(ValidationError::new(
            field,
            format!("as a string must be at most {MAX_NUMERIC_STRING} characters"),
        )),
        Scalar::String(text) if text.contains(['e', 'E']) => Err(ValidationError::new(
            field,
            "as a string must be a plain decimal such as \"10.50\", without an exponent",
        )),
        Scalar::String(text) => Ok(text),
        other => Err(ValidationError::new(
            field,
            format!("must be a number or a numeric string, got {}", other.kind()),
        )),
    }
}

/// A number with at most two decimals, given as a JSON number or a numeric string (see
/// [`number_text`]), read exactly and checked by `parse` (`Money::parse`, say); a refusal of
/// either is reported against `field`.
pub fn decimal_from_json<T, E: std::fmt::Display>(
    field: &'static str,
    raw: &RawValue,
    parse: impl FnOnce(Decimal) -> Result<T, E>,
) -> Result<T, ValidationError> {
    let text = number_text(field, raw)?;
    let value =
        parse_two_decimals(&text).map_err(|e| ValidationError::new(field, e.to_string()))?;
    parse(value).map_err(|e| ValidationError::new(field, e.to_string()))
}

/// The value of a JSON number that is a whole number within 64 bits, however written (`42`,
/// `42.0`, `4.2e1`), as JSON Schema's `integer` counts it.
pub fn integer_value(text: &str) -> Option<i64> {
    use rust_decimal::prelude::ToPrimitive;
    if let Ok(n) = text.parse::<i64>() {
        return Some(n);
    }
    if text.len() > 64 {
        return None;
    }
    let value = if text.contains(['e', 'E']) {
        rust_decimal::Decimal::from_scientific(text).ok()?
    } else {
        rust_decimal::Decimal::from_str_exact(text).ok()?
    };
    if value.fract().is_zero() {
        value.to_i64()
    } else {
        None
    }
}

/// The text of an id given as a string, or as a JSON integer (within 64-bit range) meaning its
/// decimal string.
pub fn string_or_integer(field: &'static str, raw: &RawValue) -> Result<String, ValidationError> {
    match Scalar::of(raw) {
        Scalar::String(text) => Ok(text),
        Scalar::Number(text) => integer_value(text)
            .map(|n| n.to_string())
            .ok_or_else(|| {
                ValidationError::new(
                    field,
                    "as a number must be an integer between -9223372036854775808 and 9223372036854775807",
                )
            }),
        other => Err(ValidationError::new(
            field,
            format!("must be a string or an integer, got {}", other.kind()),
        )),
    }
}

/// An id given as a string or an integer (see [`string_or_integer`]), checked by `parse`
/// (a newtype's `parse`, say), whose refusal is reported against `field`.
pub fn id_from_json<T, E: std::fmt::Display>(
    field: &'static str,
    raw: &RawValue,
    parse: impl FnOnce(String) -> Result<T, E>,
) -> Result<T, ValidationError> {
    parse(string_or_integer(field, raw)?).map_err(|e| ValidationError::new(field, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).expect("valid JSON")
    }

    #[test]
    fn an_integer_id_means_its_decimal_string() {
        let id = string_or_integer("id", &raw("42")).unwrap();
        assert_eq!(id, "42");
        assert_eq!(string_or_integer("id", &raw(r#""42""#)).unwrap(), id);
        assert_eq!(string_or_integer("id", &raw("-5")).unwrap(), "-5");
        assert_eq!(string_or_integer("id", &raw("42.0")).unwrap(), "42");
        assert_eq!(string_or_integer("id", &raw("4.2e1")).unwrap(), "42");
    }

    #[test]
    fn an_id_its_parser_refuses_names_the_field() {
        let refuse = |text: String| {
            if text == "ok" {
                Ok(text)
            } else {
                Err("not ok")
            }
        };
        assert_eq!(
            id_from_json("item_id", &raw(r#""ok""#), refuse).unwrap(),
            "ok"
        );
        let error = id_from_json("item_id", &raw(r#""a b""#), refuse).unwrap_err();
        assert_eq!((error.field, error.message.as_str()), ("item_id", "not ok"));
    }

    #[test]
    fn a_fractional_huge_or_boolean_id_is_refused() {
        for text in ["4.2", "1e-2", "true", "null", "9223372036854775808", "{}"] {
            let error = string_or_integer("item_id", &raw(text)).unwrap_err();
            assert_eq!(error.field, "item_id", "{text}");
        }
    }

    #[test]
    fn a_number_keeps_its_exact_text() {
        assert_eq!(number_text("x", &raw("1.005")).unwrap(), "1.005");
        assert_eq!(number_text("x", &raw("1.50e1")).unwrap(), "1.50e1");
    }

    #[test]
    fn a_numeric_string_with_an_exponent_or_too_long_is_refused() {
        assert!(number_text("x", &raw(r#""1e2""#)).is_err());
        assert!(number_text("x", &raw(&format!("\"{}1.5\"", "0".repeat(30)))).is_err());
        assert_eq!(number_text("x", &raw(r#""12.5""#)).unwrap(), "12.5");
    }

    fn money(text: &str) -> Result<shared_messages::Money, ValidationError> {
        decimal_from_json("max_stake", &raw(text), shared_messages::Money::parse)
    }

    #[test]
    fn a_number_a_numeric_string_and_an_integer_are_accepted_with_two_decimals() {
        for (text, value) in [
            ("10.50", "10.50"),
            (r#""7.5""#, "7.50"),
            ("100", "100.00"),
            ("0.01", "0.01"),
            (r#""1000000000""#, "1000000000.00"),
        ] {
            assert_eq!(money(text).unwrap().to_string(), value, "{text}");
        }
    }

    #[test]
    fn zero_and_negative_sums_are_refused() {
        for text in ["0", r#""0.00""#, "-0.01", "-5"] {
            let error = money(text).unwrap_err();
            assert_eq!(error.field, "max_stake");
            assert!(error.message.contains("greater than zero"), "{text}");
        }
        let error = money(r#""10.000""#).unwrap_err();
        assert!(error.message.contains("two decimals"), "{error}");
    }

    #[test]
    fn nan_words_and_other_types_are_refused() {
        for text in [
            r#""NaN""#, r#""ten""#, r#""""#, "true", "null", "{}", "[1]", r#""1e2""#,
        ] {
            assert_eq!(money(text).unwrap_err().field, "max_stake", "{text}");
        }
    }

    #[test]
    fn an_object_is_never_taken_for_a_number() {
        let disguised = raw(r#"{"$serde_json::private::Number":"1.50"}"#);
        assert!(
            number_text("x", &disguised)
                .unwrap_err()
                .message
                .contains("object")
        );
    }
}
