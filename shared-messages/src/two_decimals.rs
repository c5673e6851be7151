//! Serde helpers for amounts and odds: JSON numbers written with exactly two decimals.

use rust_decimal::Decimal;

/// Writes `value` rounded to cents, always with two decimals (`10.5` → `10.50`).
pub fn serialize<S: serde::Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    let mut cents = value.round_dp(2);
    cents.rescale(2);
    rust_decimal::serde::arbitrary_precision::serialize(&cents, serializer)
}

/// Reads the exact decimal written in the JSON number (or numeric string); no float
/// round trip, so `1.005` stays `1.005` and the caller can refuse it.
pub fn deserialize<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    rust_decimal::serde::arbitrary_precision::deserialize(deserializer)
}
