//! The instant betting on an event closes.

use serde_json::value::RawValue;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use super::ValidationError;
use super::json::{Scalar, integer_value};

/// An instant in UTC within years 0–9999, to the microsecond (the precision Postgres keeps).
/// Bets are accepted strictly before it.
///
/// On input an RFC 3339 time must be written with a year from 0001 to 9998 (whatever its
/// offset, it is then within 0–9999 in UTC), and Unix seconds must be from 0 to the end of
/// 9998: exactly the ranges the OpenAPI document states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deadline(OffsetDateTime);

/// 9998-12-31T23:59:59Z, the last instant accepted as Unix seconds.
const MAX_UNIX_SECONDS: i64 = 253_370_764_799;
/// Written years accepted in an RFC 3339 input.
const WRITTEN_YEARS: std::ops::RangeInclusive<i32> = 1..=9998;
/// Years an instant may have in UTC.
const UTC_YEARS: std::ops::RangeInclusive<i32> = 0..=9999;
const OUT_OF_RANGE: &str = "must be between the years 0001 and 9998";

impl Deadline {
    /// Parses an RFC 3339 string with an offset, or an integer count of Unix seconds.
    pub fn from_json(field: &'static str, value: &RawValue) -> Result<Self, ValidationError> {
        match Scalar::of(value) {
            Scalar::String(text) => Self::from_rfc3339(field, &text),
            Scalar::Number(number) => {
                let seconds = integer_value(number);
                match seconds {
                    Some(seconds) => Self::from_unix_seconds(field, seconds),
                    None => Err(ValidationError::new(
                        field,
                        "as a number must be a whole count of Unix seconds",
                    )),
                }
            }
            other => Err(ValidationError::new(
                field,
                format!(
                    "must be an RFC 3339 string such as \"2026-11-24T18:00:00Z\" or Unix seconds, got {}",
                    other.kind()
                ),
            )),
        }
    }

    fn from_rfc3339(field: &'static str, text: &str) -> Result<Self, ValidationError> {
        let parsed = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
            ValidationError::new(
                field,
                "must be an RFC 3339 time with an offset, such as \"2026-11-24T18:00:00Z\"",
            )
        })?;
        if !WRITTEN_YEARS.contains(&parsed.year()) {
            return Err(ValidationError::new(field, OUT_OF_RANGE));
        }
        Self::new(field, parsed)
    }

    fn from_unix_seconds(field: &'static str, seconds: i64) -> Result<Self, ValidationError> {
        if !(0..=MAX_UNIX_SECONDS).contains(&seconds) {
            return Err(ValidationError::new(
                field,
                "as Unix seconds must be from 0 to 253370764799 (the end of 9998)",
            ));
        }
        let instant = OffsetDateTime::from_unix_timestamp(seconds)
            .map_err(|_| ValidationError::new(field, OUT_OF_RANGE))?;
        Self::new(field, instant)
    }

    /// Checks the range and drops precision beyond the microsecond.
    pub fn new(field: &'static str, instant: OffsetDateTime) -> Result<Self, ValidationError> {
        let utc = instant
            .checked_to_offset(UtcOffset::UTC)
            .ok_or_else(|| ValidationError::new(field, OUT_OF_RANGE))?;
        if !UTC_YEARS.contains(&utc.year()) {
            return Err(ValidationError::new(field, OUT_OF_RANGE));
        }
        let micros = utc.microsecond();
        let truncated = utc
            .replace_microsecond(micros)
            .map_err(|_| ValidationError::new(field, "is not a valid instant"))?;
        Ok(Self(truncated))
    }

    /// The instant, in UTC.
    pub fn value(self) -> OffsetDateTime {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::json::raw;
    use time::macros::datetime;

    fn parse(text: &str) -> Result<Deadline, ValidationError> {
        Deadline::from_json("deadline", &raw(text))
    }

    #[test]
    fn an_rfc3339_time_in_utc_is_accepted() {
        let deadline = parse(r#""2026-11-24T18:00:00Z""#).unwrap();
        assert_eq!(deadline.value(), datetime!(2026-11-24 18:00:00 UTC));
    }

    #[test]
    fn an_rfc3339_time_with_an_offset_is_converted_to_utc() {
        let deadline = parse(r#""2026-11-24T21:00:00+03:00""#).unwrap();
        assert_eq!(deadline.value(), datetime!(2026-11-24 18:00:00 UTC));
        assert_eq!(deadline.value().offset(), UtcOffset::UTC);
    }

    #[test]
    fn an_integer_is_read_as_unix_seconds() {
        let deadline = parse("1795543200").unwrap();
        assert_eq!(deadline.value(), datetime!(2026-11-24 18:00:00 UTC));
        assert_eq!(parse("1795543200.0").unwrap(), deadline);
    }

    #[test]
    fn a_time_without_an_offset_is_refused() {
        for text in [
            r#""2026-11-24T18:00:00""#,
            r#""2026-11-24""#,
            r#""tomorrow""#,
        ] {
            assert!(parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn fractional_negative_or_exponent_unix_seconds_are_refused() {
        for text in ["1795543200.5", "-1", "1e-3"] {
            assert!(parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn unix_seconds_past_year_9998_are_refused() {
        for text in [
            "253402300800",
            "9223372036854775807",
            "18446744073709551615",
        ] {
            assert!(parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn written_years_0000_and_9999_are_refused_whatever_the_offset() {
        assert!(parse(r#""9999-12-31T23:59:59-01:00""#).is_err());
        assert!(parse(r#""9999-01-01T00:00:00Z""#).is_err());
        assert!(parse(r#""0000-01-01T00:00:00+01:00""#).is_err());
    }

    #[test]
    fn any_written_year_from_0001_to_9998_is_accepted_with_any_offset() {
        for text in [
            r#""0001-01-01T00:00:00+23:59""#,
            r#""0265-12-08T16:35:17.0-16:23""#,
            r#""1969-12-31T23:59:59Z""#,
            r#""9998-12-31T23:59:59-23:59""#,
        ] {
            assert!(parse(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn nanoseconds_are_truncated_to_microseconds() {
        let deadline = parse(r#""2026-11-24T18:00:00.123456789Z""#).unwrap();
        assert_eq!(deadline.value(), datetime!(2026-11-24 18:00:00.123456 UTC));
    }

    #[test]
    fn a_boolean_is_refused_with_its_type_named() {
        assert!(parse("false").unwrap_err().message.contains("boolean"));
    }
}
