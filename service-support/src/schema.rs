//! OpenAPI schemas of the JSON shapes in [`crate::json`], written to match exactly what its
//! parsers accept: a service names its bounds and examples.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type,
};

use crate::json::MAX_NUMERIC_STRING;

/// A number or a plain numeric string, greater than zero, at most `10^(max_digits - 1)`,
/// with at most two decimals.
pub fn two_decimals(max_digits: usize, example: &str) -> RefOr<Schema> {
    let max = format!("1{}", "0".repeat(max_digits - 1));
    let pattern = format!(
        r"^0*([1-9][0-9]{{0,{}}}(\.[0-9]{{1,2}})?|{max}(\.0{{1,2}})?|0\.(0[1-9]|[1-9][0-9]?))$",
        max_digits - 2
    );
    let max_value: f64 = max.parse().unwrap_or(f64::MAX);
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .exclusive_minimum(Some(0.0))
                .maximum(Some(max_value))
                .multiple_of(Some(0.01)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(pattern))
                .max_length(Some(MAX_NUMERIC_STRING)),
        )
        .description(Some(format!(
            "A JSON number, or a plain numeric string (no exponent), with at most two decimals, greater than zero and at most {max}.00"
        )))
        .examples([serde_json::Value::String(example.to_owned())])
        .into()
}

/// Money (a stake, a limit) as [`crate::json::decimal_from_json`] with
/// [`shared_messages::Money::parse`] reads it: a number or a plain numeric string, greater than
/// zero, at most 1 000 000 000.00, with at most two decimals.
pub fn money(example: &str) -> RefOr<Schema> {
    two_decimals(10, example)
}

/// An id as [`crate::json::string_or_integer`] reads it: a string matching `pattern`, of
/// `min_length` to `max_length` characters, or a 64-bit integer meaning its decimal string.
pub fn string_or_integer(
    pattern: &str,
    min_length: usize,
    max_length: usize,
    description: &str,
) -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(pattern))
                .min_length(Some(min_length))
                .max_length(Some(max_length)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))),
        )
        .description(Some(description))
        .into()
}

#[cfg(test)]
mod tests {
    use serde_json::value::RawValue;
    use shared_messages::Money;

    use super::*;
    use crate::json::decimal_from_json;

    #[test]
    fn money_s_string_pattern_accepts_exactly_the_strings_the_parser_accepts() {
        let schema = serde_json::to_value(money("10.50")).unwrap();
        let pattern = regex_lite::Regex::new(schema["oneOf"][1]["pattern"].as_str().unwrap())
            .expect("a valid pattern");
        for text in [
            "1",
            "1.5",
            "0.01",
            "0.5",
            "10.50",
            "00.5",
            "0000000001.5",
            "999999999.99",
            "1000000000",
            "1000000000.0",
            "1000000000.00",
            "1000000000.01",
            "1000000001",
            "10000000000",
            "0",
            "0.00",
            "0.001",
            "1.",
            ".5",
            "-1",
            "1e2",
            "1.555",
            "abc",
            "",
        ] {
            let raw = RawValue::from_string(format!("\"{text}\"")).unwrap();
            let by_parser = decimal_from_json("m", &raw, Money::parse).is_ok();
            assert_eq!(pattern.is_match(text), by_parser, "{text:?}");
        }
    }
}
