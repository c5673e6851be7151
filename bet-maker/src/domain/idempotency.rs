//! The `Idempotency-Key` a client may send with a bet.

use super::ValidationError;

/// 1–255 printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Checks the header's value.
    pub fn parse(value: &[u8]) -> Result<Self, ValidationError> {
        let field = "Idempotency-Key";
        if value.is_empty() || value.len() > 255 {
            return Err(ValidationError::new(
                field,
                "must be 1 to 255 characters long",
            ));
        }
        if !value.iter().all(|b| (0x20..=0x7e).contains(b)) {
            return Err(ValidationError::new(
                field,
                "must contain printable ASCII characters only",
            ));
        }
        let text = String::from_utf8(value.to_vec())
            .map_err(|_| ValidationError::new(field, "must be ASCII"))?;
        Ok(Self(text))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uuid_is_a_good_key() {
        let key = IdempotencyKey::parse(b"8e0f6d1c-7a4b-4c55-9f0e-2b1d3c4e5f60").unwrap();
        assert_eq!(key.as_str(), "8e0f6d1c-7a4b-4c55-9f0e-2b1d3c4e5f60");
    }

    #[test]
    fn spaces_and_punctuation_are_printable() {
        assert!(IdempotencyKey::parse(b"order 42: retry #1").is_ok());
    }

    #[test]
    fn an_empty_key_is_refused() {
        assert!(IdempotencyKey::parse(b"").is_err());
    }

    #[test]
    fn a_key_of_255_characters_is_accepted_and_256_refused() {
        assert!(IdempotencyKey::parse(&[b'k'; 255]).is_ok());
        assert!(IdempotencyKey::parse(&[b'k'; 256]).is_err());
    }

    #[test]
    fn control_and_non_ascii_characters_are_refused() {
        assert!(IdempotencyKey::parse(b"tab\there").is_err());
        assert!(IdempotencyKey::parse("clé".as_bytes()).is_err());
        assert!(IdempotencyKey::parse(b"del\x7f").is_err());
    }
}
