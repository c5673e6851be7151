//! Bettors' accounts, their tokens and the lines of their money.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{EventId, ValidationError};

/// An account's name: 1–64 characters, none of them a control character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountName(String);

impl AccountName {
    /// Checks a name sent by a client.
    pub fn parse(name: &str) -> Result<Self, ValidationError> {
        let characters = name.chars().count();
        if !(1..=64).contains(&characters) {
            return Err(ValidationError::new(
                "name",
                "must be 1 to 64 characters long",
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(ValidationError::new(
                "name",
                "must not contain control characters",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A bettor's bearer token: `bm_` and 256 random bits, URL-safe. Only its hash is stored; its
/// `Debug` never shows it.
pub struct BettorToken(String);

/// What the database keeps of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHash([u8; 32]);

impl BettorToken {
    /// A new token from the operating system's random source.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bits = [0_u8; 32];
        getrandom::fill(&mut bits)?;
        Ok(Self(format!("bm_{}", URL_SAFE_NO_PAD.encode(bits))))
    }

    /// The token, for the one answer that shows it.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// Its hash, to store or to look up.
    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

impl fmt::Debug for BettorToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BettorToken([redacted])")
    }
}

impl TokenHash {
    /// The SHA-256 of a token as a client sent it. Tokens carry 256 random bits, so a plain
    /// hash is enough: there is nothing to guess a token from.
    pub fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    /// The hash's 32 bytes, as stored.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: Uuid,
    pub name: String,
    /// What the bettor may stake or withdraw (below zero after a correction took back more
    /// than it held).
    pub available: Decimal,
    /// Stakes of bets whose result the wallet has not taken yet.
    pub held: Decimal,
    pub blocked: bool,
    pub created_at: OffsetDateTime,
}

impl Account {
    /// Why this account cannot give `amount` now: blocked, or less available; `None` when it
    /// can.
    pub fn refusal(&self, amount: Decimal) -> Option<MoneyRefused> {
        if self.blocked {
            Some(MoneyRefused::Blocked)
        } else if self.available < amount {
            Some(MoneyRefused::InsufficientFunds {
                available: self.available,
            })
        } else {
            None
        }
    }
}

/// What a line of the ledger records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Deposit,
    Withdrawal,
    Stake,
    Won,
    Lost,
    Void,
    Correction,
}

impl LineKind {
    /// As stored and served.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deposit => "deposit",
            Self::Withdrawal => "withdrawal",
            Self::Stake => "stake",
            Self::Won => "won",
            Self::Lost => "lost",
            Self::Void => "void",
            Self::Correction => "correction",
        }
    }

    /// From the stored text.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Deposit,
            Self::Withdrawal,
            Self::Stake,
            Self::Won,
            Self::Lost,
            Self::Void,
            Self::Correction,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

/// A line of an account's statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub id: i64,
    pub kind: LineKind,
    /// Its effect on `available` (signed).
    pub amount: Decimal,
    /// `available` after it.
    pub available: Decimal,
    pub bet_id: Option<Uuid>,
    pub event_id: Option<EventId>,
    /// A deposit's payment reference.
    pub reference: Option<String>,
    pub created_at: OffsetDateTime,
}

/// The book's money in one read: every account's `available` and `held`, what came in and
/// went out, and the book's result. `deposits − withdrawals = available + held + book`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerTotals {
    pub deposits: Decimal,
    pub withdrawals: Decimal,
    pub available: Decimal,
    pub held: Decimal,
    pub book: Decimal,
}

/// Why money cannot move out of an account.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyRefused {
    /// The amount is more than `available` (409).
    #[error("the amount is more than the {available} available")]
    InsufficientFunds { available: Decimal },
    /// An operator blocked the account (403).
    #[error("this account is blocked: it places no bet and withdraws nothing")]
    Blocked,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_of_1_to_64_characters_is_accepted_not_65_or_none() {
        assert!(AccountName::parse("a").is_ok());
        assert!(AccountName::parse(&"é".repeat(64)).is_ok());
        assert!(AccountName::parse(&"é".repeat(65)).is_err());
        assert!(AccountName::parse("").is_err());
    }

    #[test]
    fn a_name_with_a_control_character_is_refused() {
        assert!(AccountName::parse("line\nbreak").is_err());
        assert!(AccountName::parse("nul\0").is_err());
    }

    #[test]
    fn tokens_differ_carry_256_bits_and_hash_as_sent() {
        let one = BettorToken::generate().unwrap();
        let two = BettorToken::generate().unwrap();
        assert_ne!(one.reveal(), two.reveal());
        assert_eq!(one.reveal().len(), "bm_".len() + 43);
        assert_eq!(one.hash(), TokenHash::of(one.reveal()));
        assert_ne!(one.hash(), two.hash());
        assert!(!format!("{one:?}").contains(one.reveal()));
    }

    #[test]
    fn every_kind_reads_back_as_written() {
        for kind in [
            "deposit",
            "withdrawal",
            "stake",
            "won",
            "lost",
            "void",
            "correction",
        ] {
            assert_eq!(LineKind::parse(kind).map(LineKind::as_str), Some(kind));
        }
        assert_eq!(LineKind::parse("gift"), None);
    }
}
