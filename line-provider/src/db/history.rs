//! The history of an event: every version it had, in `event_versions`.

use deadpool_postgres::GenericClient;
use rust_decimal::Decimal;
use shared_messages::{EventId, EventStatus};
use time::OffsetDateTime;

use super::DbError;

/// Every version of an event, oldest first; empty when there is no such event.
pub async fn event_history(
    client: &impl GenericClient,
    id: &EventId,
) -> Result<Vec<EventVersion>, DbError> {
    let statement = client
        .prepare_cached(
            "SELECT version, status, coefficient, deadline, reason, changed_at,
                    min_stake, max_stake, max_liability
             FROM event_versions WHERE event_id = $1 ORDER BY version",
        )
        .await?;
    let rows = client.query(&statement, &[&id.as_str()]).await?;
    rows.iter()
        .map(|row| {
            let status: String = row.try_get("status")?;
            let version: i64 = row.try_get("version")?;
            Ok(EventVersion {
                version: u64::try_from(version).map_err(|e| DbError::invalid("version", &e))?,
                status: EventStatus::parse(&status)
                    .ok_or_else(|| DbError::invalid("status", &status))?,
                coefficient: row.try_get("coefficient")?,
                deadline: row.try_get("deadline")?,
                reason: row.try_get("reason")?,
                changed_at: row.try_get("changed_at")?,
                min_stake: row.try_get("min_stake")?,
                max_stake: row.try_get("max_stake")?,
                max_liability: row.try_get("max_liability")?,
            })
        })
        .collect()
}

/// One version of an event, as its history keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventVersion {
    /// The version.
    pub version: u64,
    /// Its status.
    pub status: EventStatus,
    /// Its odds.
    pub coefficient: Decimal,
    /// Its deadline.
    pub deadline: OffsetDateTime,
    /// The operator's reason, when one was given with it.
    pub reason: Option<String>,
    /// When it was made.
    pub changed_at: OffsetDateTime,
    /// Its smallest stake, if it had one.
    pub min_stake: Option<Decimal>,
    /// Its largest stake, if it had one.
    pub max_stake: Option<Decimal>,
    /// Its most the book might lose, if it had one.
    pub max_liability: Option<Decimal>,
}
