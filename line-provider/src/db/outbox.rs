//! Statements on `outbox`.

use std::time::Duration;

use deadpool_postgres::GenericClient;
use shared_messages::EventChange;
use time::OffsetDateTime;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::{DbError, RELAY_LOCK};

/// A message waiting in, or about to enter, the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    /// Position in the outbox; `0` before insertion.
    pub seq: i64,
    /// The AMQP `message_id`.
    pub message_id: Uuid,
    /// The routing key, also the AMQP `type`.
    pub routing_key: String,
    /// The event the message is about.
    pub event_id: String,
    /// The JSON body, byte for byte.
    pub body: String,
    /// When the change happened; the AMQP `timestamp`.
    pub occurred_at: OffsetDateTime,
    /// The AMQP header `schema-version`: the lowest version that describes the body, decided
    /// when the message was made.
    pub schema_version: u32,
}

/// Adds messages to the outbox, in the order given, in one statement.
pub async fn enqueue(
    client: &impl GenericClient,
    messages: &[OutboxMessage],
) -> Result<(), DbError> {
    let statement = client
        .prepare_cached(
            "INSERT INTO outbox (message_id, routing_key, event_id, body, created_at, schema_version)
             SELECT message_id, routing_key, event_id, body, created_at, schema_version
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[],
                         $6::integer[])
             WITH ORDINALITY AS m(message_id, routing_key, event_id, body, created_at,
                                  schema_version, n)
             ORDER BY n",
        )
        .await?;
    let ids: Vec<Uuid> = messages.iter().map(|m| m.message_id).collect();
    let keys: Vec<&str> = messages.iter().map(|m| m.routing_key.as_str()).collect();
    let events: Vec<&str> = messages.iter().map(|m| m.event_id.as_str()).collect();
    let bodies: Vec<&str> = messages.iter().map(|m| m.body.as_str()).collect();
    let times: Vec<OffsetDateTime> = messages.iter().map(|m| m.occurred_at).collect();
    let versions = messages
        .iter()
        .map(|m| stored_version(m.schema_version))
        .collect::<Result<Vec<i32>, _>>()?;
    client
        .execute(
            &statement,
            &[&ids, &keys, &events, &bodies, &times, &versions],
        )
        .await?;
    Ok(())
}

/// A schema version as the `integer` column holds it.
pub(super) fn stored_version(version: u32) -> Result<i32, DbError> {
    i32::try_from(version).map_err(|e| DbError::invalid("schema_version", &e))
}

const TRY_LOCK_RELAY: &str = "SELECT pg_try_advisory_xact_lock($1)";
const PENDING: &str = "SELECT seq, message_id, routing_key, event_id, body, created_at,
                              schema_version
                       FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1";

/// Takes the relay lock for the current transaction; `false` when another replica holds it.
pub async fn try_lock_relay(client: &impl GenericClient) -> Result<bool, DbError> {
    let statement = client.prepare_cached(TRY_LOCK_RELAY).await?;
    let row = client.query_one(&statement, &[&RELAY_LOCK]).await?;
    Ok(row.try_get(0)?)
}

/// [`try_lock_relay`], then [`pending_messages`], in one round trip: `None` when another
/// replica holds the lock (what was read is dropped).
pub async fn try_lock_relay_and_read_pending(
    client: &impl GenericClient,
    limit: i64,
) -> Result<Option<Vec<OutboxMessage>>, DbError> {
    // Both prepared first, so that each query is sent when it is first polled, and polled in
    // this order (`biased`): the read reaches Postgres after the lock, never before it.
    let lock = client.prepare_cached(TRY_LOCK_RELAY).await?;
    let pending = client.prepare_cached(PENDING).await?;
    // The parameters outlive both futures.
    let lock_key: [&(dyn ToSql + Sync); 1] = [&RELAY_LOCK];
    let rows_wanted: [&(dyn ToSql + Sync); 1] = [&limit];
    let (locked, rows) = tokio::try_join!(
        biased;
        client.query_one(&lock, &lock_key),
        client.query(&pending, &rows_wanted),
    )?;
    if !locked.try_get::<_, bool>(0)? {
        return Ok(None);
    }
    messages_from_rows(&rows).map(Some)
}

/// The oldest messages not yet confirmed by the broker, in outbox order.
pub async fn pending_messages(
    client: &impl GenericClient,
    limit: i64,
) -> Result<Vec<OutboxMessage>, DbError> {
    let statement = client.prepare_cached(PENDING).await?;
    let rows = client.query(&statement, &[&limit]).await?;
    messages_from_rows(&rows)
}

fn messages_from_rows(rows: &[tokio_postgres::Row]) -> Result<Vec<OutboxMessage>, DbError> {
    rows.iter()
        .map(|row| {
            let routing_key: String = row.try_get("routing_key")?;
            let schema_version = match row.try_get::<_, Option<i32>>("schema_version")? {
                Some(version) => {
                    u32::try_from(version).map_err(|e| DbError::invalid("schema_version", &e))?
                }
                None => version_of_key(&routing_key),
            };
            Ok(OutboxMessage {
                seq: row.try_get("seq")?,
                message_id: row.try_get("message_id")?,
                routing_key,
                event_id: row.try_get("event_id")?,
                body: row.try_get("body")?,
                occurred_at: row.try_get("created_at")?,
                schema_version,
            })
        })
        .collect()
}

/// The schema version of a row written without one (by a line-provider from before limits,
/// during a rolling upgrade): the one its routing key implies, as that line-provider sent it.
/// Its body carries no limit, since that line-provider knew none.
fn version_of_key(routing_key: &str) -> u32 {
    EventChange::from_routing_key(routing_key).map_or(1, EventChange::schema_version)
}

/// Marks messages as confirmed by the broker.
pub async fn mark_published(client: &impl GenericClient, seqs: &[i64]) -> Result<u64, DbError> {
    let statement = client
        .prepare_cached(
            // A join, not `seq = ANY($1)`: on an outbox the statistics call small, the
            // planner would scan it and compare every row with every seq of the batch.
            "UPDATE outbox o SET published_at = now()
             FROM unnest($1::bigint[]) AS confirmed(seq)
             WHERE o.seq = confirmed.seq AND o.published_at IS NULL",
        )
        .await?;
    Ok(client.execute(&statement, &[&seqs]).await?)
}

/// How many messages wait for the broker.
pub async fn count_pending(client: &impl GenericClient) -> Result<i64, DbError> {
    let row = client
        .query_one(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL",
            &[],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// Deletes messages confirmed longer ago than `age`; returns how many.
pub async fn prune_published(client: &impl GenericClient, age: Duration) -> Result<u64, DbError> {
    let seconds = age.as_secs_f64();
    let statement = client
        .prepare_cached("DELETE FROM outbox WHERE published_at < now() - make_interval(secs => $1)")
        .await?;
    Ok(client.execute(&statement, &[&seconds]).await?)
}
