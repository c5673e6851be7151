//! Round trips of the message contract against golden JSON files.
//!
//! A failing test here means the wire format changed: update the golden file only together
//! with every program that reads these messages.

use rust_decimal::Decimal;
use serde_json::Value;
use shared_messages::{EventChange, EventMessage, EventStatus};
use time::macros::datetime;

fn golden(name: &str) -> String {
    let path = format!("{}/tests/golden/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// Parses the golden file, writes it back, and checks nothing changed on the way, number
/// spelling included (`2.10` must not come back as `2.1`).
fn round_trip(name: &str) -> EventMessage {
    let text = golden(name);
    let message: EventMessage = serde_json::from_str(&text).expect("golden file parses");
    let written = serde_json::to_string(&message).expect("message serializes");
    let expected: Value = serde_json::from_str(&text).expect("golden file is JSON");
    let actual: Value = serde_json::from_str(&written).expect("output is JSON");
    assert_eq!(
        actual, expected,
        "{name}: the written message differs from the golden file"
    );
    message
}

#[test]
fn a_created_message_round_trips_unchanged() {
    let message = round_trip("event_created");
    assert_eq!(message.event.id.as_str(), "match-42");
    assert_eq!(message.event.coefficient, Decimal::new(185, 2));
    assert_eq!(message.event.deadline, datetime!(2026-11-24 18:00:00 UTC));
    assert_eq!(message.event.status, EventStatus::New);
    assert_eq!(message.event.version, 1);
    assert_eq!(
        EventChange::describing(&message.event),
        EventChange::Created
    );
}

#[test]
fn an_updated_message_round_trips_with_two_decimals_and_fractional_seconds() {
    let message = round_trip("event_updated");
    assert_eq!(message.event.coefficient.to_string(), "2.10");
    assert_eq!(message.occurred_at, datetime!(2026-11-24 12:30:00.25 UTC));
    assert_eq!(
        EventChange::describing(&message.event),
        EventChange::Updated
    );
}

#[test]
fn a_finished_message_round_trips_with_its_result() {
    let message = round_trip("event_finished");
    assert_eq!(message.event.status, EventStatus::FinishedWin);
    assert_eq!(message.event.version, 3);
    assert_eq!(
        EventChange::describing(&message.event),
        EventChange::Finished
    );
}

#[test]
fn a_cancelled_message_round_trips_with_its_reason_at_schema_version_2() {
    let message = round_trip("event_cancelled");
    assert_eq!(message.event.status, EventStatus::Cancelled);
    assert_eq!(
        message.event.reason.as_deref(),
        Some("abandoned: waterlogged pitch")
    );
    let change = EventChange::describing(&message.event);
    assert_eq!(change, EventChange::Cancelled);
    assert_eq!(change.schema_version(), 2);
    assert!(change.fits(message.event.status));
}

#[test]
fn a_corrected_message_round_trips_at_schema_version_2() {
    let message = round_trip("event_corrected");
    assert_eq!(message.event.status, EventStatus::FinishedLose);
    assert_eq!(message.event.version, 4);
    assert!(message.event.reason.is_some());
    assert_eq!(EventChange::Corrected.schema_version(), 2);
    assert!(EventChange::Corrected.fits(message.event.status));
}

#[test]
fn the_first_schema_s_messages_keep_version_1_and_carry_no_reason() {
    for name in ["event_created", "event_updated", "event_finished"] {
        let message = round_trip(name);
        assert_eq!(message.event.reason, None, "{name}");
        let change = EventChange::describing(&message.event);
        assert_eq!(change.schema_version(), 1, "{name}");
        assert_eq!(change.schema_version_of(&message.event), 1, "{name}");
        assert!(change.fits(message.event.status), "{name}");
        assert!(!golden(name).contains("reason"), "{name}");
        assert!(!golden(name).contains("stake"), "{name}");
    }
}

#[test]
fn an_event_with_limits_round_trips_them_at_schema_version_3() {
    let message = round_trip("event_limits");
    assert_eq!(message.event.min_stake, Some(Decimal::new(100, 2)));
    assert_eq!(message.event.max_stake, Some(Decimal::new(50_000, 2)));
    assert_eq!(
        message.event.max_liability,
        Some(Decimal::new(2_500_050, 2))
    );
    let change = EventChange::describing(&message.event);
    assert_eq!(change, EventChange::Updated);
    assert_eq!(change.schema_version_of(&message.event), 3);
    assert_eq!(shared_messages::SCHEMA_VERSION, 3);
    // One limit is enough to need the new schema; none keeps the kind's own version.
    let mut one = message.event.clone();
    one.min_stake = None;
    one.max_stake = None;
    assert_eq!(EventChange::Finished.schema_version_of(&one), 3);
    one.max_liability = None;
    assert_eq!(EventChange::Finished.schema_version_of(&one), 1);
    assert_eq!(EventChange::Cancelled.schema_version_of(&one), 2);
}

#[test]
fn a_null_limit_reads_as_none_and_is_not_written() {
    let text = golden("event_limits").replace("\"min_stake\": 1.00", "\"min_stake\": null");
    let message: EventMessage = serde_json::from_str(&text).expect("null limit parses");
    assert_eq!(message.event.min_stake, None);
    let written = serde_json::to_string(&message).unwrap();
    assert!(!written.contains("min_stake"), "{written}");
    assert!(written.contains("\"max_stake\":500.00"), "{written}");
}

#[test]
fn a_routing_key_fits_only_the_statuses_it_reports() {
    use EventStatus::*;
    for (change, fitting) in [
        (EventChange::Created, vec![New]),
        (EventChange::Updated, vec![New]),
        (EventChange::Finished, vec![FinishedWin, FinishedLose]),
        (EventChange::Cancelled, vec![Cancelled]),
        (
            EventChange::Corrected,
            vec![FinishedWin, FinishedLose, Cancelled],
        ),
    ] {
        for status in [New, FinishedWin, FinishedLose, Cancelled] {
            assert_eq!(
                change.fits(status),
                fitting.contains(&status),
                "{change} {status}"
            );
        }
    }
}

#[test]
fn amounts_are_always_written_with_exactly_two_decimals() {
    let mut message: EventMessage = serde_json::from_str(&golden("event_created")).unwrap();
    message.event.coefficient = Decimal::new(2, 0);
    let written = serde_json::to_string(&message).unwrap();
    assert!(written.contains(r#""coefficient":2.00"#), "{written}");
}

#[test]
fn times_with_another_offset_are_written_in_utc() {
    let mut message: EventMessage = serde_json::from_str(&golden("event_created")).unwrap();
    message.event.deadline = datetime!(2026-11-24 21:00:00 +03:00);
    let written = serde_json::to_string(&message).unwrap();
    assert!(
        written.contains(r#""deadline":"2026-11-24T18:00:00Z""#),
        "{written}"
    );
}

#[test]
fn routing_keys_are_the_ones_of_the_contract() {
    let keys: Vec<_> = EventChange::ALL.iter().map(|c| c.routing_key()).collect();
    assert_eq!(
        keys,
        [
            "event.created",
            "event.updated",
            "event.finished",
            "event.cancelled",
            "event.corrected"
        ]
    );
    for change in EventChange::ALL {
        assert_eq!(
            EventChange::from_routing_key(change.routing_key()),
            Some(change)
        );
    }
    assert_eq!(EventChange::from_routing_key("event.deleted"), None);
}

#[test]
fn statuses_are_spelled_as_in_the_contract() {
    for (status, text) in [
        (EventStatus::New, "new"),
        (EventStatus::FinishedWin, "finished_win"),
        (EventStatus::FinishedLose, "finished_lose"),
        (EventStatus::Cancelled, "cancelled"),
    ] {
        assert_eq!(
            serde_json::to_string(&status).unwrap(),
            format!("\"{text}\"")
        );
        assert_eq!(EventStatus::parse(text), Some(status));
    }
    assert_eq!(EventStatus::parse("draw"), None);
}

#[test]
fn a_message_with_a_malformed_event_is_refused() {
    let text = golden("event_created").replace(r#""status": "new""#, r#""status": "draw""#);
    assert!(serde_json::from_str::<EventMessage>(&text).is_err());
}

#[test]
fn a_message_with_an_invalid_event_id_is_refused() {
    let text = golden("event_created").replace(r#""id": "match-42""#, r#""id": "match 42""#);
    assert!(serde_json::from_str::<EventMessage>(&text).is_err());
}

#[test]
fn an_instant_that_cannot_be_written_in_utc_is_refused_not_a_panic() {
    let text = golden("event_created").replace("2026-11-24T18:00:00Z", "9999-12-31T23:59:59-01:00");
    assert!(serde_json::from_str::<EventMessage>(&text).is_err());
}
