//! The instant betting on an event closes.

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use super::ValidationError;
use super::json::kind;

/// An instant in UTC between 1970 and the end of year 9999, to the microsecond (the
/// precision Postgres keeps). Bets are accepted strictly before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deadline(OffsetDateTime);

/// 9999-12-31T23:59:59Z, the last instant RFC 3339 can write.
const MAX_UNIX_SECONDS: i64 = 253_402_300_799;

impl Deadline {
    /// Parses an RFC 3339 string with an offset, or an integer count of Unix seconds.
    pub fn from_json(field: &'static str, value: &Value) -> Result<Self, ValidationError> {
        match value {
            Value::String(text) => Self::from_rfc3339(field, text),
            Value::Number(number) => {
                let seconds = number
                    .as_i64()
                    .filter(|_| !number.as_str().contains(['.', 'e', 'E']));
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
                    kind(other)
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
        Self::new(field, parsed)
    }

    fn from_unix_seconds(field: &'static str, seconds: i64) -> Result<Self, ValidationError> {
        if !(0..=MAX_UNIX_SECONDS).contains(&seconds) {
            return Err(ValidationError::new(field, "must be between 1970 and 9999"));
        }
        let instant = OffsetDateTime::from_unix_timestamp(seconds)
            .map_err(|_| ValidationError::new(field, "must be between 1970 and 9999"))?;
        Self::new(field, instant)
    }

    /// Checks the range and drops precision beyond the microsecond.
    pub fn new(field: &'static str, instant: OffsetDateTime) -> Result<Self, ValidationError> {
        let utc = instant.to_offset(UtcOffset::UTC);
        if !(0..=MAX_UNIX_SECONDS).contains(&utc.unix_timestamp()) {
            return Err(ValidationError::new(field, "must be between 1970 and 9999"));
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
    use serde_json::json;
    use time::macros::datetime;

    fn parse(value: Value) -> Result<Deadline, ValidationError> {
        Deadline::from_json("deadline", &value)
    }

    #[test]
    fn an_rfc3339_time_in_utc_is_accepted() {
        let deadline = parse(json!("2026-11-24T18:00:00Z")).unwrap();
        assert_eq!(deadline.value(), datetime!(2026-11-24 18:00:00 UTC));
    }

    #[test]
    fn an_rfc3339_time_with_an_offset_is_converted_to_utc() {
        let deadline = parse(json!("2026-11-24T21:00:00+03:00")).unwrap();
        assert_eq!(deadline.value(), datetime!(2026-11-24 18:00:00 UTC));
        assert_eq!(deadline.value().offset(), UtcOffset::UTC);
    }

    #[test]
    fn an_integer_is_read_as_unix_seconds() {
        let deadline = parse(json!(1_795_543_200)).unwrap();
        assert_eq!(deadline.value(), datetime!(2026-11-24 18:00:00 UTC));
    }

    #[test]
    fn a_time_without_an_offset_is_refused() {
        assert!(parse(json!("2026-11-24T18:00:00")).is_err());
        assert!(parse(json!("2026-11-24")).is_err());
        assert!(parse(json!("tomorrow")).is_err());
    }

    #[test]
    fn fractional_or_negative_unix_seconds_are_refused() {
        assert!(parse(serde_json::from_str("1795543200.5").unwrap()).is_err());
        assert!(parse(json!(-1)).is_err());
        assert!(parse(serde_json::from_str("1e3").unwrap()).is_err());
    }

    #[test]
    fn an_instant_past_year_9999_is_refused() {
        assert!(parse(json!(253_402_300_800_i64)).is_err());
        assert!(parse(json!(i64::MAX)).is_err());
        assert!(parse(json!(u64::MAX)).is_err());
    }

    #[test]
    fn nanoseconds_are_truncated_to_microseconds() {
        let deadline = parse(json!("2026-11-24T18:00:00.123456789Z")).unwrap();
        assert_eq!(deadline.value(), datetime!(2026-11-24 18:00:00.123456 UTC));
    }

    #[test]
    fn a_boolean_is_refused_with_its_type_named() {
        assert!(parse(json!(false)).unwrap_err().message.contains("boolean"));
    }
}
