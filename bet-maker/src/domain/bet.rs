//! A bet, its status and the filters of the history.

use rust_decimal::Decimal;
use shared_messages::{EventId, EventStatus};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Money, ValidationError};

/// Where a bet stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BetStatus {
    /// Its event is not finished yet.
    Pending,
    /// Its event finished as `finished_win`.
    Won,
    /// Its event finished as `finished_lose`.
    Lost,
    /// Its event was cancelled: the stake is returned, the bet neither wins nor loses.
    Void,
}

impl BetStatus {
    /// The status as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Won => "won",
            Self::Lost => "lost",
            Self::Void => "void",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Self::Pending),
            "won" => Some(Self::Won),
            "lost" => Some(Self::Lost),
            "void" => Some(Self::Void),
            _ => None,
        }
    }

    /// The status of every bet on an event with `status`: a bet's status is its event's result
    /// (bet-maker stores the result once, on the event).
    pub fn of(status: EventStatus) -> Self {
        match status {
            EventStatus::New => Self::Pending,
            EventStatus::FinishedWin => Self::Won,
            EventStatus::FinishedLose => Self::Lost,
            EventStatus::Cancelled => Self::Void,
        }
    }

    /// What the bets of an event become when it finishes or is cancelled with `status`;
    /// `None` while `new`.
    pub fn settled_by(status: EventStatus) -> Option<Self> {
        match Self::of(status) {
            Self::Pending => None,
            settled => Some(settled),
        }
    }

    /// The status of the events whose bets have this status: the inverse of [`BetStatus::of`].
    pub fn event_status(self) -> EventStatus {
        match self {
            Self::Pending => EventStatus::New,
            Self::Won => EventStatus::FinishedWin,
            Self::Lost => EventStatus::FinishedLose,
            Self::Void => EventStatus::Cancelled,
        }
    }
}

/// A bet as served: what was fixed when it was placed, and its event's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bet {
    /// Its id.
    pub id: Uuid,
    /// The event it is on.
    pub event_id: EventId,
    /// The stake.
    pub amount: Money,
    /// The odds locked when it was placed.
    pub coefficient: Decimal,
    /// Where it stands: its event's result ([`BetStatus::of`]).
    pub status: BetStatus,
    /// When it was placed.
    pub created_at: OffsetDateTime,
    /// When bet-maker applied its event's result; `None` while pending.
    pub settled_at: Option<OffsetDateTime>,
    /// The account it was placed from; `None` for an anonymous bet.
    pub account_id: Option<Uuid>,
    /// When its account's wallet took its current result; `None` for an anonymous bet, and
    /// until then.
    pub paid_at: Option<OffsetDateTime>,
}

/// Which bets of the history to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BetFilter {
    /// Only bets with this status.
    pub status: Option<BetStatus>,
    /// Only bets on this event.
    pub event_id: Option<EventId>,
    /// Whose bets.
    pub owner: Owner,
}

/// Whose bets a list holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Owner {
    /// Everyone's: the operator's view, and every caller's on a book that opens no accounts.
    #[default]
    Anyone,
    /// The bets placed without an account.
    Nobody,
    /// The bets of one account.
    Account(uuid::Uuid),
}

impl Owner {
    /// Whether a list of these bets may name a bet of `account` (`None`: anonymous) as a
    /// place: the anonymous bets are everyone's, an account's only its own and the operator's.
    pub fn may_see(self, account: Option<uuid::Uuid>) -> bool {
        match (self, account) {
            (Self::Anyone, _) | (_, None) => true,
            (Self::Account(id), Some(owner)) => id == owner,
            (Self::Nobody, Some(_)) => false,
        }
    }

    /// The account, when one is named.
    pub fn account(self) -> Option<uuid::Uuid> {
        match self {
            Self::Account(id) => Some(id),
            Self::Anyone | Self::Nobody => None,
        }
    }
}

/// How many bets a page holds: 1 to 1000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u16);

impl PageSize {
    /// The largest page.
    pub const MAX: u16 = 1000;
    /// The page of a list that pages always (accounts, a statement) when `?limit=` is not sent.
    pub const DEFAULT: u16 = 100;

    /// `?limit=` of a list that pages always: the size asked for, else [`Self::DEFAULT`].
    pub fn parse_or_default(text: Option<&str>) -> Result<Self, ValidationError> {
        text.map_or(Ok(Self(Self::DEFAULT)), Self::parse)
    }

    /// Parses `?limit=`.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        match text.parse::<u16>() {
            Ok(n) if (1..=Self::MAX).contains(&n) => Ok(Self(n)),
            _ => Err(ValidationError::new(
                "limit",
                "must be a whole number from 1 to 1000",
            )),
        }
    }

    /// The size.
    pub fn get(self) -> u16 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_won_event_makes_bets_won_and_a_lost_one_lost() {
        assert_eq!(
            BetStatus::settled_by(EventStatus::FinishedWin),
            Some(BetStatus::Won)
        );
        assert_eq!(
            BetStatus::settled_by(EventStatus::FinishedLose),
            Some(BetStatus::Lost)
        );
        assert_eq!(BetStatus::settled_by(EventStatus::New), None);
    }

    #[test]
    fn each_bet_status_belongs_to_exactly_one_event_status() {
        for status in [
            EventStatus::New,
            EventStatus::FinishedWin,
            EventStatus::FinishedLose,
        ] {
            assert_eq!(BetStatus::of(status).event_status(), status);
        }
        for bet in [
            BetStatus::Pending,
            BetStatus::Won,
            BetStatus::Lost,
            BetStatus::Void,
        ] {
            assert_eq!(BetStatus::of(bet.event_status()), bet);
        }
    }

    #[test]
    fn statuses_are_spelled_as_in_the_contract() {
        for (status, text) in [
            (BetStatus::Pending, "pending"),
            (BetStatus::Won, "won"),
            (BetStatus::Lost, "lost"),
            (BetStatus::Void, "void"),
        ] {
            assert_eq!(status.as_str(), text);
            assert_eq!(BetStatus::parse(text), Some(status));
        }
        assert_eq!(BetStatus::parse("cancelled"), None);
        assert_eq!(BetStatus::of(EventStatus::Cancelled), BetStatus::Void);
    }

    #[test]
    fn page_sizes_from_1_to_1000_are_accepted() {
        assert_eq!(PageSize::parse("1").unwrap().get(), 1);
        assert_eq!(PageSize::parse("1000").unwrap().get(), 1000);
    }

    #[test]
    fn page_sizes_outside_1_to_1000_are_refused() {
        for text in ["0", "1001", "-1", "ten", "", "1.5", "99999999999"] {
            assert!(PageSize::parse(text).is_err(), "{text}");
        }
    }
}
