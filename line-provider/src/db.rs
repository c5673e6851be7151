//! All SQL of line-provider: one function per statement, each taking any client or transaction.

use std::time::Duration;

use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use rust_decimal::Decimal;
use shared_messages::{EventId, EventStatus};
use time::OffsetDateTime;
use tokio_postgres::{NoTls, Row};
use uuid::Uuid;

use crate::domain::{Coefficient, Deadline, Event};

mod embedded {
    refinery::embed_migrations!("../migrations/line-provider");
}

/// How long a request waits for a connection, or a connection for Postgres, before the
/// service answers 503 instead of hanging.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Statements running longer than this are cancelled by Postgres.
const STATEMENT_TIMEOUT_MS: u32 = 10_000;
/// A transaction left idle this long (a stuck client) is ended by Postgres, freeing its locks.
const IDLE_IN_TRANSACTION_MS: u32 = 60_000;
/// Key of the advisory lock that serialises migrations between replicas.
const MIGRATION_LOCK: i64 = 0x6c70_6d69_6772; // "lpmigr"
/// Key of the advisory lock held by the one relay that publishes at a time.
const RELAY_LOCK: i64 = 0x6c70_7265_6c61; // "lprela"

/// A failed database call, sorted by what the client should be told.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Postgres cannot be reached right now (down, restarting, pool exhausted): retry later.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// Postgres answered with an error.
    #[error("database error")]
    Query(#[source] tokio_postgres::Error),
    /// The statement broke a constraint; the name says which.
    #[error("constraint {0} violated")]
    Constraint(String),
    /// A stored row breaks an invariant of the domain.
    #[error("stored row is invalid: {0}")]
    InvalidRow(String),
}

impl From<tokio_postgres::Error> for DbError {
    fn from(error: tokio_postgres::Error) -> Self {
        if is_unavailable(&error) {
            return Self::Unavailable(error.to_string());
        }
        if let Some(constraint) = error.as_db_error().and_then(|e| e.constraint()) {
            return Self::Constraint(constraint.to_owned());
        }
        Self::Query(error)
    }
}

/// Whether an error says Postgres cannot serve us right now rather than that the statement is
/// wrong: a lost or refused connection, a timeout, a server shutting down or restarting, too
/// many connections, a statement cancelled by its timeout, or a transaction that lost a race
/// (serialisation failure, deadlock). The same work may succeed when tried again.
fn is_unavailable(error: &tokio_postgres::Error) -> bool {
    if error.is_closed() {
        return true;
    }
    if let Some(code) = error.code() {
        let code = code.code();
        return matches!(&code[..2], "08" | "53" | "57" | "58")
            || matches!(code, "40001" | "40P01" | "55P03");
    }
    // No SQLSTATE: either the socket (I/O, connect timeout) or a conversion of our own.
    let io = std::error::Error::source(error).is_some_and(|source| source.is::<std::io::Error>());
    io || error.to_string().starts_with("timeout")
}

impl From<deadpool_postgres::PoolError> for DbError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        Self::Unavailable(error.to_string())
    }
}

/// Parses `DATABASE_URL` and adds the timeouts every connection gets.
pub fn pg_config(url: &str) -> Result<tokio_postgres::Config, DbError> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e: tokio_postgres::Error| DbError::Unavailable(e.to_string()))?;
    config
        .connect_timeout(CONNECT_TIMEOUT)
        .keepalives_idle(Duration::from_secs(30))
        .options(format!(
            "-c statement_timeout={STATEMENT_TIMEOUT_MS} -c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_MS}"
        ));
    if config.get_application_name().is_none() {
        config.application_name("line-provider");
    }
    Ok(config)
}

/// Creates the database named in `config` when it does not exist yet, connecting to the
/// server's `postgres` database to do so.
pub async fn create_database_if_missing(config: &tokio_postgres::Config) -> Result<(), DbError> {
    // Without a database in the URL, Postgres uses the user's name.
    let name = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres")
        .to_owned();
    let mut admin = config.clone();
    admin.dbname("postgres");
    let (client, connection) = admin.connect(NoTls).await?;
    let driver = tokio::spawn(connection);
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await?
        .is_some();
    if !exists {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        match client
            .batch_execute(&format!("CREATE DATABASE {quoted}"))
            .await
        {
            Ok(()) => tracing::info!(database = %name, "created the database"),
            // Another replica created it between our check and our CREATE.
            Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::DUPLICATE_DATABASE) => {}
            Err(e) => return Err(e.into()),
        }
    }
    drop(client);
    driver.abort();
    Ok(())
}

/// A pool that survives a restart of Postgres: broken connections are dropped when
/// returned, and waiting for one is bounded.
pub fn pool(config: tokio_postgres::Config, max_size: usize) -> Result<Pool, DbError> {
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(max_size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(CONNECT_TIMEOUT))
        .create_timeout(Some(CONNECT_TIMEOUT))
        .recycle_timeout(Some(CONNECT_TIMEOUT))
        .build()
        .map_err(|e| DbError::Unavailable(e.to_string()))
}

/// Applies the embedded migrations, one replica at a time.
pub async fn migrate(pool: &Pool) -> Result<(), anyhow::Error> {
    let mut client = pool.get().await?;
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let report = embedded::migrations::runner()
        .run_async(&mut **client)
        .await;
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await?;
    let report = report?;
    for migration in report.applied_migrations() {
        tracing::info!(migration = %migration, "applied migration");
    }
    Ok(())
}

/// Whether Postgres answers at all.
pub async fn ping(client: &impl GenericClient) -> Result<(), DbError> {
    client.query_one("SELECT 1", &[]).await?;
    Ok(())
}

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
}

/// Adds messages to the outbox, in the order given, in one statement.
pub async fn enqueue(
    client: &impl GenericClient,
    messages: &[OutboxMessage],
) -> Result<(), DbError> {
    let statement = client
        .prepare_cached(
            "INSERT INTO outbox (message_id, routing_key, event_id, body, created_at)
             SELECT message_id, routing_key, event_id, body, created_at FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
             WITH ORDINALITY AS m(message_id, routing_key, event_id, body, created_at, n)
             ORDER BY n",
        )
        .await?;
    let ids: Vec<Uuid> = messages.iter().map(|m| m.message_id).collect();
    let keys: Vec<&str> = messages.iter().map(|m| m.routing_key.as_str()).collect();
    let events: Vec<&str> = messages.iter().map(|m| m.event_id.as_str()).collect();
    let bodies: Vec<&str> = messages.iter().map(|m| m.body.as_str()).collect();
    let times: Vec<OffsetDateTime> = messages.iter().map(|m| m.occurred_at).collect();
    client
        .execute(&statement, &[&ids, &keys, &events, &bodies, &times])
        .await?;
    Ok(())
}

/// Takes the relay lock for the current transaction; `false` when another replica holds it.
pub async fn try_lock_relay(client: &impl GenericClient) -> Result<bool, DbError> {
    let row = client
        .query_one("SELECT pg_try_advisory_xact_lock($1)", &[&RELAY_LOCK])
        .await?;
    Ok(row.try_get(0)?)
}

/// The oldest messages not yet confirmed by the broker, in outbox order.
pub async fn pending_messages(
    client: &impl GenericClient,
    limit: i64,
) -> Result<Vec<OutboxMessage>, DbError> {
    let statement = client
        .prepare_cached(
            "SELECT seq, message_id, routing_key, event_id, body, created_at FROM outbox
             WHERE published_at IS NULL ORDER BY seq LIMIT $1",
        )
        .await?;
    let rows = client.query(&statement, &[&limit]).await?;
    rows.iter()
        .map(|row| {
            Ok(OutboxMessage {
                seq: row.try_get("seq")?,
                message_id: row.try_get("message_id")?,
                routing_key: row.try_get("routing_key")?,
                event_id: row.try_get("event_id")?,
                body: row.try_get("body")?,
                occurred_at: row.try_get("created_at")?,
            })
        })
        .collect()
}

/// Marks messages as confirmed by the broker.
pub async fn mark_published(client: &impl GenericClient, seqs: &[i64]) -> Result<u64, DbError> {
    let statement = client
        .prepare_cached(
            "UPDATE outbox SET published_at = now() WHERE seq = ANY($1) AND published_at IS NULL",
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
