//! Postgres: connection settings with the timeouts every connection gets, a pool that survives a
//! restart of the server, the database created when missing, migrations one replica at a time,
//! and a failed call sorted by what a client should be told ([`DbError`]).

use std::time::{Duration, Instant};

use anyhow::Context;
use backon::{BackoffBuilder, ExponentialBuilder};
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

/// How long a request waits for a connection, or a connection for Postgres, before the
/// service answers 503 instead of hanging.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Statements running longer than this are cancelled by Postgres.
const STATEMENT_TIMEOUT_MS: u32 = 10_000;
/// A transaction left idle this long (a stuck client) is ended by Postgres, freeing its locks.
const IDLE_IN_TRANSACTION_MS: u32 = 60_000;
/// How long start-up waits for Postgres to accept connections.
const STARTUP_WAIT: Duration = Duration::from_secs(60);

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

impl From<deadpool_postgres::PoolError> for DbError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        Self::Unavailable(error.to_string())
    }
}

impl DbError {
    /// A stored row that breaks a rule of the domain: `what` names the column.
    pub fn invalid(what: &str, error: &dyn std::fmt::Display) -> Self {
        Self::InvalidRow(format!("{what}: {error}"))
    }

    /// Whether the data of the statement is at fault (a value Postgres refuses, a broken
    /// constraint), so that trying again can never succeed. Anything else (the database
    /// unreachable, read-only, missing a permission or a table, a lock not granted) may be
    /// mended while the work waits.
    pub fn is_caused_by_data(&self) -> bool {
        match self {
            Self::Constraint(_) => true,
            Self::Query(error) => error
                .code()
                .is_some_and(|code| matches!(&code.code()[..2], "22" | "23")),
            Self::Unavailable(_) | Self::LockTimeout | Self::InvalidRow(_) => false,
        }
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

/// Parses `url` (the service's `DATABASE_URL`) and adds the timeouts every connection gets and
/// the service's name (shown in `pg_stat_activity`, unless the URL names one). With
/// `lock_timeout`, a statement waiting longer for a row lock fails with
/// [`DbError::LockTimeout`] instead of holding its connection.
pub fn pg_config(
    url: &str,
    application_name: &str,
    lock_timeout: Option<Duration>,
) -> Result<tokio_postgres::Config, DbError> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e: tokio_postgres::Error| DbError::Unavailable(e.to_string()))?;
    config
        .connect_timeout(CONNECT_TIMEOUT)
        .keepalives_idle(Duration::from_secs(30))
        .options(match lock_timeout {
            Some(wait) => format!(
                "-c statement_timeout={STATEMENT_TIMEOUT_MS} -c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_MS} -c lock_timeout={}",
                wait.as_millis()
            ),
            None => format!(
                "-c statement_timeout={STATEMENT_TIMEOUT_MS} -c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_MS}"
            ),
        });
    if config.get_application_name().is_none() {
        config.application_name(application_name);
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

/// A service's database made ready: created when missing (waiting for Postgres to start), a
/// pool of `max_size` connections, and the migrations of `runner` applied under the advisory
/// lock `lock`, one replica at a time.
pub async fn open(
    config: tokio_postgres::Config,
    max_size: usize,
    lock: i64,
    runner: refinery::Runner,
) -> anyhow::Result<Pool> {
    wait_for_database(&config).await?;
    let pool = pool(config, max_size)?;
    migrate(&pool, lock, runner).await?;
    Ok(pool)
}

/// Creates the database if it is missing, retrying for a minute while Postgres is still
/// starting (a container started beside it, say).
pub async fn wait_for_database(config: &tokio_postgres::Config) -> anyhow::Result<()> {
    let deadline = Instant::now() + STARTUP_WAIT;
    let mut delays = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(200))
        .with_max_delay(Duration::from_secs(3))
        .without_max_times()
        .build();
    loop {
        match create_database_if_missing(config).await {
            Ok(()) => return Ok(()),
            Err(DbError::Unavailable(reason)) if Instant::now() < deadline => {
                let delay = delays.next().unwrap_or(Duration::from_secs(1));
                tracing::warn!(%reason, retry_in = ?delay, "waiting for Postgres");
                tokio::time::sleep(delay).await;
            }
            Err(error) => return Err(error).context("cannot prepare the database"),
        }
    }
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

/// Applies a service's embedded migrations while holding the advisory lock `lock`, so that
/// replicas starting together apply them one at a time.
pub async fn migrate(pool: &Pool, lock: i64, runner: refinery::Runner) -> anyhow::Result<()> {
    let mut client = pool.get().await?;
    client
        .execute("SELECT pg_advisory_lock($1)", &[&lock])
        .await?;
    let report = runner.run_async(&mut **client).await;
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&lock])
        .await?;
    let report = report.context("cannot apply migrations")?;
    for migration in report.applied_migrations() {
        tracing::info!(migration = %migration, "applied migration");
    }
    Ok(())
}

pub use deadpool_postgres::PoolError;
pub use tokio_postgres::Error as PgError;

/// Whether Postgres answers at all.
pub async fn ping(client: &impl GenericClient) -> Result<(), DbError> {
    client.query_one("SELECT 1", &[]).await?;
    Ok(())
}
