//! OpenAPI schemas of the inputs that take more than one JSON type, written to match exactly
//! what the parsers in `domain` accept.

use service_support::schema;
use shared_messages::event_id;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type,
};

/// Odds: a number or a numeric string, greater than zero, at most 10 000.00, two decimals.
pub fn coefficient_input() -> RefOr<Schema> {
    schema::two_decimals(5, "1.85")
}

/// An instant: an RFC 3339 string with an offset, or an integer count of Unix seconds.
pub fn instant_input() -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
                .pattern(Some(
                    "^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-",
                )),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0.0))
                .maximum(Some(253_370_764_799.0)),
        )
        .description(Some(
            "An RFC 3339 time with an offset (\"2026-11-24T18:00:00Z\"), written with a year from 0001 to 9998, or an integer count of Unix seconds up to the end of 9998",
        ))
        .into()
}

/// An event id: a string of 1–64 characters of `A-Z a-z 0-9 - _ . :`, or a 64-bit integer.
pub fn event_id_input() -> RefOr<Schema> {
    schema::string_or_integer(event_id::PATTERN, 1, event_id::MAX_LEN, event_id::RULE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Coefficient;
    use crate::domain::json::raw;

    fn pattern() -> regex_lite::Regex {
        let schema = serde_json::to_value(coefficient_input()).unwrap();
        regex_lite::Regex::new(schema["oneOf"][1]["pattern"].as_str().unwrap()).unwrap()
    }

    #[test]
    fn the_string_pattern_accepts_exactly_the_strings_the_parser_accepts() {
        let pattern = pattern();
        for text in [
            "1", "1.5", "1.85", "0.01", "0.5", "0.50", "00.5", "9999.99", "10000", "10000.0",
            "10000.00", "10000.01", "10001", "0", "0.00", "0.001", "1.", ".5", "-1", "1e2",
            "1.555", "abc", "", "012.34",
        ] {
            let by_parser = Coefficient::from_json("c", &raw(&format!("\"{text}\""))).is_ok();
            assert_eq!(pattern.is_match(text), by_parser, "{text:?}");
        }
    }
}
