//! Shapes the contract accepts for one value: a JSON number or a numeric string for amounts,
//! a string or an integer for event ids, a string or Unix seconds for instants.

use serde_json::Value;
use shared_messages::EventId;

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

/// The exact text of a JSON number or of a numeric string; anything else is refused.
pub(crate) fn number_text<'a>(
    field: &'static str,
    value: &'a Value,
) -> Result<&'a str, ValidationError> {
    match value {
        Value::Number(number) => Ok(number.as_str()),
        Value::String(text) if text.contains(['e', 'E']) => Err(ValidationError::new(
            field,
            "as a string must be a plain decimal such as \"10.50\", without an exponent",
        )),
        Value::String(text) => Ok(text),
        other => Err(ValidationError::new(
            field,
            format!("must be a number or a numeric string, got {}", kind(other)),
        )),
    }
}

/// An event id given as a string, or as a JSON integer meaning its decimal string.
pub fn event_id_from_json(field: &'static str, value: &Value) -> Result<EventId, ValidationError> {
    let text = match value {
        Value::String(text) => text.as_str(),
        Value::Number(number) if is_integer(number.as_str()) => number.as_str(),
        other => {
            return Err(ValidationError::new(
                field,
                format!("must be a string or an integer, got {}", kind(other)),
            ));
        }
    };
    EventId::parse(text).map_err(|e| ValidationError::new(field, e.to_string()))
}

fn is_integer(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// The JSON type of a value, as a client reads it in an error.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_integer_event_id_means_its_decimal_string() {
        let id = event_id_from_json("id", &json!(42)).unwrap();
        assert_eq!(id.as_str(), "42");
        assert_eq!(event_id_from_json("id", &json!("42")).unwrap(), id);
    }

    #[test]
    fn a_fractional_or_boolean_event_id_is_refused() {
        assert!(event_id_from_json("id", &json!(4.2)).is_err());
        assert!(event_id_from_json("id", &json!(true)).is_err());
        assert!(event_id_from_json("id", &json!(null)).is_err());
    }

    #[test]
    fn an_event_id_error_names_the_field() {
        let error = event_id_from_json("event_id", &json!("a b")).unwrap_err();
        assert_eq!(error.field, "event_id");
    }

    #[test]
    fn a_numeric_string_with_an_exponent_is_refused() {
        assert!(number_text("x", &json!("1e2")).is_err());
        assert_eq!(number_text("x", &json!("12.5")).unwrap(), "12.5");
    }

    #[test]
    fn a_number_keeps_its_exact_text() {
        let value: Value = serde_json::from_str("1.005").unwrap();
        assert_eq!(number_text("x", &value).unwrap(), "1.005");
    }
}
