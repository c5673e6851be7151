//! All SQL of line-provider: one function per statement, each taking any client or transaction.

use std::time::Duration;

use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

mod events;
mod outbox;

pub use events::{
    events_page_for_share, get_event, insert_event_with_message, list_events,
    update_event_with_message,
};
pub use outbox::{
    OutboxMessage, count_pending, enqueue, mark_published, pending_messages, prune_published,
    try_lock_relay,
};

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
