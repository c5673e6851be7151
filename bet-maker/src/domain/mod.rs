//! Domain types: every value here was checked once, when it was parsed, and is valid for good.

mod account;
mod bet;
mod consent;
mod event;
mod idempotency;
pub mod json;
pub mod liability;
mod refused;

pub use account::{
    Account, AccountName, BettorToken, LedgerTotals, Line, LineKind, MoneyRefused, TokenHash,
};
pub use bet::{Bet, BetFilter, BetStatus, Owner, PageSize};
pub use consent::{AcceptOdds, Consent};
pub use event::{IncomingEvent, InvalidEvent, Limits, OpenEvent};
pub use idempotency::IdempotencyKey;
pub use json::{Scalar, ValidationError, decimal_from_json, id_from_json};
pub use refused::BetRefused;
pub use shared_messages::{EventId, EventStatus, Money};
