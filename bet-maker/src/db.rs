//! All SQL of bet-maker: one function per statement, each taking any client or transaction.

use std::time::Duration;

use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use rust_decimal::Decimal;
use shared_messages::{EventId, EventStatus};
use time::OffsetDateTime;
use tokio_postgres::{NoTls, Row};
use uuid::Uuid;

use crate::domain::{Amount, Bet, BetFilter, BetStatus, IdempotencyKey, IncomingEvent, OpenEvent};

mod embedded {
    refinery::embed_migrations!("../migrations/bet-maker");
}

/// How long a request waits for a connection, or a connection for Postgres, before the
/// service answers 503 instead of hanging.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Statements running longer than this are cancelled by Postgres.
const STATEMENT_TIMEOUT_MS: u32 = 10_000;
/// A transaction left idle this long (a stuck client) is ended by Postgres, freeing its locks.
const IDLE_IN_TRANSACTION_MS: u32 = 60_000;
/// Key of the advisory lock that serialises migrations between replicas.
const MIGRATION_LOCK: i64 = 0x626d_6d69_6772; // "bmmigr"

/// A failed database call, sorted by what the client should be told.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Postgres cannot be reached right now (down, restarting, pool exhausted): retry later.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// Postgres answered with an error.
    #[error("database error: {0}")]
    Query(#[source] tokio_postgres::Error),
    /// A row lock was not granted within the lock timeout (`lock_timeout`).
    #[error("a lock was not granted in time")]
    LockTimeout,
    /// The statement broke a constraint; the name says which.
    #[error("constraint {0} violated")]
    Constraint(String),
    /// A stored row breaks an invariant of the domain.
    #[error("stored row is invalid: {0}")]
    InvalidRow(String),
}

impl From<tokio_postgres::Error> for DbError {
    fn from(error: tokio_postgres::Error) -> Self {
        if error.code() == Some(&tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE) {
            return Self::LockTimeout;
        }
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
            || matches!(code, "40001" | "40P01");
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

/// Parses `DATABASE_URL` and adds the timeouts every connection gets; with `lock_timeout`, a
/// statement waiting longer for a row lock fails (the HTTP pool: a bet on an event being
/// settled is refused quickly instead of holding a connection for the whole settlement).
pub fn pg_config(
    url: &str,
    lock_timeout: Option<Duration>,
) -> Result<tokio_postgres::Config, DbError> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e: tokio_postgres::Error| DbError::Unavailable(e.to_string()))?;
    config
        .connect_timeout(CONNECT_TIMEOUT)
        .keepalives_idle(Duration::from_secs(30))
        .options(format!(
            "-c statement_timeout={STATEMENT_TIMEOUT_MS} -c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_MS} -c lock_timeout={}",
            lock_timeout.map_or(0, |t| t.as_millis())
        ));
    if config.get_application_name().is_none() {
        config.application_name("bet-maker");
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

impl DbError {
    /// Whether the data of the statement is at fault (a value Postgres refuses, a broken
    /// constraint), so that trying again can never succeed. Anything else (the database
    /// unreachable, read-only, missing a permission or a table, a lock not granted) may be
    /// mended while the work waits.
    pub fn is_caused_by_message(&self) -> bool {
        match self {
            Self::Constraint(_) => true,
            Self::Query(error) => error
                .code()
                .is_some_and(|code| matches!(&code.code()[..2], "22" | "23")),
            Self::Unavailable(_) | Self::LockTimeout | Self::InvalidRow(_) => false,
        }
    }
}

fn invalid(what: &str, error: &dyn std::fmt::Display) -> DbError {
    DbError::InvalidRow(format!("{what}: {error}"))
}

/// Applies a message's event when its version is newer than the stored one and the stored
/// event is not finished (a result is final); returns whether it was applied.
///
/// The row lock taken here waits for bets in flight on the event (they hold `FOR SHARE`), so
/// a settlement that follows in the same transaction sees every one of them.
pub async fn apply_event(
    client: &impl GenericClient,
    event: &IncomingEvent,
) -> Result<bool, DbError> {
    let statement = client
        .prepare_cached(
            "INSERT INTO events (id, coefficient, deadline, status, version)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE
                SET coefficient = EXCLUDED.coefficient, deadline = EXCLUDED.deadline,
                    status = EXCLUDED.status, version = EXCLUDED.version, applied_at = now()
                WHERE events.version < EXCLUDED.version AND events.status = 'new'
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
            ],
        )
        .await?;
    Ok(row.is_some())
}

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

/// Lifts the statement timeout for the rest of the transaction (a settlement may be long).
pub async fn allow_long_statements(client: &impl GenericClient) -> Result<(), DbError> {
    client
        .batch_execute("SET LOCAL statement_timeout = 0")
        .await?;
    Ok(())
}

/// Events open for betting by the database clock, soonest deadline first.
pub async fn open_events(client: &impl GenericClient) -> Result<Vec<OpenEvent>, DbError> {
    let statement = client
        .prepare_cached(
            "SELECT id, coefficient, deadline FROM events
             WHERE status = 'new' AND deadline > now() ORDER BY deadline, id",
        )
        .await?;
    let rows = client.query(&statement, &[]).await?;
    rows.iter()
        .map(|row| {
            let id: String = row.try_get("id")?;
            Ok(OpenEvent {
                id: EventId::parse(id).map_err(|e| invalid("id", &e))?,
                coefficient: row.try_get("coefficient")?,
                deadline: row.try_get("deadline")?,
                status: EventStatus::New,
            })
        })
        .collect()
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
