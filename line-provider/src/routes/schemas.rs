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

/// `min_stake` in a request body: [`limit_input`], at most `max_stake`.
pub fn min_stake_input() -> RefOr<Schema> {
    limit_input(
        "The smallest stake bet-maker accepts on the event. When the event also has a max_stake (set in the same body or before), min_stake must not be above it: that is refused with 422 naming min_stake.",
    )
}

/// `max_stake` in a request body: [`limit_input`], at least `min_stake`.
pub fn max_stake_input() -> RefOr<Schema> {
    limit_input(
        "The largest stake bet-maker accepts on the event. When the event also has a min_stake (set in the same body or before), max_stake must not be below it: that is refused with 422 naming min_stake.",
    )
}

/// `max_liability` in a request body: [`limit_input`].
pub fn max_liability_input() -> RefOr<Schema> {
    limit_input(
        "The most the book may lose on the event if it is won: the sum over its bets of amount × (coefficient − 1).",
    )
}

/// A limit: money as an amount (a number or a numeric string, greater than zero, at most
/// 1 000 000 000.00, two decimals), or null for no limit; `what` says which limit it is.
fn limit_input(what: &str) -> RefOr<Schema> {
    let mut schema = schema::money("100.00");
    if let RefOr::T(Schema::OneOf(one_of)) = &mut schema {
        one_of
            .items
            .push(ObjectBuilder::new().schema_type(Type::Null).into());
        one_of.description = Some(format!(
            "{what} A JSON number, or a plain numeric string (no exponent), with at most two decimals, greater than zero and at most 1000000000.00; or null for no limit. In a change, an absent member keeps the limit and null removes it."
        ));
    }
    schema
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

/// An event id: a string of 1–64 characters of `A-Z a-z 0-9 - _ . :` other than `.` and `..`,
/// or a 64-bit integer.
pub fn event_id_input() -> RefOr<Schema> {
    schema::string_or_integer(event_id::PATTERN, 1, event_id::MAX_LEN, event_id::RULE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Coefficient;
    use crate::domain::json::raw;

    fn pattern(schema: RefOr<Schema>) -> regex_lite::Regex {
        let schema = serde_json::to_value(schema).unwrap();
        regex_lite::Regex::new(schema["oneOf"][1]["pattern"].as_str().unwrap()).unwrap()
    }

    #[test]
    fn the_string_pattern_accepts_exactly_the_strings_the_parser_accepts() {
        let pattern = pattern(coefficient_input());
        for text in [
            "1", "1.5", "1.85", "0.01", "0.5", "0.50", "00.5", "9999.99", "10000", "10000.0",
            "10000.00", "10000.01", "10001", "0", "0.00", "0.001", "1.", ".5", "-1", "1e2",
            "1.555", "abc", "", "012.34",
        ] {
            let by_parser = Coefficient::from_json("c", &raw(&format!("\"{text}\""))).is_ok();
            assert_eq!(pattern.is_match(text), by_parser, "{text:?}");
        }
    }

    #[test]
    fn the_event_id_pattern_accepts_exactly_the_ids_the_parser_accepts() {
        let schema = serde_json::to_value(event_id_input()).unwrap();
        let pattern =
            regex_lite::Regex::new(schema["oneOf"][0]["pattern"].as_str().unwrap()).unwrap();
        let longest = "a".repeat(64);
        let too_long = "a".repeat(65);
        let dots = ".".repeat(64);
        for text in [
            "a", "match-1", "1.5", ".", "..", "...", ".a", "..a", "a..", ":", "", "a b", "a/b",
            &longest, &too_long, &dots,
        ] {
            let by_parser = shared_messages::EventId::parse_new(text).is_ok();
            assert_eq!(pattern.is_match(text), by_parser, "{text:?}");
        }
    }

    #[test]
    fn a_limit_takes_a_number_a_numeric_string_or_null() {
        let schema = serde_json::to_value(min_stake_input()).unwrap();
        let types: Vec<&str> = schema["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["type"].as_str().unwrap())
            .collect();
        assert_eq!(types, ["number", "string", "null"]);
        assert_eq!(schema["oneOf"][0]["maximum"], 1_000_000_000.0);
        // The string is money's, whose pattern is checked against the parser where it is made.
        let money = serde_json::to_value(schema::money("100.00")).unwrap();
        assert_eq!(schema["oneOf"][1], money["oneOf"][1]);
        assert!(schema["description"].as_str().unwrap().contains("422"));
    }
}
