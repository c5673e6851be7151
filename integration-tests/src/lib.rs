//! A harness for end-to-end tests of the whole system: both services, in-process, on one
//! topology of their own, against the real Postgres and RabbitMQ, with cuttable TCP proxies in
//! front of the broker and the databases so that outages can be staged without touching the
//! shared servers.
//!
//! # Layout
//! - [`System`]: one line-provider and any number of bet-makers, started, stopped and
//!   restarted at will; dropped databases and topology when it goes.
//! - [`Proxy`]: the cuttable TCP proxy (from `test-support`).
//! - [`process::Process`]: a service binary as a child process, for `kill -9`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod process;

use std::future::Future;
use std::time::Duration;

use serde_json::{Value, json};
use shared_messages::Topology;
pub use test_support::{Proxy, amqp_url, server_url};
use test_support::{address_of, with_database};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long a test waits for something that should happen soon.
pub const WAIT: Duration = Duration::from_secs(20);
/// The operator token of the system's line-provider.
pub const TOKEN: &str = "system-test-token";

/// The test server's URL with another database.
pub fn database_url(database: &str) -> String {
    with_database(&server_url(), database)
}

/// Deletes a run's exchange and queues and drops its databases, ignoring what is already gone.
pub async fn remove(topology: &Topology, databases: &[String]) {
    if let Ok(connection) = lapin::Connection::connect(&amqp_url(), Default::default()).await
        && let Ok(channel) = connection.create_channel().await
    {
        for queue in [&topology.queue, &topology.dead_letter_queue] {
            let _ = channel
                .queue_delete(queue.as_str().into(), Default::default())
                .await;
        }
        let _ = channel
            .exchange_delete(topology.exchange.as_str().into(), Default::default())
            .await;
        let _ = connection.close(200, "done".into()).await;
    }
    if let Ok((client, connection)) =
        tokio_postgres::connect(&server_url(), tokio_postgres::NoTls).await
    {
        tokio::spawn(connection);
        for database in databases {
            let _ = client
                .batch_execute(&format!(
                    "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
                ))
                .await;
        }
    }
}

/// One running service: its address, and how to stop it.
#[derive(Debug)]
pub struct Running {
    pub address: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl Running {
    fn spawn<F>(port: u16, run: impl FnOnce(oneshot::Receiver<()>) -> F) -> Self
    where
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let (stop, stopped) = oneshot::channel();
        Self {
            address: format!("http://127.0.0.1:{port}"),
            stop: Some(stop),
            task: Some(tokio::spawn(run(stopped))),
        }
    }

    /// Stops it as SIGTERM would, and waits.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(60), task)
                .await
                .expect("the service stops in time")
                .expect("the service does not panic")
                .expect("the service stops cleanly");
        }
    }
}

/// The whole system of one test.
#[derive(Debug)]
pub struct System {
    pub topology: Topology,
    topology_prefix: String,
    pub line_provider_database: String,
    pub bet_maker_database: String,
    /// Between every service and the broker.
    pub broker: Proxy,
    /// Between every service and Postgres.
    pub postgres: Proxy,
    pub http: reqwest::Client,
}

impl System {
    /// A system with its own names; nothing runs yet.
    pub async fn new() -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        Self {
            topology: Topology::with_prefix(&format!("test-sys-{id}")),
            topology_prefix: format!("test-sys-{id}"),
            line_provider_database: format!("test_sys_lp_{id}"),
            bet_maker_database: format!("test_sys_bm_{id}"),
            broker: Proxy::start(address_of(&amqp_url(), 5672), true).await,
            postgres: Proxy::start(address_of(&server_url(), 5432), true).await,
            http: reqwest::Client::new(),
        }
    }

    fn broker_url(&self) -> String {
        let url = amqp_url();
        let vhost = url.rsplit('/').next().unwrap_or("%2f");
        let credentials = url
            .split("://")
            .nth(1)
            .and_then(|r| r.split('@').next())
            .unwrap_or("guest:guest");
        format!(
            "amqp://{credentials}@127.0.0.1:{}/{vhost}",
            self.broker.port()
        )
    }

    fn database_url(&self, database: &str) -> String {
        let (user, _) = server_url()
            .split("://")
            .nth(1)
            .and_then(|r| r.split_once('@'))
            .map(|(user, rest)| (user.to_owned(), rest.to_owned()))
            .unwrap_or_else(|| ("postgres".to_owned(), String::new()));
        format!(
            "postgres://{user}@127.0.0.1:{}/{database}",
            self.postgres.port()
        )
    }

    /// Starts a line-provider of this system.
    pub async fn start_line_provider(&self) -> Running {
        let settings = line_provider::Settings {
            service: test_support::local_service(
                self.database_url(&self.line_provider_database),
                self.broker_url(),
            ),
            admin_token: Some(TOKEN.to_owned().into()),
            topology: self.topology.clone(),
        };
        let application = line_provider::Application::build(settings)
            .await
            .expect("line-provider builds");
        let port = application.port();
        Running::spawn(port, move |stopped| {
            application.run_until_stopped(async move {
                let _ = stopped.await;
            })
        })
    }

    /// Starts a bet-maker of this system (several may run on one database and queue).
    pub async fn start_bet_maker(&self) -> Running {
        let settings = bet_maker::Settings {
            service: test_support::local_service(
                self.database_url(&self.bet_maker_database),
                self.broker_url(),
            ),
            topology: self.topology.clone(),
        };
        let application = bet_maker::Application::build(settings)
            .await
            .expect("bet-maker builds");
        let port = application.port();
        Running::spawn(port, move |stopped| {
            application.run_until_stopped(async move {
                let _ = stopped.await;
            })
        })
    }

    /// The environment of a service process of this system.
    fn process_env(&self, database: &str) -> Vec<(&'static str, String)> {
        vec![
            ("DATABASE_URL", self.database_url(database)),
            ("AMQP_URL", self.broker_url()),
            ("ADMIN_TOKEN", TOKEN.to_owned()),
            ("LOG_FORMAT", "text".to_owned()),
        ]
    }

    /// Starts line-provider as a process.
    pub async fn start_line_provider_process(&self) -> process::Process {
        let mut env = self.process_env(&self.line_provider_database);
        env.extend(self.process_topology_env());
        let process = process::Process::start("line-provider", &env);
        process.wait_ready(&self.http).await;
        process
    }

    /// Starts bet-maker as a process.
    pub async fn start_bet_maker_process(&self) -> process::Process {
        let mut env = self.process_env(&self.bet_maker_database);
        env.extend(self.process_topology_env());
        let process = process::Process::start("bet-maker", &env);
        process.wait_ready(&self.http).await;
        process
    }

    /// The names of this system's exchange and queues, for a process.
    fn process_topology_env(&self) -> Vec<(&'static str, String)> {
        vec![("AMQP_NAME_PREFIX", self.topology_prefix.clone())]
    }

    /// Drops bet-maker's database (as a lost disk would).
    pub async fn drop_bet_maker_database(&self) {
        sql(
            &server_url(),
            &format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.bet_maker_database
            ),
        )
        .await;
    }

    // ---- talking to the services -------------------------------------------------------

    pub async fn create_event(&self, lp: &Running, id: &str, coefficient: &str) -> Value {
        let deadline = "2099-01-01T00:00:00Z";
        self.send(
            lp,
            reqwest::Method::POST,
            "/events",
            json!({ "id": id, "coefficient": coefficient, "deadline": deadline }),
            201,
        )
        .await
    }

    pub async fn change_odds(&self, lp: &Running, id: &str, coefficient: &str) -> Value {
        self.send(
            lp,
            reqwest::Method::PATCH,
            &format!("/events/{id}"),
            json!({ "coefficient": coefficient }),
            200,
        )
        .await
    }

    pub async fn finish(&self, lp: &Running, id: &str, status: &str) -> Value {
        self.send(
            lp,
            reqwest::Method::PUT,
            &format!("/events/{id}/status"),
            json!({ "status": status }),
            200,
        )
        .await
    }

    async fn send(
        &self,
        lp: &Running,
        method: reqwest::Method,
        path: &str,
        body: Value,
        status: u16,
    ) -> Value {
        let response = self
            .http
            .request(method, format!("{}{path}", lp.address))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .expect("request sent");
        assert_eq!(response.status(), status, "{path}");
        response.json().await.expect("JSON")
    }

    /// `POST /bet`; returns the status and body.
    pub async fn bet(&self, bm: &Running, event_id: &str, amount: &str) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/bet", bm.address))
            .json(&json!({ "event_id": event_id, "amount": amount }))
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, service: &Running, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", service.address))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_json(&self, service: &Running, path: &str) -> Value {
        let response = self.get(service, path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("JSON")
    }

    /// Ids of the events bet-maker lists as open.
    pub async fn open_events(&self, bm: &Running) -> Vec<String> {
        let events = self.get_json(bm, "/events").await;
        events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Polls until `condition` holds, or panics after [`WAIT`].
    pub async fn wait_until<F, Fut>(&self, what: &str, mut condition: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !condition().await {
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting until {what}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Polls a service's readiness until it answers `status`.
    pub async fn wait_ready(&self, service: &Running, status: u16) {
        self.wait_until(&format!("{} is {status}", service.address), || async {
            self.get(service, "/health/ready").await.status() == status
        })
        .await;
    }

    /// The value of a metric (its name with labels, as printed), as a service shows it now.
    pub async fn metric(&self, service: &Running, name: &str) -> Option<f64> {
        let text = self
            .get(service, "/metrics")
            .await
            .text()
            .await
            .expect("metrics");
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
    }

    /// The same for a service running as a process.
    pub async fn process_metric(&self, service: &process::Process, name: &str) -> Option<f64> {
        let url = format!("{}/metrics", service.address);
        let text = self
            .http
            .get(url)
            .send()
            .await
            .expect("request sent")
            .text()
            .await
            .expect("metrics");
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
    }

    /// Runs a query returning one number against bet-maker's database.
    pub async fn bet_maker_count(&self, query: &str) -> i64 {
        count(
            &with_database(&server_url(), &self.bet_maker_database),
            query,
        )
        .await
    }

    /// Runs a query returning one number against line-provider's database.
    pub async fn line_provider_count(&self, query: &str) -> i64 {
        count(
            &with_database(&server_url(), &self.line_provider_database),
            query,
        )
        .await
    }

    /// Publishes raw bytes straight to the system's exchange (a foreign publisher).
    pub async fn publish_raw(
        &self,
        routing_key: &str,
        body: &[u8],
        properties: lapin::BasicProperties,
    ) {
        let connection =
            lapin::Connection::connect(&amqp_url(), lapin::ConnectionProperties::default())
                .await
                .unwrap();
        let channel = connection.create_channel().await.unwrap();
        channel.confirm_select(Default::default()).await.unwrap();
        channel
            .basic_publish(
                self.topology.exchange.as_str().into(),
                routing_key.into(),
                Default::default(),
                body,
                properties,
            )
            .await
            .unwrap()
            .await
            .unwrap();
        let _ = connection.close(200, "done".into()).await;
    }
}

async fn count(url: &str, query: &str) -> i64 {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("database");
    tokio::spawn(connection);
    client.query_one(query, &[]).await.expect("query").get(0)
}

async fn sql(url: &str, statement: &str) {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("database");
    tokio::spawn(connection);
    client.batch_execute(statement).await.expect("statement");
}

impl Drop for System {
    fn drop(&mut self) {
        let topology = self.topology.clone();
        let databases = [
            self.line_provider_database.clone(),
            self.bet_maker_database.clone(),
        ];
        let cleanup = std::thread::spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                runtime.block_on(remove(&topology, &databases));
            }
        });
        let _ = cleanup.join();
    }
}
