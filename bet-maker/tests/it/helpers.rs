//! `TestApp`: one bet-maker per test, with its own database, exchange and queues, and a
//! publisher that plays line-provider.

use std::future::Future;
use std::time::Duration;

use bet_maker::{Application, Settings};
use lapin::options::{
    BasicGetOptions, BasicPublishOptions, ConfirmSelectOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use shared_messages::{EventChange, EventId, EventMessage, EventSnapshot, EventStatus, Topology};
use time::OffsetDateTime;
use tokio::sync::oneshot;

use test_support::{Proxy, address_of};
pub use test_support::{amqp_url, drop_database, server_url, with_database};

/// How long a test waits for something that should happen at once.
pub const WAIT: Duration = Duration::from_secs(10);

/// How to start a test app.
#[derive(Default)]
pub struct Options {
    /// Put a cuttable proxy between the app and the broker.
    pub broker_proxy: bool,
    /// Put a cuttable proxy between the app and Postgres.
    pub database_proxy: bool,
    /// Start on this database (made by the test, dropped with the app) instead of a new one.
    pub database: Option<String>,
}

/// A running bet-maker and what the test needs to talk to it.
pub struct TestApp {
    pub address: String,
    pub http: reqwest::Client,
    pub topology: Topology,
    pub database: String,
    pub broker_proxy: Option<Proxy>,
    pub database_proxy: Option<Proxy>,
    publisher: Channel,
    _amqp: Connection,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// Starts a bet-maker with direct connections.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

/// Starts a bet-maker as `options` say.
pub async fn spawn_app_with(options: Options) -> TestApp {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let database = options
        .database
        .clone()
        .unwrap_or_else(|| format!("test_bm_{id}"));
    let topology = Topology::with_prefix(&format!("test-{id}"));
    let amqp = Connection::connect(&amqp_url(), ConnectionProperties::default())
        .await
        .expect("broker");
    let publisher = amqp.create_channel().await.expect("channel");
    topology.declare(&publisher).await.expect("topology");
    publisher
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .expect("confirms");

    let broker_proxy = match options.broker_proxy {
        true => Some(Proxy::start(address_of(&amqp_url(), 5672), true).await),
        false => None,
    };
    let database_proxy = match options.database_proxy {
        true => Some(Proxy::start(address_of(&server_url(), 5432), true).await),
        false => None,
    };
    let amqp_url = match &broker_proxy {
        Some(proxy) => format!("amqp://guest:guest@127.0.0.1:{}/%2f", proxy.port()),
        None => amqp_url(),
    };
    let database_url = match &database_proxy {
        Some(proxy) => format!("postgres://postgres@127.0.0.1:{}/{database}", proxy.port()),
        None => with_database(&server_url(), &database),
    };
    let settings = Settings {
        service: test_support::local_service(database_url, amqp_url),
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
    let app = TestApp {
        address,
        http: reqwest::Client::new(),
        topology,
        database,
        broker_proxy,
        database_proxy,
        publisher,
        _amqp: amqp,
        stop: Some(stop),
        task: Some(task),
    };
    app.wait_until("the app is ready", || async {
        app.get("/health/ready").await.status() == 200
    })
    .await;
    app
}

/// An event as line-provider would publish it.
pub fn event(id: &str, version: u64, status: EventStatus, coefficient: &str) -> EventSnapshot {
    EventSnapshot {
        id: EventId::parse(id).unwrap(),
        coefficient: coefficient.parse::<Decimal>().unwrap(),
        deadline: OffsetDateTime::now_utc() + time::Duration::days(1),
        status,
        version,
        created_at: OffsetDateTime::now_utc(),
        updated_at: OffsetDateTime::now_utc(),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("JSON")
    }

    /// `POST /bet` with a JSON body.
    pub async fn bet(&self, body: Value) -> reqwest::Response {
        self.http
            .post(self.url("/bet"))
            .json(&body)
            .send()
            .await
            .expect("request sent")
    }

    /// Places a bet that must be accepted; returns it.
    pub async fn place(&self, event_id: &str, amount: &str) -> Value {
        let response = self
            .bet(json!({ "event_id": event_id, "amount": amount }))
            .await;
        assert_eq!(response.status(), 201, "bet on {event_id}");
        response.json().await.expect("bet JSON")
    }

    /// Publishes `snapshot` as line-provider does, reporting `change`.
    pub async fn publish(&self, change: EventChange, snapshot: &EventSnapshot) {
        let message = EventMessage {
            message_id: uuid::Uuid::now_v7(),
            occurred_at: snapshot.updated_at,
            event: snapshot.clone(),
        };
        let body = serde_json::to_vec(&message).unwrap();
        let mut headers = FieldTable::default();
        headers.insert("schema-version".into(), AMQPValue::LongUInt(1));
        let properties = BasicProperties::default()
            .with_delivery_mode(2)
            .with_content_type("application/json".into())
            .with_type(change.routing_key().into())
            .with_message_id(message.message_id.to_string().into())
            .with_app_id("line-provider".into())
            .with_headers(headers);
        self.publish_raw(change.routing_key(), &body, properties)
            .await;
    }

    /// Publishes anything to the exchange.
    pub async fn publish_raw(&self, routing_key: &str, body: &[u8], properties: BasicProperties) {
        self.publisher
            .basic_publish(
                self.topology.exchange.as_str().into(),
                routing_key.into(),
                BasicPublishOptions::default(),
                body,
                properties,
            )
            .await
            .expect("published")
            .await
            .expect("confirmed");
    }

    /// Publishes `created` for a new event one day ahead and waits until it is open for bets.
    pub async fn open_event(&self, id: &str, coefficient: &str) -> EventSnapshot {
        let snapshot = event(id, 1, EventStatus::New, coefficient);
        self.publish(EventChange::Created, &snapshot).await;
        self.wait_for_open_event(id).await;
        snapshot
    }

    pub async fn wait_for_open_event(&self, id: &str) {
        self.wait_until(&format!("event {id} is open"), || async {
            self.open_event_ids().await.iter().any(|e| e == id)
        })
        .await;
    }

    pub async fn open_event_ids(&self) -> Vec<String> {
        let events = self.get_json("/events").await;
        events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Polls `condition` until it holds, or panics after [`WAIT`].
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
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The value of a metric (first series of that name), as `/metrics` shows it now.
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

    /// Polls a metric until it equals `value`.
    pub async fn wait_for_metric(&self, name: &str, value: f64) {
        self.wait_until(&format!("{name} = {value}"), || async {
            self.metric(name).await == Some(value)
        })
        .await;
    }

    /// Takes the next message from the dead-letter queue, waiting for it.
    pub async fn next_dead_letter(&self) -> lapin::message::BasicGetMessage {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let got = self
                .publisher
                .basic_get(
                    self.topology.dead_letter_queue.as_str().into(),
                    BasicGetOptions { no_ack: true },
                )
                .await
                .expect("basic.get");
            if let Some(message) = got {
                return message;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "nothing reached the dead-letter queue"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Runs SQL against the app's database (for assertions the API cannot express).
    pub async fn sql_count(&self, query: &str) -> i64 {
        let (client, connection) = tokio_postgres::connect(
            &with_database(&server_url(), &self.database),
            tokio_postgres::NoTls,
        )
        .await
        .expect("database");
        tokio::spawn(connection);
        client.query_one(query, &[]).await.expect("query").get(0)
    }

    /// Runs a statement on the test server (not the app's database: `ALTER DATABASE` and the
    /// like).
    pub async fn sql_execute(&self, statement: &str) {
        let (client, connection) = tokio_postgres::connect(&server_url(), tokio_postgres::NoTls)
            .await
            .expect("server");
        tokio::spawn(connection);
        client.batch_execute(statement).await.expect("statement");
    }

    /// Runs a statement in the app's database, as another replica would.
    pub async fn app_sql(&self, statement: &str) {
        let client = self.app_client().await;
        client.batch_execute(statement).await.expect("statement");
    }

    /// A connection of the test's own to the app's database (to hold a transaction open).
    pub async fn app_client(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(
            &with_database(&server_url(), &self.database),
            tokio_postgres::NoTls,
        )
        .await
        .expect("database");
        tokio::spawn(connection);
        client
    }

    /// Messages ready in the app's queue (not counting those delivered and unacknowledged).
    pub async fn ready_messages(&self) -> u32 {
        let queue = self
            .publisher
            .queue_declare(
                self.topology.queue.as_str().into(),
                lapin::options::QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .expect("the queue exists");
        queue.message_count()
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
        let database = self.database.clone();
        let topology = self.topology.clone();
        // Clean up from a thread of its own: Drop cannot await, and the test's runtime may be
        // shutting down.
        let cleanup = std::thread::spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
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
    drop_database(&database).await;
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
