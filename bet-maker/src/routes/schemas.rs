//! OpenAPI schemas of the inputs that take more than one JSON type.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};

/// A plain decimal string with at most two decimals, greater than zero.
const POSITIVE_DECIMAL_STRING: &str =
    r"^(0*[1-9][0-9]*(\.[0-9]{1,2})?|0*\.(0[1-9]|[1-9][0-9]?)|0+\.0?[1-9])$";

/// A stake: a number or a numeric string, greater than zero, at most 1 000 000 000.00, two
/// decimals.
pub fn amount_input() -> RefOr<Schema> {
    two_decimals_input(1_000_000_000.0, "10.50")
}

fn two_decimals_input(max: f64, example: &str) -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .exclusive_minimum(Some(0.0))
                .maximum(Some(max))
                .multiple_of(Some(0.01)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(POSITIVE_DECIMAL_STRING))
                .max_length(Some(20)),
        )
        .description(Some(format!(
            "A JSON number or a numeric string with at most two decimals, greater than zero and at most {max:.2}"
        )))
        .examples([serde_json::Value::String(example.to_owned())])
        .into()
}

/// An event id: a string of 1–64 characters of `A-Z a-z 0-9 - _ . :`, or an integer.
pub fn event_id_input() -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(r"^[A-Za-z0-9._:-]{1,64}$"))
                .min_length(Some(1))
                .max_length(Some(64)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0.0))
                .maximum(Some(9_007_199_254_740_991.0)),
        )
        .description(Some(
            "1–64 characters of A-Z a-z 0-9 - _ . : (an integer means its decimal string)",
        ))
        .into()
}
