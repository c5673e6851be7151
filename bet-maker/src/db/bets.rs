//! Statements on `bets`: placing, settling and reading them.

use deadpool_postgres::GenericClient;
use rust_decimal::Decimal;
use shared_messages::{EventId, EventStatus};
use time::OffsetDateTime;
use tokio_postgres::Row;
use uuid::Uuid;

use super::{DbError, invalid};
use crate::domain::{Amount, Bet, BetFilter, BetStatus, IdempotencyKey};

/// Turns every pending bet of an event into `outcome`; returns how many.
pub async fn settle_bets(
    client: &impl GenericClient,
    event_id: &EventId,
    outcome: BetStatus,
) -> Result<u64, DbError> {
    let statement = client
        .prepare_cached(
            "UPDATE bets SET status = $2, settled_at = now()
             WHERE event_id = $1 AND status = 'pending'",
        )
        .await?;
    Ok(client
        .execute(&statement, &[&event_id.as_str(), &outcome.as_str()])
        .await?)
}

/// How many bets of an event are pending, counting no further than `at_most`.
pub async fn pending_bets(
    client: &impl GenericClient,
    event_id: &EventId,
    at_most: i64,
) -> Result<i64, DbError> {
    let statement = client
        .prepare_cached(
            "SELECT count(*) FROM (
                 SELECT 1 FROM bets WHERE event_id = $1 AND status = 'pending' LIMIT $2
             ) AS pending",
        )
        .await?;
    let row = client
        .query_one(&statement, &[&event_id.as_str(), &at_most])
        .await?;
    Ok(row.try_get(0)?)
}

/// Lifts the statement timeout for the rest of the transaction (a settlement may be long).
pub async fn allow_long_statements(client: &impl GenericClient) -> Result<(), DbError> {
    client
        .batch_execute("SET LOCAL statement_timeout = 0")
        .await?;
    Ok(())
}

/// What placing a bet came to.
#[derive(Debug)]
pub enum Placement {
    /// The bet was stored.
    Placed(Bet),
    /// bet-maker knows no such event.
    UnknownEvent,
    /// The event is finished or its deadline passed.
    Closed {
        /// The event's status.
        status: EventStatus,
        /// Its deadline.
        deadline: OffsetDateTime,
    },
}

const BET_COLUMNS: &str = "id, event_id, amount, coefficient, status, created_at, settled_at";

/// Places a bet in one statement: locks the event row against settlement (`FOR SHARE`), checks
/// it is open by the database clock, and inserts the bet at the event's current odds.
pub async fn place_bet(
    client: &impl GenericClient,
    id: Uuid,
    event_id: &EventId,
    amount: Amount,
    idempotency_key: Option<&IdempotencyKey>,
) -> Result<Placement, DbError> {
    let statement = client
        .prepare_cached(
            "WITH event AS (
                 SELECT id, coefficient, status, deadline, status = 'new' AND deadline > clock_timestamp() AS open
                 FROM events WHERE id = $2 FOR SHARE
             ), bet AS (
                 INSERT INTO bets (id, event_id, amount, coefficient, idempotency_key)
                 SELECT $1, event.id, $3, event.coefficient, $4 FROM event WHERE event.open
                 RETURNING id, event_id, amount, coefficient, status, created_at, settled_at
             )
             SELECT event.status AS event_status, event.deadline AS event_deadline, bet.*
             FROM event LEFT JOIN bet ON true",
        )
        .await?;
    let key = idempotency_key.map(IdempotencyKey::as_str);
    let row = client
        .query_opt(
            &statement,
            &[&id, &event_id.as_str(), &amount.value(), &key],
        )
        .await?;
    let Some(row) = row else {
        return Ok(Placement::UnknownEvent);
    };
    if row.try_get::<_, Option<Uuid>>("id")?.is_none() {
        let status: String = row.try_get("event_status")?;
        return Ok(Placement::Closed {
            status: EventStatus::parse(&status).ok_or_else(|| invalid("status", &status))?,
            deadline: row.try_get("event_deadline")?,
        });
    }
    Ok(Placement::Placed(bet_from_row(&row)?))
}

fn bet_from_row(row: &Row) -> Result<Bet, DbError> {
    let event_id: String = row.try_get("event_id")?;
    let amount: Decimal = row.try_get("amount")?;
    let status: String = row.try_get("status")?;
    Ok(Bet {
        id: row.try_get("id")?,
        event_id: EventId::parse(event_id).map_err(|e| invalid("event_id", &e))?,
        amount: Amount::new("amount", amount).map_err(|e| invalid("amount", &e))?,
        coefficient: row.try_get("coefficient")?,
        status: BetStatus::parse(&status).ok_or_else(|| invalid("status", &status))?,
        created_at: row.try_get("created_at")?,
        settled_at: row.try_get("settled_at")?,
    })
}

/// The bet placed with an idempotency key, if any.
pub async fn bet_by_idempotency_key(
    client: &impl GenericClient,
    key: &IdempotencyKey,
) -> Result<Option<Bet>, DbError> {
    let sql = format!("SELECT {BET_COLUMNS} FROM bets WHERE idempotency_key = $1");
    let statement = client.prepare_cached(&sql).await?;
    let row = client.query_opt(&statement, &[&key.as_str()]).await?;
    row.as_ref().map(bet_from_row).transpose()
}

/// One bet.
pub async fn get_bet(client: &impl GenericClient, id: Uuid) -> Result<Option<Bet>, DbError> {
    let sql = format!("SELECT {BET_COLUMNS} FROM bets WHERE id = $1");
    let statement = client.prepare_cached(&sql).await?;
    let row = client.query_opt(&statement, &[&id]).await?;
    row.as_ref().map(bet_from_row).transpose()
}

/// Where a page of the history starts: strictly older than this bet.
pub async fn bet_position(client: &impl GenericClient, id: Uuid) -> Result<Option<i64>, DbError> {
    let statement = client
        .prepare_cached("SELECT seq FROM bets WHERE id = $1")
        .await?;
    let row = client.query_opt(&statement, &[&id]).await?;
    row.map(|row| row.try_get(0))
        .transpose()
        .map_err(Into::into)
}

const HISTORY_SQL: &str = "SELECT id, event_id, amount, coefficient, status, created_at, settled_at
     FROM bets
     WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR event_id = $2)
       AND ($3::bigint IS NULL OR seq < $3)
     ORDER BY seq DESC";

/// A page of the history, newest first, strictly older than `before` when given.
pub async fn bets_page(
    client: &impl GenericClient,
    filter: &BetFilter,
    before: Option<i64>,
    limit: u16,
) -> Result<Vec<Bet>, DbError> {
    let sql = format!("{HISTORY_SQL} LIMIT $4");
    let statement = client.prepare_cached(&sql).await?;
    let rows = client
        .query(
            &statement,
            &[
                &filter.status.map(BetStatus::as_str),
                &filter.event_id.as_ref().map(EventId::as_str),
                &before,
                &i64::from(limit),
            ],
        )
        .await?;
    rows.iter().map(bet_from_row).collect()
}

/// Opens a server-side cursor over the history (newest first, older than `before` when
/// given) in `transaction`.
pub async fn open_history_cursor(
    transaction: &deadpool_postgres::Transaction<'_>,
    filter: &BetFilter,
    before: Option<i64>,
) -> Result<tokio_postgres::Portal, DbError> {
    let statement = transaction.prepare_cached(HISTORY_SQL).await?;
    let portal = transaction
        .bind(
            &statement,
            &[
                &filter.status.map(BetStatus::as_str),
                &filter.event_id.as_ref().map(EventId::as_str),
                &before,
            ],
        )
        .await?;
    Ok(portal)
}

/// The next `count` rows of a history cursor; fewer (or none) at the end.
pub async fn fetch_history(
    transaction: &deadpool_postgres::Transaction<'_>,
    portal: &tokio_postgres::Portal,
    count: i32,
) -> Result<Vec<Bet>, DbError> {
    let rows = transaction.query_portal(portal, count).await?;
    rows.iter().map(bet_from_row).collect()
}
