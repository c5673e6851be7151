//! `TestApp`: one line-provider per test, with its own database, exchange and queues, and a
//! probe queue bound to the exchange that sees every message.

use std::time::Duration;

use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties, Consumer, ExchangeKind};
use line_provider::{Application, Settings};
use secrecy::SecretString;
use serde_json::{Value, json};
use shared_messages::Topology;
use tokio::sync::oneshot;

use test_support::{Proxy, address_of};
pub use test_support::{amqp_url, server_url};

/// The operator token every test app is started with.
pub const TOKEN: &str = "test-operator-token";
/// How long a test waits for something that should happen at once.
pub const WAIT: Duration = Duration::from_secs(10);

/// How to start a test app.
pub struct Options {
    /// The operator token, or `None` for open admin routes.
    pub admin_token: Option<&'static str>,
    /// Put a cuttable proxy between the app and the broker, initially up or down.
    pub proxy: Option<bool>,
    /// Put a cuttable proxy between the app and Postgres.
    pub database_proxy: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            admin_token: Some(TOKEN),
            proxy: None,
            database_proxy: false,
        }
    }
}

/// A running line-provider and what the test needs to talk to it.
pub struct TestApp {
    pub address: String,
    pub http: reqwest::Client,
    pub topology: Topology,
    pub database: String,
    pub proxy: Option<Proxy>,
    pub database_proxy: Option<Proxy>,
    /// Whether this app created the database and topology (and drops them at the end).
    owner: bool,
    probe: Consumer,
    _amqp: Connection,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// Starts a line-provider with a protected admin API and a direct broker connection.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

/// Starts a line-provider as `options` say.
pub async fn spawn_app_with(options: Options) -> TestApp {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let database = format!("test_lp_{id}");
    let topology = Topology::with_prefix(&format!("test-{id}"));
    let (amqp, probe) = probe(&topology).await;
    let proxy = match options.proxy {
        Some(up) => Some(Proxy::start(address_of(&amqp_url(), 5672), up).await),
        None => None,
    };
    let amqp_url = match &proxy {
        Some(proxy) => format!("amqp://guest:guest@127.0.0.1:{}/%2f", proxy.port()),
        None => amqp_url(),
    };
    let database_proxy = match options.database_proxy {
        true => Some(Proxy::start(address_of(&server_url(), 5432), true).await),
        false => None,
    };
    let database_url = match &database_proxy {
        Some(proxy) => format!("postgres://postgres@127.0.0.1:{}/{database}", proxy.port()),
        None => database_url(&database),
    };
    let settings = Settings {
        service: test_support::local_service(database_url, amqp_url),
        admin_token: options
            .admin_token
            .map(|t| SecretString::from(t.to_owned())),
        topology: topology.clone(),
    };
    let application = Application::build(settings)
        .await
        .expect("the application builds");
    let address = format!("http://127.0.0.1:{}", application.port());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(application.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    TestApp {
        address,
        http: reqwest::Client::new(),
        topology,
        database,
        proxy,
        database_proxy,
        owner: true,
        probe,
        _amqp: amqp,
        stop: Some(stop),
        task: Some(task),
    }
}

/// The URL of `database` on the test server.
pub fn database_url(database: &str) -> String {
    let mut config: tokio_postgres::Config = server_url().parse().expect("TEST_DATABASE_URL");
    config.dbname(database);
    config_to_url(&config)
}

fn config_to_url(config: &tokio_postgres::Config) -> String {
    use tokio_postgres::config::Host;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(host)) => host.clone(),
        _ => "127.0.0.1".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("postgres");
    let password = config
        .get_password()
        .map(|p| format!(":{}", String::from_utf8_lossy(p)))
        .unwrap_or_default();
    let dbname = config.get_dbname().unwrap_or("postgres");
    format!("postgres://{user}{password}@{host}:{port}/{dbname}")
}

/// Declares the test's exchange (as the app will) and a private queue bound to every key.
async fn probe(topology: &Topology) -> (Connection, Consumer) {
    let connection = Connection::connect(&amqp_url(), ConnectionProperties::default())
        .await
        .expect("the broker is reachable");
    let channel = connection.create_channel().await.expect("channel");
    channel
        .exchange_declare(
            topology.exchange.as_str().into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .expect("exchange");
    let queue = channel
        .queue_declare(
            "".into(),
            QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .expect("probe queue");
    channel
        .queue_bind(
            queue.name().clone(),
            topology.exchange.as_str().into(),
            "#".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("probe binding");
    let consumer = channel
        .basic_consume(
            queue.name().clone(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("probe consumer");
    (connection, consumer)
}

impl TestApp {
    /// A second line-provider on the same database and exchange (another replica), with a
    /// probe of its own.
    pub async fn spawn_replica(&self) -> TestApp {
        let (amqp, probe) = probe(&self.topology).await;
        let settings = Settings {
            service: test_support::local_service(database_url(&self.database), amqp_url()),
            admin_token: Some(SecretString::from(TOKEN.to_owned())),
            topology: self.topology.clone(),
        };
        let application = Application::build(settings)
            .await
            .expect("the replica builds");
        let address = format!("http://127.0.0.1:{}", application.port());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(application.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        TestApp {
            address,
            http: reqwest::Client::new(),
            topology: self.topology.clone(),
            database: self.database.clone(),
            proxy: None,
            database_proxy: None,
            owner: false,
            probe,
            _amqp: amqp,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// A direct connection to the app's database.
    pub async fn database(&self) -> tokio_postgres::Client {
        let (client, connection) =
            tokio_postgres::connect(&database_url(&self.database), tokio_postgres::NoTls)
                .await
                .expect("the test database");
        tokio::spawn(connection);
        client
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A request with the operator token.
    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(TOKEN)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_event(&self, body: Value) -> reqwest::Response {
        self.admin(reqwest::Method::POST, "/events")
            .json(&body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn patch_event(&self, id: &str, body: Value) -> reqwest::Response {
        self.admin(reqwest::Method::PATCH, &format!("/events/{id}"))
            .json(&body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn finish_event(&self, id: &str, status: &str) -> reqwest::Response {
        self.admin(reqwest::Method::PUT, &format!("/events/{id}/status"))
            .json(&json!({ "status": status }))
            .send()
            .await
            .expect("request sent")
    }

    /// Creates an event with a deadline a day ahead and returns its body.
    pub async fn create_event(&self, id: &str, coefficient: &str) -> Value {
        let response = self
            .post_event(json!({ "id": id, "coefficient": coefficient, "deadline": in_a_day() }))
            .await;
        assert_eq!(response.status(), 201, "creating {id}");
        response.json().await.expect("event JSON")
    }

    /// The next message on the exchange, acknowledged; panics after [`WAIT`].
    pub async fn next_message(&mut self) -> Delivery {
        let delivery = tokio::time::timeout(WAIT, self.probe.next())
            .await
            .expect("a message arrives in time")
            .expect("the probe consumer is open")
            .expect("a delivery");
        delivery.ack(BasicAckOptions::default()).await.expect("ack");
        delivery
    }

    /// Asserts nothing arrives on the exchange during `period`.
    pub async fn assert_no_message_for(&mut self, period: Duration) {
        if let Ok(Some(delivery)) = tokio::time::timeout(period, self.probe.next()).await {
            let delivery = delivery.expect("a delivery");
            panic!(
                "unexpected message: {}",
                String::from_utf8_lossy(&delivery.data)
            );
        }
    }

    /// Polls `path` until it answers `status`, or panics after [`WAIT`].
    pub async fn wait_for_status(&self, path: &str, status: u16) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let response = self
                .http
                .get(self.url(path))
                .send()
                .await
                .expect("request sent");
            if response.status() == status {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{path} never answered {status}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The value of a metric without labels, as `/metrics` shows it now.
    pub async fn metric(&self, name: &str) -> Option<f64> {
        let text = self
            .get("/metrics")
            .await
            .text()
            .await
            .expect("metrics text");
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
    }

    /// Polls a metric until it equals `value`, or panics after [`WAIT`].
    pub async fn wait_for_metric(&self, name: &str, value: f64) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while self.metric(name).await != Some(value) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{name} never reached {value}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the app as SIGTERM would and waits for it to finish.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => tokio::time::timeout(Duration::from_secs(30), task)
                .await
                .expect("the app stops in time")
                .expect("the app task does not panic"),
            None => Ok(()),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if !self.owner {
            return;
        }
        let database = self.database.clone();
        let topology = self.topology.clone();
        // Clean up from a thread of its own: Drop cannot await, and the test's runtime may be
        // shutting down.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                runtime.block_on(cleanup(database, topology));
            }
        });
        let _ = cleanup.join();
    }
}

async fn cleanup(database: String, topology: Topology) {
    if let Ok(connection) = Connection::connect(&amqp_url(), ConnectionProperties::default()).await
        && let Ok(channel) = connection.create_channel().await
    {
        for queue in [&topology.queue, &topology.dead_letter_queue] {
            let _ = channel
                .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
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
        let _ = client
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
            ))
            .await;
    }
}

/// An RFC 3339 instant one day from now.
pub fn in_a_day() -> String {
    let instant = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    instant
        .replace_nanosecond(0)
        .expect("valid")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("formats")
}

/// Asserts a problem+json answer with `status`, and returns its body.
pub async fn assert_problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status, "unexpected status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.expect("problem JSON");
    assert_eq!(body["status"], status);
    for member in ["type", "title", "detail"] {
        assert!(
            body[member].as_str().is_some_and(|s| !s.is_empty()),
            "problem lacks {member}: {body}"
        );
    }
    body
}

/// The JSON body of a delivery.
pub fn body_of(delivery: &Delivery) -> Value {
    serde_json::from_slice(&delivery.data).expect("the message body is JSON")
}
