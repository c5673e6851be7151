//! An event and the rules of its life: created `new`, changed while unfinished, finished or
//! cancelled once.

use shared_messages::{EventId, EventSnapshot, EventStatus};
use time::OffsetDateTime;

mod refused;
mod request;

pub use refused::{ChangeRefused, Refused, StateConflict};
pub use request::{Correction, EventChanges, Finish, NewEvent, Reason};

use super::{Coefficient, Deadline, Limits, Money};

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The operator's id.
    pub id: EventId,
    /// Current odds.
    pub coefficient: Coefficient,
    /// Bets are accepted strictly before it.
    pub deadline: Deadline,
    /// `new` until finished or cancelled; a final status never changes.
    pub status: EventStatus,
    /// 1 at creation, one more with every change.
    pub version: u64,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
    /// Why it was finished or cancelled, when the operator said.
    pub reason: Option<Reason>,
    /// The stakes it takes and the most the book may lose on it; bet-maker enforces them.
    pub limits: Limits,
}

impl Event {
    /// A new event at version 1, created `at`.
    pub fn created(
        id: EventId,
        coefficient: Coefficient,
        deadline: Deadline,
        limits: Limits,
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
            reason: None,
            limits,
        }
    }

    /// The event after `changes` made `at`, or `None` when they change nothing. Its limits are
    /// checked as they would be after the change.
    pub fn changed(
        &self,
        changes: EventChanges,
        at: OffsetDateTime,
    ) -> Result<Option<Self>, ChangeRefused> {
        if self.status.is_final() {
            return Err(StateConflict::AlreadyFinished(self.id.clone(), self.status).into());
        }
        let coefficient = changes.coefficient.unwrap_or(self.coefficient);
        let deadline = changes.deadline.unwrap_or(self.deadline);
        let limits = self.limits.changed(&changes.limits)?;
        if coefficient == self.coefficient && deadline == self.deadline && limits == self.limits {
            return Ok(None);
        }
        Ok(Some(Self {
            limits,
            ..self.next(coefficient, deadline, self.status, at)
        }))
    }

    /// The event given the final status of `finish` `at` (finished or cancelled, with the
    /// reason); `None` when it already has this very status.
    pub fn finished(
        &self,
        finish: &Finish,
        at: OffsetDateTime,
    ) -> Result<Option<Self>, StateConflict> {
        match self.status {
            EventStatus::New => Ok(Some(Self {
                reason: finish.reason().cloned(),
                ..self.next(self.coefficient, self.deadline, finish.status(), at)
            })),
            status if status == finish.status() => Ok(None),
            status => Err(StateConflict::OtherResult(self.id.clone(), status)),
        }
    }

    /// The event with its final status corrected by `correction` `at` (a new version with
    /// the new status and reason); `None` when it already has that status. A `new` event has
    /// nothing to correct.
    pub fn corrected(
        &self,
        correction: &Correction,
        at: OffsetDateTime,
    ) -> Result<Option<Self>, StateConflict> {
        match self.status {
            EventStatus::New => Err(StateConflict::NotFinal(self.id.clone())),
            status if status == correction.status() => Ok(None),
            _ => Ok(Some(Self {
                reason: Some(correction.reason().clone()),
                ..self.next(self.coefficient, self.deadline, correction.status(), at)
            })),
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
            reason: self.reason.clone(),
            limits: self.limits,
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
            reason: self
                .reason
                .as_ref()
                .map(|reason| reason.as_str().to_owned()),
            min_stake: self.limits.min_stake().map(Money::value),
            max_stake: self.limits.max_stake().map(Money::value),
            max_liability: self.limits.max_liability().map(Money::value),
        }
    }
}

/// `at` to the microsecond, as Postgres stores it, so that the event answered is the one stored.
fn to_micros(at: OffsetDateTime) -> OffsetDateTime {
    at.replace_microsecond(at.microsecond()).unwrap_or(at)
}

#[cfg(test)]
mod limit_tests;
#[cfg(test)]
mod tests;
