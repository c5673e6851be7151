//! An event's limits through its changes, case by case.

use rust_decimal::Decimal;
use time::macros::datetime;

use super::*;
use crate::domain::json::raw;
use crate::domain::{LimitChanges, Limits};

const AT: OffsetDateTime = datetime!(2026-11-24 12:01 UTC);

fn money(units: i64) -> Money {
    Money::parse(Decimal::from(units)).unwrap()
}

fn event(status: EventStatus, limits: Limits) -> Event {
    let created = Event::created(
        EventId::parse("e1").unwrap(),
        Coefficient::new("coefficient", Decimal::new(185, 2)).unwrap(),
        Deadline::new("deadline", datetime!(2026-11-24 18:00 UTC)).unwrap(),
        limits,
        datetime!(2026-11-24 12:00 UTC),
    );
    Event { status, ..created }
}

fn limits_change(
    min_stake: Option<Option<Money>>,
    max_stake: Option<Option<Money>>,
    max_liability: Option<Option<Money>>,
) -> EventChanges {
    let limits = LimitChanges::new(min_stake, max_stake, max_liability).unwrap();
    EventChanges::new(None, None, limits).unwrap()
}

#[test]
fn a_change_of_limits_alone_is_the_next_version_and_its_snapshot_carries_them() {
    let changes = limits_change(Some(Some(money(2))), None, Some(Some(money(1_000))));
    let next = event(EventStatus::New, Limits::NONE)
        .changed(changes, AT)
        .unwrap()
        .unwrap();
    assert_eq!(next.version, 2);
    let snapshot = next.snapshot();
    assert_eq!(
        (
            snapshot.min_stake,
            snapshot.max_stake,
            snapshot.max_liability
        ),
        (
            Some(Decimal::new(200, 2)),
            None,
            Some(Decimal::new(100_000, 2))
        )
    );
    assert!(snapshot.has_limits());
}

#[test]
fn an_event_without_limits_has_none_in_its_snapshot() {
    let snapshot = event(EventStatus::New, Limits::NONE).snapshot();
    assert_eq!(
        (
            snapshot.min_stake,
            snapshot.max_stake,
            snapshot.max_liability
        ),
        (None, None, None)
    );
}

#[test]
fn null_removes_a_limit_and_keeps_the_others() {
    let limits = Limits::new(Some(money(1)), Some(money(50)), None).unwrap();
    let next = event(EventStatus::New, limits)
        .changed(limits_change(None, Some(None), None), AT)
        .unwrap()
        .unwrap();
    assert_eq!(
        next.limits,
        Limits::new(Some(money(1)), None, None).unwrap()
    );
}

#[test]
fn the_same_limits_again_or_removing_an_absent_one_change_nothing() {
    let limits = Limits::new(Some(money(1)), None, None).unwrap();
    let same = limits_change(Some(Some(money(1))), Some(None), None);
    assert_eq!(event(EventStatus::New, limits).changed(same, AT), Ok(None));
}

#[test]
fn a_largest_stake_below_the_smallest_already_set_is_refused_naming_min_stake() {
    let limits = Limits::new(Some(money(10)), None, None).unwrap();
    let refused = event(EventStatus::New, limits)
        .changed(limits_change(None, Some(Some(money(5))), None), AT);
    match refused {
        Err(ChangeRefused::Invalid(error)) => assert_eq!(error.field, "min_stake"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_finished_event_s_limits_cannot_change_and_stay_on_it() {
    let limits = Limits::new(None, None, Some(money(500))).unwrap();
    let open = event(EventStatus::New, limits);
    let finish = Finish::from_json("status", &raw(r#""finished_win""#), None).unwrap();
    let finished = open.finished(&finish, AT).unwrap().unwrap();
    assert_eq!(finished.limits, limits);
    assert!(matches!(
        finished.changed(limits_change(None, None, Some(None)), AT),
        Err(ChangeRefused::Conflict(StateConflict::AlreadyFinished(..)))
    ));
}
