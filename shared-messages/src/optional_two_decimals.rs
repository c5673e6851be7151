//! [`two_decimals`](crate::two_decimals) for a member that may be absent or null (`None`);
//! used with `#[serde(default)]`.

use rust_decimal::Decimal;

/// Writes `Some` as [`two_decimals`](crate::two_decimals) does, `None` as null.
pub fn serialize<S: serde::Serializer>(
    value: &Option<Decimal>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => crate::two_decimals::serialize(value, serializer),
        None => serializer.serialize_none(),
    }
}

/// Reads null as `None` and a number as [`two_decimals`](crate::two_decimals) does.
pub fn deserialize<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Decimal>, D::Error> {
    rust_decimal::serde::arbitrary_precision_option::deserialize(deserializer)
}
