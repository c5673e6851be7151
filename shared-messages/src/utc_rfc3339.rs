//! Serde helpers for instants: RFC 3339 in UTC on output (`2026-11-24T18:00:00Z`).

use time::{OffsetDateTime, UtcOffset};

/// Writes the instant in UTC, whatever offset it carries.
pub fn serialize<S: serde::Serializer>(
    value: &OffsetDateTime,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let utc = value
        .checked_to_offset(UtcOffset::UTC)
        .ok_or_else(|| serde::ser::Error::custom("the instant is out of range in UTC"))?;
    time::serde::rfc3339::serialize(&utc, serializer)
}

/// Reads an RFC 3339 instant with any offset and converts it to UTC; an instant that
/// cannot be written in UTC (past year 9999 there) is an error, not a panic.
pub fn deserialize<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<OffsetDateTime, D::Error> {
    let instant = time::serde::rfc3339::deserialize(deserializer)?;
    instant
        .checked_to_offset(UtcOffset::UTC)
        .ok_or_else(|| serde::de::Error::custom("the instant is out of range in UTC"))
}
