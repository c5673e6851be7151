//! Statements on `events`.

use deadpool_postgres::GenericClient;
use rust_decimal::Decimal;
use shared_messages::{EventId, EventStatus};
use time::OffsetDateTime;
use tokio_postgres::Row;

use super::outbox::stored_version;
use super::{DbError, OutboxMessage};
use crate::domain::{Coefficient, Deadline, Event, Limits, Money, Reason};

const EVENT_COLUMNS: &str = "id, coefficient, deadline, status, version, created_at, updated_at,
     reason, min_stake, max_stake, max_liability";

fn event_from_row(row: &Row) -> Result<Event, DbError> {
    let invalid =
        |what: &str, e: &dyn std::fmt::Display| DbError::InvalidRow(format!("{what}: {e}"));
    let id: String = row.try_get("id")?;
    let coefficient: Decimal = row.try_get("coefficient")?;
    let deadline: OffsetDateTime = row.try_get("deadline")?;
    let status: String = row.try_get("status")?;
    let version: i64 = row.try_get("version")?;
    let reason: Option<String> = row.try_get("reason")?;
    let money = |field: &'static str| -> Result<Option<Money>, DbError> {
        let value: Option<Decimal> = row.try_get(field)?;
        value
            .map(|value| Money::new(field, value))
            .transpose()
            .map_err(|e| invalid(field, &e))
    };
    let limits = Limits::new(
        money("min_stake")?,
        money("max_stake")?,
        money("max_liability")?,
    )
    .map_err(|e| invalid("limits", &e))?;
    Ok(Event {
        id: EventId::parse(id).map_err(|e| invalid("id", &e))?,
        coefficient: Coefficient::new("coefficient", coefficient)
            .map_err(|e| invalid("coefficient", &e))?,
        deadline: Deadline::new("deadline", deadline).map_err(|e| invalid("deadline", &e))?,
        status: EventStatus::parse(&status).ok_or_else(|| invalid("status", &status))?,
        version: u64::try_from(version).map_err(|e| invalid("version", &e))?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        reason: reason
            .map(|text| Reason::new("reason", text))
            .transpose()
            .map_err(|e| invalid("reason", &e))?,
        limits,
    })
}

/// One statement: `$event_write` (an `INSERT` or `UPDATE` of `events` returning its `id`, or
/// nothing when it wrote nothing), then, only if it wrote, the version into `event_versions`
/// and the message into `outbox`. The parameters are those of [`write_with_message`].
macro_rules! with_version_and_message {
    ($event_write:literal) => {
        concat!(
            "WITH event AS (",
            $event_write,
            "), history AS (
                 INSERT INTO event_versions
                     (event_id, version, status, coefficient, deadline, reason, changed_at,
                      min_stake, max_stake, max_liability)
                 SELECT $1, $5, $4, $2, $3, $12, $6, $13, $14, $15 FROM event
             )
             INSERT INTO outbox (message_id, routing_key, event_id, body, created_at,
                                 schema_version)
             SELECT $7, $8, $9, $10, $11, $16 FROM event"
        )
    };
}

fn events_from_rows(rows: &[Row]) -> Result<Vec<Event>, DbError> {
    rows.iter().map(event_from_row).collect()
}

/// Inserts a new event, its first version in `event_versions` and its message in one statement; `false` (nothing written) when the
/// id is taken. One statement is one round trip and one commit, where a transaction of an
/// insert and the outbox row took four (BENCHMARKS.md, figure 4).
pub async fn insert_event_with_message(
    client: &impl GenericClient,
    event: &Event,
    message: &OutboxMessage,
) -> Result<bool, DbError> {
    write_with_message(
        client,
        with_version_and_message!(
            "INSERT INTO events (id, coefficient, deadline, status, version, created_at, updated_at,
                                 reason, min_stake, max_stake, max_liability)
             VALUES ($1, $2, $3, $4, $5, $6, $6, $12, $13, $14, $15)
             ON CONFLICT (id) DO NOTHING RETURNING id"
        ),
        event,
        &event.created_at,
        message,
    )
    .await
}

/// Moves an event from the version before `event.version` to `event` and writes the version to
/// `event_versions` and its message, in one statement; `false` (nothing written) when the
/// stored event is no longer at that version: a concurrent change won, read it again and
/// decide again.
///
/// The `UPDATE` takes the row lock, so a concurrent change of the same event waits for this
/// statement's commit and then finds the version moved on: one event's messages enter the
/// outbox in version order.
pub async fn update_event_with_message(
    client: &impl GenericClient,
    event: &Event,
    message: &OutboxMessage,
) -> Result<bool, DbError> {
    write_with_message(
        client,
        with_version_and_message!(
            "UPDATE events SET coefficient = $2, deadline = $3, status = $4,
                               version = $5::bigint, updated_at = $6, reason = $12,
                               min_stake = $13, max_stake = $14, max_liability = $15
             WHERE id = $1 AND version = $5::bigint - 1
             RETURNING id"
        ),
        event,
        &event.updated_at,
        message,
    )
    .await
}

/// Runs `sql` with the event as `$1`–`$5`, `$12` (its reason) and `$13`–`$15` (its limits),
/// the time of the change `at` as `$6` and the message as `$7`–`$11` and `$16` (its schema
/// version); whether it wrote the message.
async fn write_with_message(
    client: &impl GenericClient,
    sql: &str,
    event: &Event,
    at: &OffsetDateTime,
    message: &OutboxMessage,
) -> Result<bool, DbError> {
    let statement = client.prepare_cached(sql).await?;
    let limits = &event.limits;
    let written = client
        .execute(
            &statement,
            &[
                &event.id.as_str(),
                &event.coefficient.value(),
                &event.deadline.value(),
                &event.status.as_str(),
                &version(event)?,
                at,
                &message.message_id,
                &message.routing_key,
                &message.event_id,
                &message.body,
                &message.occurred_at,
                &event.reason.as_ref().map(Reason::as_str),
                &limits.min_stake().map(Money::value),
                &limits.max_stake().map(Money::value),
                &limits.max_liability().map(Money::value),
                &stored_version(message.schema_version)?,
            ],
        )
        .await?;
    Ok(written == 1)
}

fn version(event: &Event) -> Result<i64, DbError> {
    i64::try_from(event.version).map_err(|e| DbError::InvalidRow(format!("version: {e}")))
}

/// One event, or `None`.
pub async fn get_event(
    client: &impl GenericClient,
    id: &EventId,
) -> Result<Option<Event>, DbError> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = $1");
    let statement = client.prepare_cached(&sql).await?;
    let row = client.query_opt(&statement, &[&id.as_str()]).await?;
    row.as_ref().map(event_from_row).transpose()
}

/// Every event, or those with one status, oldest first.
pub async fn list_events(
    client: &impl GenericClient,
    status: Option<EventStatus>,
) -> Result<Vec<Event>, DbError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events
         WHERE $1::text IS NULL OR status = $1 ORDER BY created_at, id"
    );
    let statement = client.prepare_cached(&sql).await?;
    let rows = client
        .query(&statement, &[&status.map(EventStatus::as_str)])
        .await?;
    events_from_rows(&rows)
}

/// Up to `limit` events with an id after `after`, in id order, locked against changes until
/// the end of the transaction (so a re-published state cannot overtake a newer change).
pub async fn events_page_for_share(
    client: &impl GenericClient,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Event>, DbError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE $1::text IS NULL OR id > $1
         ORDER BY id LIMIT $2 FOR SHARE"
    );
    let statement = client.prepare_cached(&sql).await?;
    let rows = client.query(&statement, &[&after, &limit]).await?;
    events_from_rows(&rows)
}
