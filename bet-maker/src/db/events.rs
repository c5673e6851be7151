//! Statements on `events`: bet-maker's copy of line-provider's events.

use deadpool_postgres::GenericClient;
use shared_messages::{EventId, EventStatus};

use super::DbError;
use crate::domain::{Amount, IncomingEvent, Limits, OpenEvent};

/// Applies a message's event when its version is newer than the stored one, unless it would
/// take a finished or cancelled event back to `new`; returns whether it was applied. A
/// finish, a cancellation or a correction stores the final status and its time on the event,
/// which settles every bet of it at once.
///
/// The row lock taken here waits for bets in flight on the event (they hold `FOR SHARE`), and
/// holds off new ones until the commit, after which they find the event closed.
pub async fn apply_event(
    client: &impl GenericClient,
    event: &IncomingEvent,
) -> Result<bool, DbError> {
    let statement = client
        .prepare_cached(
            "INSERT INTO events (id, coefficient, deadline, status, version, settled_at,
                                 min_stake, max_stake, max_liability)
             VALUES ($1, $2, $3, $4, $5,
                     CASE WHEN $4::text = 'new' THEN NULL ELSE clock_timestamp() END,
                     $6, $7, $8)
             ON CONFLICT (id) DO UPDATE
                SET coefficient = EXCLUDED.coefficient, deadline = EXCLUDED.deadline,
                    status = EXCLUDED.status, version = EXCLUDED.version,
                    -- Read once the row lock is granted: after every bet the result settles.
                    settled_at = CASE WHEN EXCLUDED.status = 'new' THEN NULL
                                      ELSE clock_timestamp() END,
                    min_stake = EXCLUDED.min_stake, max_stake = EXCLUDED.max_stake,
                    max_liability = EXCLUDED.max_liability,
                    applied_at = now()
                WHERE events.version < EXCLUDED.version
                  AND (events.status = 'new' OR EXCLUDED.status <> 'new')
             RETURNING version",
        )
        .await?;
    let row = client
        .query_opt(
            &statement,
            &[
                &event.id.as_str(),
                &event.coefficient,
                &event.deadline,
                &event.status.as_str(),
                &event.version,
                &event.limits.min_stake.map(Amount::value),
                &event.limits.max_stake.map(Amount::value),
                &event.limits.max_liability.map(Amount::value),
            ],
        )
        .await?;
    Ok(row.is_some())
}

/// The stored status of an event, its row locked until the end of the transaction (so the
/// upsert that follows changes what was read, even when another replica changed it a moment
/// before); `None` for an event not seen yet.
pub async fn lock_event_status(
    client: &impl GenericClient,
    id: &EventId,
) -> Result<Option<EventStatus>, DbError> {
    let statement = client
        .prepare_cached("SELECT status FROM events WHERE id = $1 FOR UPDATE")
        .await?;
    let row = client.query_opt(&statement, &[&id.as_str()]).await?;
    row.map(|row| {
        let status: String = row.try_get(0)?;
        EventStatus::parse(&status).ok_or_else(|| DbError::invalid("status", &status))
    })
    .transpose()
}

/// Events open for betting by the database clock, soonest deadline first.
pub async fn open_events(client: &impl GenericClient) -> Result<Vec<OpenEvent>, DbError> {
    let statement = client
        .prepare_cached(
            "SELECT id, coefficient, deadline, min_stake, max_stake, max_liability FROM events
             WHERE status = 'new' AND deadline > now() ORDER BY deadline, id",
        )
        .await?;
    let rows = client.query(&statement, &[]).await?;
    rows.iter()
        .map(|row| {
            let id: String = row.try_get("id")?;
            Ok(OpenEvent {
                id: EventId::parse(id).map_err(|e| DbError::invalid("id", &e))?,
                coefficient: row.try_get("coefficient")?,
                deadline: row.try_get("deadline")?,
                status: EventStatus::New,
                limits: Limits {
                    min_stake: amount(row, "min_stake")?,
                    max_stake: amount(row, "max_stake")?,
                    max_liability: amount(row, "max_liability")?,
                },
            })
        })
        .collect()
}

fn amount(row: &tokio_postgres::Row, column: &'static str) -> Result<Option<Amount>, DbError> {
    let value: Option<rust_decimal::Decimal> = row.try_get(column)?;
    value
        .map(|value| Amount::new(column, value).map_err(|e| DbError::invalid(column, &e)))
        .transpose()
}
