//! Statements on `events`: bet-maker's copy of line-provider's events.

use deadpool_postgres::GenericClient;
use shared_messages::{EventId, EventStatus};

use super::DbError;
use crate::domain::{IncomingEvent, Limits, Money, OpenEvent};

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

fn amount(row: &tokio_postgres::Row, column: &'static str) -> Result<Option<Money>, DbError> {
    let value: Option<rust_decimal::Decimal> = row.try_get(column)?;
    value
        .map(|value| {
            Money::parse(value).map_err(|e| DbError::invalid(column, &format!("{column} {e}")))
        })
        .transpose()
}

/// The stored status and version of those of `ids` (each once) bet-maker holds, each row locked as
/// [`apply_events`]' upsert locks it (`FOR NO KEY UPDATE`: bets in flight on the event, which
/// hold it `FOR SHARE`, are waited for, and new ones wait for the commit), in id order, so two
/// batches of the same events lock them in the same order.
pub async fn lock_events(
    client: &impl GenericClient,
    ids: &[&str],
) -> Result<Vec<(String, EventStatus, i64)>, DbError> {
    let statement = client
        .prepare_cached(
            // A join, not `id = ANY($1)`: on a table the statistics call small, the planner
            // would scan it and compare every row with every id of the batch.
            "SELECT e.id, e.status, e.version
             FROM unnest($1::text[]) AS wanted(id) JOIN events e ON e.id = wanted.id
             ORDER BY e.id FOR NO KEY UPDATE OF e",
        )
        .await?;
    let rows = client.query(&statement, &[&ids]).await?;
    rows.iter()
        .map(|row| {
            let status: String = row.try_get("status")?;
            let status =
                EventStatus::parse(&status).ok_or_else(|| DbError::invalid("status", &status))?;
            Ok((row.try_get("id")?, status, row.try_get("version")?))
        })
        .collect()
}

/// Applies messages' events, each event at most once, in one statement: each is applied when
/// its version is newer than the stored one, unless it would take a finished or cancelled
/// event back to `new`; returns the id of each event applied, and whether it was inserted
/// (rather than updated). A finish, a cancellation or a
/// correction stores the final status and its time on the event, which settles every bet of
/// it at once; on an event without account bets it also marks the result paid (no wallet is
/// owed anything), so that only results with money to move wait for the payout worker.
///
/// The row locks taken here wait for bets in flight on the events (they hold `FOR SHARE`), and
/// hold off new ones until the commit, after which they find the events closed.
pub async fn apply_events(
    client: &impl GenericClient,
    events: &[&IncomingEvent],
) -> Result<Vec<(String, bool)>, DbError> {
    let statement = client
        .prepare_cached(
            "INSERT INTO events (id, coefficient, deadline, status, version, settled_at,
                                 min_stake, max_stake, max_liability, paid_version)
             SELECT id, coefficient, deadline, status, version,
                    CASE WHEN status = 'new' THEN NULL ELSE clock_timestamp() END,
                    min_stake, max_stake, max_liability,
                    CASE WHEN status = 'new' THEN NULL ELSE version END
             FROM unnest($1::text[], $2::numeric[], $3::timestamptz[], $4::text[], $5::bigint[],
                         $6::numeric[], $7::numeric[], $8::numeric[])
                  AS m(id, coefficient, deadline, status, version, min_stake, max_stake,
                       max_liability)
             ORDER BY id
             ON CONFLICT (id) DO UPDATE
                SET coefficient = EXCLUDED.coefficient, deadline = EXCLUDED.deadline,
                    status = EXCLUDED.status, version = EXCLUDED.version,
                    -- Read once the row lock is granted: after every bet the result settles.
                    settled_at = CASE WHEN EXCLUDED.status = 'new' THEN NULL
                                      ELSE clock_timestamp() END,
                    min_stake = EXCLUDED.min_stake, max_stake = EXCLUDED.max_stake,
                    max_liability = EXCLUDED.max_liability,
                    -- A result no wallet has a bet on is paid as it is stored: the payout
                    -- worker never visits it. (Every bet of a stored event is seen here: an
                    -- earlier statement locked it, after the bets in flight committed.)
                    paid_version = CASE
                        WHEN EXCLUDED.status = 'new' OR EXISTS (
                            SELECT FROM event_tallies t
                            WHERE t.event_id = EXCLUDED.id AND t.account_bets > 0)
                        THEN events.paid_version
                        ELSE EXCLUDED.version END,
                    applied_at = now()
                WHERE events.version < EXCLUDED.version
                  AND (events.status = 'new' OR EXCLUDED.status <> 'new')
             -- xmax is 0 on a row this statement inserted, not on one it updated.
             RETURNING id, xmax = 0 AS inserted",
        )
        .await?;
    let amounts = |limit: fn(&Limits) -> Option<Money>| -> Vec<Option<rust_decimal::Decimal>> {
        events
            .iter()
            .map(|event| limit(&event.limits).map(Money::value))
            .collect()
    };
    let ids: Vec<&str> = events.iter().map(|event| event.id.as_str()).collect();
    let coefficients: Vec<rust_decimal::Decimal> =
        events.iter().map(|event| event.coefficient).collect();
    let deadlines: Vec<time::OffsetDateTime> = events.iter().map(|event| event.deadline).collect();
    let statuses: Vec<&str> = events.iter().map(|event| event.status.as_str()).collect();
    let versions: Vec<i64> = events.iter().map(|event| event.version).collect();
    let rows = client
        .query(
            &statement,
            &[
                &ids,
                &coefficients,
                &deadlines,
                &statuses,
                &versions,
                &amounts(|limits| limits.min_stake),
                &amounts(|limits| limits.max_stake),
                &amounts(|limits| limits.max_liability),
            ],
        )
        .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("id")?, row.try_get("inserted")?)))
        .collect()
}
