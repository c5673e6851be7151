//! Both services as release binaries, on databases and a topology of the run's own, and the
//! requests the figures make of them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use integration_tests::process::Process;
use integration_tests::{amqp_url, database_url};
use shared_messages::Topology;
use shared_messages::topology::QueueType;
use tokio_postgres::NoTls;

use crate::footprint::Watched;
use crate::load::{Call, Connection};

/// line-provider's operator token in this run.
pub const TOKEN: &str = "bench-operator-token";
/// How long to wait for something the system should do soon.
const WAIT: Duration = Duration::from_secs(120);

/// The system under load.
pub struct System {
    pub prefix: String,
    pub topology: Topology,
    pub line_provider_database: String,
    pub bet_maker_database: String,
    pub line_provider: Process,
    pub bet_maker: Process,
    pub line_provider_address: SocketAddr,
    pub bet_maker_address: SocketAddr,
    /// A connection to bet-maker's database, for seeding and baselines.
    pub bet_maker_db: tokio_postgres::Client,
}

fn socket_address(process: &Process) -> SocketAddr {
    process
        .address
        .trim_start_matches("http://")
        .parse()
        .expect("a process listens on host:port")
}

impl System {
    /// Starts both services on fresh databases and a fresh topology; waits until both are ready.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(QueueType::Quorum).await
    }

    /// [`System::start`] with bet-maker's queues of `queue_type`.
    pub async fn start_with(queue_type: QueueType) -> anyhow::Result<Self> {
        let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        let prefix = format!("bench-{id}");
        let line_provider_database = format!("bench_lp_{id}");
        let bet_maker_database = format!("bench_bm_{id}");
        let common = |database: &str| {
            vec![
                ("DATABASE_URL", database_url(database)),
                ("AMQP_URL", amqp_url()),
                ("AMQP_NAME_PREFIX", prefix.clone()),
                ("AMQP_QUEUE_TYPE", queue_type.as_str().to_owned()),
                ("ADMIN_TOKEN", TOKEN.to_owned()),
                // As compose.yaml runs them.
                ("RUST_LOG", "info".to_owned()),
                ("LOG_FORMAT", "json".to_owned()),
            ]
        };
        let line_provider = Process::start("line-provider", &common(&line_provider_database));
        // With bettors' accounts, as figure 10 needs (and as a book with accounts runs).
        let mut bet_maker_env = common(&bet_maker_database);
        bet_maker_env.push(("ACCOUNTS", "true".to_owned()));
        let bet_maker = Process::start("bet-maker", &bet_maker_env);
        let http = reqwest::Client::new();
        tokio::time::timeout(WAIT, async {
            line_provider.wait_ready(&http).await;
            bet_maker.wait_ready(&http).await;
        })
        .await
        .context("the services did not become ready")?;
        let (bet_maker_db, connection) =
            tokio_postgres::connect(&database_url(&bet_maker_database), NoTls).await?;
        tokio::spawn(connection);
        Ok(Self {
            topology: Topology::with_prefix(&prefix).with_queue_type(queue_type),
            prefix,
            line_provider_address: socket_address(&line_provider),
            bet_maker_address: socket_address(&bet_maker),
            line_provider_database,
            bet_maker_database,
            line_provider,
            bet_maker,
            bet_maker_db,
        })
    }

    pub fn line_provider_process(&self) -> Watched {
        Watched::new(self.line_provider.pid())
    }

    pub fn bet_maker_process(&self) -> Watched {
        Watched::new(self.bet_maker.pid())
    }

    /// Creates events `ids` through line-provider, `clients` at a time, betting open for an
    /// hour; returns when line-provider has accepted all of them.
    pub async fn create_events(&self, ids: &[String], clients: usize) -> anyhow::Result<()> {
        let deadline = unix_seconds() + 3600;
        let calls = ids
            .iter()
            .map(|id| {
                Call::post(
                    "/events",
                    format!(r#"{{"id":"{id}","coefficient":"1.85","deadline":{deadline}}}"#),
                )
                .with_token(TOKEN)
            })
            .collect();
        each(self.line_provider_address, calls, clients, 201).await
    }

    /// Finishes events `ids` through line-provider, alternately won and lost.
    pub async fn finish_events(&self, ids: &[String], clients: usize) -> anyhow::Result<()> {
        let calls = ids
            .iter()
            .enumerate()
            .map(|(n, id)| finish_call(id, n % 2 == 0))
            .collect();
        each(self.line_provider_address, calls, clients, 200).await
    }

    /// Waits until bet-maker's consumer has applied `count` messages in all.
    pub async fn wait_applied(&self, count: u64) -> anyhow::Result<()> {
        let mut connection = Connection::open(self.bet_maker_address).await?;
        let started = Instant::now();
        loop {
            if self
                .metric(&mut connection, "bet_maker_messages_applied_total")
                .await?
                >= count as f64
            {
                return Ok(());
            }
            if started.elapsed() > WAIT {
                bail!("bet-maker did not apply {count} messages in {WAIT:?}");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The value of an unlabelled metric of the service behind `connection`.
    pub async fn metric(&self, connection: &mut Connection, name: &str) -> anyhow::Result<f64> {
        let (_, body) = connection.send(&Call::get("/metrics")).await?;
        let text = String::from_utf8_lossy(&body);
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .with_context(|| format!("no metric {name}"))
    }

    /// Vacuums and analyses both services' databases and writes a checkpoint, so that a
    /// figure does not pay for the maintenance the figures before it left behind.
    pub async fn settle(&self) -> anyhow::Result<()> {
        let (line_provider, connection) =
            tokio_postgres::connect(&database_url(&self.line_provider_database), NoTls).await?;
        tokio::spawn(connection);
        line_provider.batch_execute("VACUUM ANALYZE").await?;
        self.bet_maker_db.batch_execute("VACUUM ANALYZE").await?;
        self.bet_maker_db.batch_execute("CHECKPOINT").await?;
        Ok(())
    }

    /// How many rows a query on bet-maker's database counts.
    pub async fn bet_maker_count(&self, query: &str) -> anyhow::Result<i64> {
        Ok(self.bet_maker_db.query_one(query, &[]).await?.get(0))
    }

    /// Stops both services and removes the run's databases and topology.
    pub async fn remove(self) {
        self.line_provider.kill();
        self.bet_maker.kill();
        drop(self.bet_maker_db);
        integration_tests::remove(
            &self.topology,
            &[self.line_provider_database, self.bet_maker_database],
        )
        .await;
    }
}

/// `PUT /events/{id}/status` finishing the event as won or lost.
pub fn finish_call(id: &str, won: bool) -> Call {
    let status = if won { "finished_win" } else { "finished_lose" };
    Call::put(
        format!("/events/{id}/status"),
        format!(r#"{{"status":"{status}"}}"#),
    )
    .with_token(TOKEN)
}

/// Seconds since the Unix epoch.
pub fn unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs()
}

/// Sends every call once, `clients` at a time; each must answer `expect`.
pub async fn each(
    address: SocketAddr,
    calls: Vec<Call>,
    clients: usize,
    expect: u16,
) -> anyhow::Result<()> {
    let calls = Arc::new(calls);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..clients.min(calls.len()) {
        let (calls, next) = (calls.clone(), next.clone());
        let mut connection = Connection::open(address).await?;
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let Some(call) = calls.get(n) else {
                    return anyhow::Ok(());
                };
                let (status, body) = connection.send(call).await?;
                if status != expect {
                    bail!(
                        "{} {} answered {status}: {}",
                        call.method,
                        call.path,
                        String::from_utf8_lossy(&body)
                    );
                }
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(())
}
