//! Shapes the contract accepts for one value: a JSON number or a numeric string for amounts,
//! a string or an integer for event ids, a string or Unix seconds for instants. The shapes
//! themselves are `service-support`'s (an event id: `json::id_from_json` with `EventId::parse`).

pub use service_support::json::{
    MAX_NUMERIC_STRING, Scalar, ValidationError, decimal_from_json, id_from_json, number_text,
};

#[cfg(test)]
pub(crate) use test_support::raw_json as raw;
