//! The rules of an event's life, case by case.

use super::*;
use crate::domain::json::raw;
use crate::domain::{LimitChanges, Limits};
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
        reason: None,
        limits: Limits::NONE,
    }
}

fn odds(cents: i64) -> Coefficient {
    Coefficient::new("coefficient", Decimal::new(cents, 2)).unwrap()
}

const AT: OffsetDateTime = datetime!(2026-11-24 12:01:00.123456789 UTC);

#[test]
fn a_change_is_the_next_version_stamped_to_the_microsecond() {
    let changes = EventChanges::new(Some(odds(210)), None, LimitChanges::default()).unwrap();
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
    let changes = EventChanges::new(Some(odds(210)), None, LimitChanges::default()).unwrap();
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
        Limits::NONE,
        at,
    );
    assert_eq!((created.version, created.status), (1, EventStatus::New));
    assert_eq!(created.created_at, datetime!(2026-11-24 12:00 UTC));
    assert_eq!(created.updated_at, created.created_at);
}

#[test]
fn an_empty_change_is_refused() {
    assert!(EventChanges::new(None, None, LimitChanges::default()).is_err());
}

#[test]
fn new_odds_change_an_unfinished_event() {
    let changes = EventChanges::new(Some(odds(210)), None, LimitChanges::default()).unwrap();
    let next = event(EventStatus::New)
        .changed(changes, AT)
        .unwrap()
        .unwrap();
    assert_eq!(next.coefficient, odds(210));
    assert_eq!(next.deadline, event(EventStatus::New).deadline);
}

#[test]
fn the_same_odds_again_change_nothing() {
    let changes = EventChanges::new(Some(odds(185)), None, LimitChanges::default()).unwrap();
    assert_eq!(event(EventStatus::New).changed(changes, AT), Ok(None));
}

#[test]
fn a_finished_event_cannot_change() {
    let changes = EventChanges::new(Some(odds(210)), None, LimitChanges::default()).unwrap();
    assert!(matches!(
        event(EventStatus::FinishedWin).changed(changes, AT),
        Err(ChangeRefused::Conflict(StateConflict::AlreadyFinished(..)))
    ));
}

#[test]
fn a_new_event_finishes_with_the_requested_result() {
    let finish = Finish::from_json("status", &raw(r#""finished_lose""#), None).unwrap();
    let finished = event(EventStatus::New)
        .finished(&finish, AT)
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
    let finish = Finish::from_json("status", &raw(r#""finished_win""#), None).unwrap();
    assert_eq!(
        event(EventStatus::FinishedWin).finished(&finish, AT),
        Ok(None)
    );
}

#[test]
fn finishing_with_the_other_result_conflicts() {
    let finish = Finish::from_json("status", &raw(r#""finished_lose""#), None).unwrap();
    assert!(matches!(
        event(EventStatus::FinishedWin).finished(&finish, AT),
        Err(StateConflict::OtherResult(..))
    ));
}

#[test]
fn new_is_not_a_result() {
    let error = Finish::from_json("status", &raw(r#""new""#), None).unwrap_err();
    assert!(error.message.contains("back to \"new\""));
}

#[test]
fn an_unknown_status_is_refused() {
    assert!(Finish::from_json("status", &raw(r#""draw""#), None).is_err());
    assert!(Finish::from_json("status", &raw("1"), None).is_err());
}

#[test]
fn a_new_event_is_cancelled_with_its_reason_and_its_odds_frozen() {
    let reason = Reason::new("reason", "abandoned".into()).unwrap();
    let finish = Finish::from_json("status", &raw(r#""cancelled""#), Some(reason.clone())).unwrap();
    let cancelled = event(EventStatus::New)
        .finished(&finish, AT)
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            cancelled.status,
            cancelled.version,
            cancelled.reason.clone()
        ),
        (EventStatus::Cancelled, 2, Some(reason))
    );
    assert_eq!(cancelled.snapshot().reason.as_deref(), Some("abandoned"));
    let changes = EventChanges::new(Some(odds(300)), None, LimitChanges::default()).unwrap();
    assert!(matches!(
        cancelled.changed(changes, AT),
        Err(ChangeRefused::Conflict(StateConflict::AlreadyFinished(..)))
    ));
}

#[test]
fn a_cancelled_event_cannot_be_finished_nor_a_finished_one_cancelled() {
    let cancel = Finish::from_json("status", &raw(r#""cancelled""#), None).unwrap();
    let win = Finish::from_json("status", &raw(r#""finished_win""#), None).unwrap();
    assert_eq!(
        event(EventStatus::Cancelled).finished(&cancel, AT),
        Ok(None)
    );
    assert!(matches!(
        event(EventStatus::Cancelled).finished(&win, AT),
        Err(StateConflict::OtherResult(..))
    ));
    assert!(matches!(
        event(EventStatus::FinishedWin).finished(&cancel, AT),
        Err(StateConflict::OtherResult(..))
    ));
}

#[test]
fn a_reason_is_one_to_five_hundred_characters() {
    assert!(Reason::new("reason", "x".repeat(500)).is_ok());
    assert!(Reason::new("reason", "é".repeat(500)).is_ok());
    for text in [String::new(), "x".repeat(501), "a\0b".into()] {
        let error = Reason::new("reason", text).unwrap_err();
        assert_eq!(error.field, "reason");
    }
    assert!(Reason::from_json("reason", &raw("42")).is_err());
}

fn correction(status: &str, reason: &str) -> Correction {
    let reason = Reason::new("reason", reason.into()).unwrap();
    Correction::from_json("status", &raw(&format!("\"{status}\"")), reason).unwrap()
}

#[test]
fn a_final_status_is_corrected_as_a_new_version_with_its_reason() {
    for (from, to) in [
        (EventStatus::FinishedWin, "finished_lose"),
        (EventStatus::FinishedLose, "cancelled"),
        (EventStatus::Cancelled, "finished_win"),
    ] {
        let corrected = event(from)
            .corrected(&correction(to, "wrong side entered"), AT)
            .unwrap()
            .unwrap();
        assert_eq!(corrected.status.as_str(), to);
        assert_eq!(corrected.version, 2);
        assert_eq!(
            corrected.reason.as_ref().map(Reason::as_str),
            Some("wrong side entered")
        );
    }
}

#[test]
fn correcting_to_the_status_it_has_is_a_no_op_and_a_new_event_has_nothing_to_correct() {
    assert_eq!(
        event(EventStatus::FinishedWin).corrected(&correction("finished_win", "again"), AT),
        Ok(None)
    );
    assert!(matches!(
        event(EventStatus::New).corrected(&correction("finished_win", "early"), AT),
        Err(StateConflict::NotFinal(..))
    ));
    let back_to_new = Correction::from_json(
        "status",
        &raw(r#""new""#),
        Reason::new("reason", "undo".into()).unwrap(),
    );
    assert!(back_to_new.is_err());
}
