//! `TestApp`: one line-provider per test, with its own database, exchange and queues, and a
//! probe queue bound to the exchange that sees every message.
//!
//! Starting, stopping and replicas are here; talking to the app over HTTP is in `http`, the
//! probe that reads the exchange in `broker`, and the app's database in `database`.

use std::time::Duration;

use lapin::{Connection, Consumer};
use line_provider::{Application, Settings};
use secrecy::SecretString;
use service_support::config::ServiceSettings;
use shared_messages::Topology;

use test_support::{Proxy, Running, address_of};
pub use test_support::{amqp_url, server_url};

mod broker;
mod database;
mod http;

use broker::probe;
pub use broker::{as_published, body_of, schema_version};
pub use database::database_url;
pub use http::{handed_back_metric, in_a_day};
pub use test_support::assert_problem;

/// The operator token every test app is started with.
pub const TOKEN: &str = "test-operator-token";
/// How long a test waits for something that should happen at once: long enough for a stall
/// of the machine the shared servers run on (other tests' brokers booting beside them).
pub const WAIT: Duration = Duration::from_secs(20);

/// How to start a test app.
pub struct Options {
    /// The operator token, or `None` for open admin routes.
    pub admin_token: Option<&'static str>,
    /// Put a cuttable proxy between the app and the broker, initially up or down.
    pub proxy: Option<bool>,
    /// Put a cuttable proxy between the app and Postgres.
    pub database_proxy: bool,
    /// Start on this database (made by the test, dropped with the app) instead of a new one.
    pub database: Option<String>,
    /// Start on these names (perhaps declared by the test, removed with the app) instead of
    /// new ones.
    pub topology: Option<Topology>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            admin_token: Some(TOKEN),
            proxy: None,
            database_proxy: false,
            database: None,
            topology: None,
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
    running: Running,
}

/// Starts a line-provider with a protected admin API and a direct broker connection.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

/// Starts a line-provider as `options` say.
pub async fn spawn_app_with(options: Options) -> TestApp {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let database = options
        .database
        .clone()
        .unwrap_or_else(|| format!("test_lp_{id}"));
    let topology = options
        .topology
        .clone()
        .unwrap_or_else(|| Topology::with_prefix(&format!("test-{id}")));
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
        service: ServiceSettings {
            admin_token: options
                .admin_token
                .map(|t| SecretString::from(t.to_owned())),
            topology: topology.clone(),
            ..test_support::local_service(database_url, amqp_url)
        },
        bet_maker_url: "http://localhost:8081".to_owned(),
    };
    let application = Application::build(settings)
        .await
        .expect("the application builds");
    let running = start(application);
    TestApp {
        address: running.address.clone(),
        http: reqwest::Client::new(),
        topology,
        database,
        proxy,
        database_proxy,
        owner: true,
        probe,
        _amqp: amqp,
        running,
    }
}

impl TestApp {
    /// A second line-provider on the same database and exchange (another replica), with a
    /// probe of its own.
    pub async fn spawn_replica(&self) -> TestApp {
        let (amqp, probe) = probe(&self.topology).await;
        let settings = Settings {
            service: ServiceSettings {
                admin_token: Some(SecretString::from(TOKEN.to_owned())),
                topology: self.topology.clone(),
                ..test_support::local_service(database_url(&self.database), amqp_url())
            },
            bet_maker_url: "http://localhost:8081".to_owned(),
        };
        let application = Application::build(settings)
            .await
            .expect("the replica builds");
        let running = start(application);
        TestApp {
            address: running.address.clone(),
            http: reqwest::Client::new(),
            topology: self.topology.clone(),
            database: self.database.clone(),
            proxy: None,
            database_proxy: None,
            owner: false,
            probe,
            _amqp: amqp,
            running,
        }
    }

    /// Stops the app as SIGTERM would and waits for it to finish.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        self.running.finish().await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.running.signal();
        if self.owner {
            test_support::remove_from_drop_after(
                self.running.started(),
                self.topology.clone(),
                vec![self.database.clone()],
            );
        }
    }
}

/// Runs a built application until its test app stops it.
fn start(application: Application) -> Running {
    Running::spawn(application.port(), |stopped| {
        application.run_until_stopped(async move {
            let _ = stopped.await;
        })
    })
}
