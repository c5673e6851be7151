//! An event and the rules of its life: created `new`, changed while unfinished, finished once.

use serde_json::value::RawValue;
use shared_messages::{EventId, EventSnapshot, EventStatus};
use time::OffsetDateTime;

use super::json::Scalar;
use super::{Coefficient, Deadline, ValidationError};

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The operator's id.
    pub id: EventId,
    /// Current odds.
    pub coefficient: Coefficient,
    /// Bets are accepted strictly before it.
    pub deadline: Deadline,
    /// `new` until finished; a finished status never changes.
    pub status: EventStatus,
    /// 1 at creation, one more with every change.
    pub version: u64,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

/// A request to create an event.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The id the operator chose, or `None` for one made by the service.
    pub id: Option<EventId>,
    /// Starting odds.
    pub coefficient: Coefficient,
    /// When betting closes.
    pub deadline: Deadline,
}

/// A change of odds and/or deadline; at least one of them is present.
#[derive(Debug, Clone, Copy)]
pub struct EventChanges {
    coefficient: Option<Coefficient>,
    deadline: Option<Deadline>,
}

/// The result an event is finished with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finish(EventStatus);

/// Why a change cannot be made to an event in its current state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateConflict {
    /// A finished event's odds and deadline are frozen.
    #[error("event {0} is finished ({1}); its coefficient and deadline can no longer change")]
    AlreadyFinished(EventId, EventStatus),
    /// A finished event cannot get another result.
    #[error("event {0} is already finished as {1}")]
    OtherResult(EventId, EventStatus),
}

impl EventChanges {
    /// At least one change is required; an empty change is refused rather than ignored.
    pub fn new(
        coefficient: Option<Coefficient>,
        deadline: Option<Deadline>,
    ) -> Result<Self, ValidationError> {
        if coefficient.is_none() && deadline.is_none() {
            return Err(ValidationError::new(
                "body",
                "must contain a coefficient, a deadline or both",
            ));
        }
        Ok(Self {
            coefficient,
            deadline,
        })
    }
}

impl Finish {
    /// Parses the requested status: `finished_win` or `finished_lose`.
    pub fn from_json(field: &'static str, value: &RawValue) -> Result<Self, ValidationError> {
        let text = match Scalar::of(value) {
            Scalar::String(text) => text,
            other => {
                return Err(ValidationError::new(
                    field,
                    format!(
                        "must be \"finished_win\" or \"finished_lose\", got {}",
                        other.kind()
                    ),
                ));
            }
        };
        match EventStatus::parse(&text) {
            Some(status @ (EventStatus::FinishedWin | EventStatus::FinishedLose)) => {
                Ok(Self(status))
            }
            Some(EventStatus::New) => Err(ValidationError::new(
                field,
                "cannot be set back to \"new\"; use \"finished_win\" or \"finished_lose\"",
            )),
            None => Err(ValidationError::new(
                field,
                format!("must be \"finished_win\" or \"finished_lose\", got {text:?}"),
            )),
        }
    }

    /// The finished status.
    pub fn status(self) -> EventStatus {
        self.0
    }
}

impl Event {
    /// A new event at version 1, created `at`.
    pub fn created(
        id: EventId,
        coefficient: Coefficient,
        deadline: Deadline,
        at: OffsetDateTime,
    ) -> Self {
        let at = to_micros(at);
        Self {
            id,
            coefficient,
            deadline,
            status: EventStatus::New,
            version: 1,
            created_at: at,
            updated_at: at,
        }
    }

    /// The event after `changes` made `at`, or `None` when they change nothing.
    pub fn changed(
        &self,
        changes: EventChanges,
        at: OffsetDateTime,
    ) -> Result<Option<Self>, StateConflict> {
        if self.status.is_finished() {
            return Err(StateConflict::AlreadyFinished(self.id.clone(), self.status));
        }
        let coefficient = changes.coefficient.unwrap_or(self.coefficient);
        let deadline = changes.deadline.unwrap_or(self.deadline);
        if coefficient == self.coefficient && deadline == self.deadline {
            return Ok(None);
        }
        Ok(Some(self.next(coefficient, deadline, self.status, at)))
    }

    /// The event finished with `finish` `at`; `None` when it already has this very result.
    pub fn finished(
        &self,
        finish: Finish,
        at: OffsetDateTime,
    ) -> Result<Option<Self>, StateConflict> {
        match self.status {
            EventStatus::New => Ok(Some(self.next(
                self.coefficient,
                self.deadline,
                finish.status(),
                at,
            ))),
            status if status == finish.status() => Ok(None),
            status => Err(StateConflict::OtherResult(self.id.clone(), status)),
        }
    }

    /// The next version, made `at`. Its `updated_at` never goes back, whatever the clocks of
    /// several replicas say.
    fn next(
        &self,
        coefficient: Coefficient,
        deadline: Deadline,
        status: EventStatus,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            id: self.id.clone(),
            coefficient,
            deadline,
            status,
            version: self.version + 1,
            created_at: self.created_at,
            updated_at: to_micros(at).max(self.updated_at),
        }
    }

    /// The event as every message and response carries it.
    pub fn snapshot(&self) -> EventSnapshot {
        EventSnapshot {
            id: self.id.clone(),
            coefficient: self.coefficient.value(),
            deadline: self.deadline.value(),
            status: self.status,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// `at` to the microsecond, as Postgres stores it, so that the event answered is the one stored.
fn to_micros(at: OffsetDateTime) -> OffsetDateTime {
    at.replace_microsecond(at.microsecond()).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::json::raw;
    use rust_decimal::Decimal;
    use time::macros::datetime;

    fn event(status: EventStatus) -> Event {
        Event {
            id: EventId::parse("e1").unwrap(),
            coefficient: Coefficient::new("coefficient", Decimal::new(185, 2)).unwrap(),
            deadline: Deadline::new("deadline", datetime!(2026-11-24 18:00 UTC)).unwrap(),
            status,
            version: 1,
            created_at: datetime!(2026-11-24 12:00 UTC),
            updated_at: datetime!(2026-11-24 12:00 UTC),
        }
    }

    fn odds(cents: i64) -> Coefficient {
        Coefficient::new("coefficient", Decimal::new(cents, 2)).unwrap()
    }

    const AT: OffsetDateTime = datetime!(2026-11-24 12:01:00.123456789 UTC);

    #[test]
    fn a_change_is_the_next_version_stamped_to_the_microsecond() {
        let changes = EventChanges::new(Some(odds(210)), None).unwrap();
        let next = event(EventStatus::New)
            .changed(changes, AT)
            .unwrap()
            .unwrap();
        assert_eq!((next.version, next.coefficient), (2, odds(210)));
        assert_eq!(next.created_at, event(EventStatus::New).created_at);
        assert_eq!(next.updated_at, datetime!(2026-11-24 12:01:00.123456 UTC));
    }

    #[test]
    fn a_change_is_never_stamped_before_the_version_it_follows() {
        let changes = EventChanges::new(Some(odds(210)), None).unwrap();
        let behind = datetime!(2026-11-24 11:59 UTC);
        let next = event(EventStatus::New)
            .changed(changes, behind)
            .unwrap()
            .unwrap();
        assert_eq!(next.updated_at, event(EventStatus::New).updated_at);
    }

    #[test]
    fn a_created_event_is_version_1_stamped_to_the_microsecond() {
        let at = datetime!(2026-11-24 12:00:00.000000999 UTC);
        let created = Event::created(
            EventId::parse("e1").unwrap(),
            odds(185),
            event(EventStatus::New).deadline,
            at,
        );
        assert_eq!((created.version, created.status), (1, EventStatus::New));
        assert_eq!(created.created_at, datetime!(2026-11-24 12:00 UTC));
        assert_eq!(created.updated_at, created.created_at);
    }

    #[test]
    fn an_empty_change_is_refused() {
        assert!(EventChanges::new(None, None).is_err());
    }

    #[test]
    fn new_odds_change_an_unfinished_event() {
        let changes = EventChanges::new(Some(odds(210)), None).unwrap();
        let next = event(EventStatus::New)
            .changed(changes, AT)
            .unwrap()
            .unwrap();
        assert_eq!(next.coefficient, odds(210));
        assert_eq!(next.deadline, event(EventStatus::New).deadline);
    }

    #[test]
    fn the_same_odds_again_change_nothing() {
        let changes = EventChanges::new(Some(odds(185)), None).unwrap();
        assert_eq!(event(EventStatus::New).changed(changes, AT), Ok(None));
    }

    #[test]
    fn a_finished_event_cannot_change() {
        let changes = EventChanges::new(Some(odds(210)), None).unwrap();
        assert!(matches!(
            event(EventStatus::FinishedWin).changed(changes, AT),
            Err(StateConflict::AlreadyFinished(..))
        ));
    }

    #[test]
    fn a_new_event_finishes_with_the_requested_result() {
        let finish = Finish::from_json("status", &raw(r#""finished_lose""#)).unwrap();
        let finished = event(EventStatus::New)
            .finished(finish, AT)
            .unwrap()
            .unwrap();
        assert_eq!(
            (finished.status, finished.version),
            (EventStatus::FinishedLose, 2)
        );
        assert_eq!(finished.coefficient, event(EventStatus::New).coefficient);
    }

    #[test]
    fn finishing_again_with_the_same_result_is_a_no_op() {
        let finish = Finish::from_json("status", &raw(r#""finished_win""#)).unwrap();
        assert_eq!(
            event(EventStatus::FinishedWin).finished(finish, AT),
            Ok(None)
        );
    }

    #[test]
    fn finishing_with_the_other_result_conflicts() {
        let finish = Finish::from_json("status", &raw(r#""finished_lose""#)).unwrap();
        assert!(matches!(
            event(EventStatus::FinishedWin).finished(finish, AT),
            Err(StateConflict::OtherResult(..))
        ));
    }

    #[test]
    fn new_is_not_a_result() {
        let error = Finish::from_json("status", &raw(r#""new""#)).unwrap_err();
        assert!(error.message.contains("back to \"new\""));
    }

    #[test]
    fn an_unknown_status_is_refused() {
        assert!(Finish::from_json("status", &raw(r#""draw""#)).is_err());
        assert!(Finish::from_json("status", &raw("1")).is_err());
    }
}
