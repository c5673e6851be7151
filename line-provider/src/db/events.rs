//! Statements on `events`.

use deadpool_postgres::GenericClient;
use rust_decimal::Decimal;
use shared_messages::{EventId, EventStatus};
use time::OffsetDateTime;
use tokio_postgres::Row;

use super::DbError;
use crate::domain::{Coefficient, Deadline, Event, Limits, Money, Reason};

const EVENT_COLUMNS: &str = "id, coefficient, deadline, status, version, created_at, updated_at,
     reason, min_stake, max_stake, max_liability";
/// [`EVENT_COLUMNS`] of an `events` named `e`.
const EVENT_COLUMNS_OF_E: &str = "e.id, e.coefficient, e.deadline, e.status, e.version,
     e.created_at, e.updated_at, e.reason, e.min_stake, e.max_stake, e.max_liability";

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
            .map(Money::parse)
            .transpose()
            .map_err(|e| invalid(field, &format!("{field} {e}")))
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

fn events_from_rows(rows: &[Row]) -> Result<Vec<Event>, DbError> {
    rows.iter().map(event_from_row).collect()
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

/// Those of the events `ids` that exist, each once, as committed now (no lock: a batch's write
/// checks the version it read).
pub async fn events_by_ids(
    client: &impl GenericClient,
    ids: &[&str],
) -> Result<Vec<Event>, DbError> {
    // A join, not `id = ANY($1)`: on a table the statistics call small, the planner would scan
    // it and compare every row with every id.
    let sql = format!(
        "SELECT {EVENT_COLUMNS_OF_E} FROM unnest($1::text[]) AS wanted(id)
         JOIN events e ON e.id = wanted.id"
    );
    let statement = client.prepare_cached(&sql).await?;
    let rows = client.query(&statement, &[&ids]).await?;
    events_from_rows(&rows)
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
