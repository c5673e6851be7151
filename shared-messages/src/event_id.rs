//! The id of an event, shared by both services and every message.

use serde::{Deserialize, Serialize};

/// The longest event id the contract allows.
pub const MAX_LEN: usize = 64;
/// The rule for a new event's id as a regular expression (for OpenAPI documents): an id that
/// does not begin with a dot, one that begins with one dot, or one that begins with two and
/// goes on.
pub const PATTERN: &str = r"^(?:[A-Za-z0-9_:-][A-Za-z0-9._:-]{0,63}|\.[A-Za-z0-9_:-][A-Za-z0-9._:-]{0,62}|\.\.[A-Za-z0-9._:-]{1,62})$";
/// The rule in words, as both APIs' documents state it.
pub const RULE: &str = "1–64 characters of A-Z a-z 0-9 - _ . :, but not `.` or `..` (a 64-bit integer means its decimal string)";

/// An event id: 1–64 characters from `A-Z a-z 0-9 - _ . :`. A new event's id is neither `.`
/// nor `..` ([`EventId::parse_new`]): a URL path segment that no browser or proxy keeps
/// (`/events/..` is `/`). One stored before that rule still reads, and its messages apply.
///
/// The only way to get one is [`EventId::parse`] (or deserializing, which calls it), so a
/// value of this type is always valid.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EventId(String);

/// Why a string is not an event id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventIdError {
    /// The id is the empty string.
    Empty,
    /// The id is longer than [`MAX_LEN`] characters.
    TooLong(usize),
    /// The id holds a character outside `A-Z a-z 0-9 - _ . :`.
    ForbiddenCharacter(char),
    /// The id is `.` or `..`, which no URL can address.
    DotSegment,
}

impl std::fmt::Display for EventIdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => f.write_str("must not be empty"),
            Self::TooLong(len) => write!(f, "must be at most {MAX_LEN} characters, got {len}"),
            Self::ForbiddenCharacter(c) => write!(
                f,
                "may only contain A-Z, a-z, 0-9, '-', '_', '.' and ':', found {c:?}"
            ),
            Self::DotSegment => {
                f.write_str("must not be \".\" or \"..\": no URL can address such an event")
            }
        }
    }
}

impl std::error::Error for EventIdError {}

impl EventId {
    /// Checks every rule of the contract.
    pub fn parse(value: impl Into<String>) -> Result<Self, EventIdError> {
        let value = value.into();
        if value.is_empty() {
            return Err(EventIdError::Empty);
        }
        let len = value.chars().count();
        if len > MAX_LEN {
            return Err(EventIdError::TooLong(len));
        }
        if let Some(c) = value.chars().find(|c| !is_allowed(*c)) {
            return Err(EventIdError::ForbiddenCharacter(c));
        }
        Ok(Self(value))
    }

    /// The id of an event about to be created: every rule of [`EventId::parse`], and neither
    /// `.` nor `..`, which no URL can address.
    pub fn parse_new(value: impl Into<String>) -> Result<Self, EventIdError> {
        let id = Self::parse(value)?;
        if id.0 == "." || id.0 == ".." {
            return Err(EventIdError::DotSegment);
        }
        Ok(id)
    }

    /// An id made of `uuid`: its hyphenated text (36 hex digits and hyphens) keeps every rule.
    pub fn from_uuid(uuid: uuid::Uuid) -> Self {
        Self(uuid.hyphenated().to_string())
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')
}

impl TryFrom<String> for EventId {
    type Error = EventIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<EventId> for String {
    fn from(id: EventId) -> Self {
        id.0
    }
}

impl AsRef<str> for EventId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EventId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_of_letters_digits_and_punctuation_is_accepted() {
        let id = EventId::parse("Match-2026_11.24:final").unwrap();
        assert_eq!(id.as_str(), "Match-2026_11.24:final");
    }

    #[test]
    fn an_id_made_of_a_uuid_is_the_uuid_text_and_keeps_the_rule() {
        let uuid = uuid::Uuid::now_v7();
        let id = EventId::from_uuid(uuid);
        assert_eq!(id.as_str(), uuid.to_string());
        assert_eq!(EventId::parse(id.as_str()), Ok(id));
    }

    #[test]
    fn a_new_event_s_id_is_not_a_dot_segment_but_a_stored_one_still_reads() {
        for id in [".", ".."] {
            assert_eq!(EventId::parse_new(id), Err(EventIdError::DotSegment));
            assert!(EventId::parse(id).is_ok(), "{id}");
        }
        for id in ["...", ".a", "a..", "1.5"] {
            assert!(EventId::parse_new(id).is_ok(), "{id}");
        }
    }

    #[test]
    fn an_empty_id_is_refused() {
        assert_eq!(EventId::parse(""), Err(EventIdError::Empty));
    }

    #[test]
    fn an_id_of_64_characters_is_accepted_and_65_refused() {
        assert!(EventId::parse("a".repeat(64)).is_ok());
        assert_eq!(
            EventId::parse("a".repeat(65)),
            Err(EventIdError::TooLong(65))
        );
    }

    #[test]
    fn spaces_slashes_and_non_ascii_letters_are_refused() {
        for (id, c) in [
            ("a b", ' '),
            ("a/b", '/'),
            ("ставка", 'с'),
            ("a\u{0}", '\u{0}'),
        ] {
            assert_eq!(EventId::parse(id), Err(EventIdError::ForbiddenCharacter(c)));
        }
    }
}
