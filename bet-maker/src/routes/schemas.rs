//! OpenAPI schemas of the inputs that take more than one JSON type, written to match exactly
//! what the parsers in `domain` accept.

use service_support::schema;
use shared_messages::event_id;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

/// A stake: money (a number or a numeric string, greater than zero, at most
/// 1 000 000 000.00, two decimals).
pub fn amount_input() -> RefOr<Schema> {
    schema::money("10.50")
}

/// Odds: a number or a numeric string, greater than zero, at most 10 000.00, two decimals.
pub fn coefficient_input() -> RefOr<Schema> {
    schema::two_decimals(5, "1.85")
}

/// An event id: a string of 1–64 characters of `A-Z a-z 0-9 - _ . :`, or a 64-bit integer.
pub fn event_id_input() -> RefOr<Schema> {
    schema::string_or_integer(event_id::PATTERN, 1, event_id::MAX_LEN, event_id::RULE)
}
