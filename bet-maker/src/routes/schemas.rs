//! OpenAPI schemas of the inputs that take more than one JSON type, written to match exactly
//! what the parsers in `domain` accept.

use service_support::schema;
use shared_messages::event_id;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

/// A stake: a number or a numeric string, greater than zero, at most 1 000 000 000.00, two
/// decimals.
pub fn amount_input() -> RefOr<Schema> {
    schema::two_decimals(10, "10.50")
}

/// Odds: a number or a numeric string, greater than zero, at most 10 000.00, two decimals.
pub fn coefficient_input() -> RefOr<Schema> {
    schema::two_decimals(5, "1.85")
}

/// An event id: a string of 1–64 characters of `A-Z a-z 0-9 - _ . :`, or a 64-bit integer.
pub fn event_id_input() -> RefOr<Schema> {
    schema::string_or_integer(event_id::PATTERN, 1, event_id::MAX_LEN, event_id::RULE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::json::raw;
    use crate::domain::{Money, decimal_from_json};

    fn pattern() -> regex_lite::Regex {
        let schema = serde_json::to_value(amount_input()).unwrap();
        regex_lite::Regex::new(schema["oneOf"][1]["pattern"].as_str().unwrap()).unwrap()
    }

    #[test]
    fn the_string_pattern_accepts_exactly_the_strings_the_parser_accepts() {
        let pattern = pattern();
        for text in [
            "1",
            "1.5",
            "0.01",
            "0.5",
            "00.5",
            "999999999.99",
            "1000000000",
            "1000000000.00",
            "1000000000.01",
            "1000000001",
            "0",
            "0.00",
            "0.001",
            "1.",
            ".5",
            "-1",
            "1e2",
            "abc",
            "",
        ] {
            let by_parser =
                decimal_from_json("a", &raw(&format!("\"{text}\"")), Money::parse).is_ok();
            assert_eq!(pattern.is_match(text), by_parser, "{text:?}");
        }
    }
}
