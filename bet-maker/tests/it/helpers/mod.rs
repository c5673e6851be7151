//! `TestApp`: one bet-maker per test, with its own database, exchange and queues, and a
//! publisher that plays line-provider.
//!
//! Starting, waiting and stopping are here; talking to the app over HTTP is in `http`, the
//! broker's side (publishing as line-provider, reading queues) in `broker`, and SQL straight to
//! the app's database in `database`.

use std::future::Future;
use std::time::Duration;

use bet_maker::{Application, Settings};
use lapin::options::ConfirmSelectOptions;
use lapin::{Channel, Connection, ConnectionProperties};
use service_support::config::ServiceSettings;
use shared_messages::Topology;

use test_support::{Proxy, Running, address_of};
pub use test_support::{amqp_url, drop_database, server_url, with_database};

mod broker;
mod database;
mod http;

pub use broker::{event, message};
pub use http::assert_problem;

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
    /// Protect the exposure routes with this operator token.
    pub admin_token: Option<&'static str>,
    /// Serve the routes of accounts and money (`ACCOUNTS=true`).
    pub accounts: bool,
    /// Take bets only from accounts (`ANONYMOUS_BETS=false`).
    pub refuse_anonymous_bets: bool,
    /// Let pages of these origins call the app from a browser.
    pub cors_allowed_origins: Vec<String>,
    /// Start on these names, declared by the test as it likes (removed with the app), instead
    /// of new ones declared as the contract says.
    pub topology: Option<Topology>,
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
    running: Running,
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
    let amqp = Connection::connect(&amqp_url(), ConnectionProperties::default())
        .await
        .expect("broker");
    let publisher = amqp.create_channel().await.expect("channel");
    let topology = match &options.topology {
        Some(topology) => topology.clone(),
        None => {
            let topology = Topology::with_prefix(&format!("test-{id}"));
            let declared = topology.declare(&amqp).await.expect("topology");
            assert!(declared.as_asked(), "{declared:?}");
            topology
        }
    };
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
        service: ServiceSettings {
            admin_token: options.admin_token.map(secrecy::SecretString::from),
            topology: topology.clone(),
            ..test_support::local_service(database_url, amqp_url)
        },
        cors_allowed_origins: options.cors_allowed_origins.clone(),
        accounts: options.accounts,
        anonymous_bets: !options.refuse_anonymous_bets,
        payout_chunk: 1000,
    };
    let application = Application::build(settings)
        .await
        .expect("the application builds");
    let running = Running::spawn(application.port(), |stopped| {
        application.run_until_stopped(async move {
            let _ = stopped.await;
        })
    });
    let app = TestApp {
        address: running.address.clone(),
        http: reqwest::Client::new(),
        topology,
        database,
        broker_proxy,
        database_proxy,
        publisher,
        _amqp: amqp,
        running,
    };
    app.wait_until("the app is ready", || async {
        app.get("/health/ready").await.status() == 200
    })
    .await;
    app
}

impl TestApp {
    /// Polls `condition` until it holds, or panics after [`WAIT`].
    pub async fn wait_until<F, Fut>(&self, what: &str, condition: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        test_support::wait_until(what, WAIT, condition).await;
    }

    /// Stops the app as SIGTERM would and waits for it to finish.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        self.running.finish().await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.running.signal();
        test_support::remove_from_drop_after(
            self.running.started(),
            self.topology.clone(),
            vec![self.database.clone()],
        );
    }
}
