//! Request bodies into domain values, member by member: the first broken rule is the answer,
//! naming its member.

use serde_json::value::RawValue;

use super::wire::{ChangeEventRequest, CreateEventRequest};
use crate::domain::{
    Coefficient, Deadline, EventChanges, EventId, LimitChanges, Limits, Money, NewEvent, Scalar,
    ValidationError, decimal_from_json, id_from_json,
};

/// `POST /events`: absent and null limits are no limits.
pub(super) fn new_event(wire: &CreateEventRequest) -> Result<NewEvent, ValidationError> {
    let id = wire
        .id
        .as_deref()
        .map(|id| id_from_json("id", id, EventId::parse_new))
        .transpose()?;
    let coefficient = Coefficient::from_json("coefficient", &wire.coefficient)?;
    let deadline = Deadline::from_json("deadline", &wire.deadline)?;
    let limit =
        |field, value: &Option<Box<RawValue>>| limit_change(field, value).map(Option::flatten);
    let limits = Limits::new(
        limit("min_stake", &wire.min_stake)?,
        limit("max_stake", &wire.max_stake)?,
        limit("max_liability", &wire.max_liability)?,
    )?;
    Ok(NewEvent {
        id,
        coefficient,
        deadline,
        limits,
    })
}

/// `PATCH /events/{id}`: at least one member, each limit kept (absent), removed (null) or set.
pub(super) fn changes(wire: &ChangeEventRequest) -> Result<EventChanges, ValidationError> {
    let coefficient = wire
        .coefficient
        .as_deref()
        .map(|v| Coefficient::from_json("coefficient", v))
        .transpose()?;
    let deadline = wire
        .deadline
        .as_deref()
        .map(|v| Deadline::from_json("deadline", v))
        .transpose()?;
    let limits = LimitChanges::new(
        limit_change("min_stake", &wire.min_stake)?,
        limit_change("max_stake", &wire.max_stake)?,
        limit_change("max_liability", &wire.max_liability)?,
    )?;
    EventChanges::new(coefficient, deadline, limits)
}

/// A limit member: `None` when absent, `Some(None)` when null (no limit), else the money it
/// sets.
fn limit_change(
    field: &'static str,
    value: &Option<Box<RawValue>>,
) -> Result<Option<Option<Money>>, ValidationError> {
    value
        .as_deref()
        .map(|value| match Scalar::of(value) {
            Scalar::Other("null") => Ok(None),
            _ => decimal_from_json(field, value, Money::parse).map(Some),
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::domain::json::raw;

    #[test]
    fn null_is_no_limit_where_a_member_may_be_null() {
        let limit = |text: &str| limit_change("min_stake", &Some(raw(text)));
        assert_eq!(limit("null"), Ok(Some(None)));
        assert_eq!(
            limit("2.5").map(|m| m.flatten().map(Money::value)),
            Ok(Some(Decimal::new(250, 2)))
        );
        assert_eq!(limit(r#""null""#).unwrap_err().field, "min_stake");
        assert_eq!(limit_change("min_stake", &None), Ok(None));
    }
}
