//! Statements on `events`.

use deadpool_postgres::GenericClient;
use rust_decimal::Decimal;
use shared_messages::{EventId, EventStatus};
use time::OffsetDateTime;
use tokio_postgres::Row;

use super::DbError;
use crate::domain::{Coefficient, Deadline, Event};

const EVENT_COLUMNS: &str = "id, coefficient, deadline, status, version, created_at, updated_at";

fn event_from_row(row: &Row) -> Result<Event, DbError> {
    let invalid =
        |what: &str, e: &dyn std::fmt::Display| DbError::InvalidRow(format!("{what}: {e}"));
    let id: String = row.try_get("id")?;
    let coefficient: Decimal = row.try_get("coefficient")?;
    let deadline: OffsetDateTime = row.try_get("deadline")?;
    let status: String = row.try_get("status")?;
    let version: i64 = row.try_get("version")?;
    Ok(Event {
        id: EventId::parse(id).map_err(|e| invalid("id", &e))?,
        coefficient: Coefficient::new("coefficient", coefficient)
            .map_err(|e| invalid("coefficient", &e))?,
        deadline: Deadline::new("deadline", deadline).map_err(|e| invalid("deadline", &e))?,
        status: EventStatus::parse(&status).ok_or_else(|| invalid("status", &status))?,
        version: u64::try_from(version).map_err(|e| invalid("version", &e))?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn events_from_rows(rows: &[Row]) -> Result<Vec<Event>, DbError> {
    rows.iter().map(event_from_row).collect()
}

/// Inserts a new event at version 1; `None` when the id is taken.
pub async fn insert_event(
    client: &impl GenericClient,
    id: &EventId,
    coefficient: Coefficient,
    deadline: Deadline,
) -> Result<Option<Event>, DbError> {
    let sql = format!(
        "INSERT INTO events (id, coefficient, deadline) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO NOTHING RETURNING {EVENT_COLUMNS}"
    );
    let statement = client.prepare_cached(&sql).await?;
    let row = client
        .query_opt(
            &statement,
            &[&id.as_str(), &coefficient.value(), &deadline.value()],
        )
        .await?;
    row.as_ref().map(event_from_row).transpose()
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

/// One event, locked until the end of the transaction so changes to it are serialised.
pub async fn lock_event(
    client: &impl GenericClient,
    id: &EventId,
) -> Result<Option<Event>, DbError> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = $1 FOR UPDATE");
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

/// Sets odds and deadline of a locked event and moves it to its next version.
pub async fn update_event(
    client: &impl GenericClient,
    id: &EventId,
    coefficient: Coefficient,
    deadline: Deadline,
) -> Result<Event, DbError> {
    let sql = format!(
        "UPDATE events SET coefficient = $2, deadline = $3, version = version + 1,
                           updated_at = greatest(now(), updated_at)
         WHERE id = $1 RETURNING {EVENT_COLUMNS}"
    );
    let statement = client.prepare_cached(&sql).await?;
    let row = client
        .query_one(
            &statement,
            &[&id.as_str(), &coefficient.value(), &deadline.value()],
        )
        .await?;
    event_from_row(&row)
}

/// Gives a locked event its result and moves it to its next version.
pub async fn finish_event(
    client: &impl GenericClient,
    id: &EventId,
    status: EventStatus,
) -> Result<Event, DbError> {
    let sql = format!(
        "UPDATE events SET status = $2, version = version + 1,
                           updated_at = greatest(now(), updated_at)
         WHERE id = $1 RETURNING {EVENT_COLUMNS}"
    );
    let statement = client.prepare_cached(&sql).await?;
    let row = client
        .query_one(&statement, &[&id.as_str(), &status.as_str()])
        .await?;
    event_from_row(&row)
}
