//! Building and running the application: the HTTP server and the outbox relay, as sibling
//! tasks under one shutdown (`service-support` runs both).

use std::time::Duration;

use service_support::health::Health;
use service_support::http::{self, Site};
use service_support::run::{Definition, Parts, Service, Worker};
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use crate::commits::Committer;
use crate::config::Settings;
use crate::metrics::Metrics;
use crate::outbox::Relay;
use crate::state::AppState;
use crate::{db, routes};

pub use service_support::run::shutdown_signal;

/// Connections to Postgres per process.
const POOL_SIZE: usize = 16;
/// How long a stopping service waits for the relay, which first publishes what it can (for
/// up to 5 s) and closes its connection (2 s): with the HTTP server's 20 s, within the 30 s
/// `stop_grace_period` of `compose.yaml`.
const RELAY_STOP: Duration = Duration::from_secs(8);

/// line-provider, built: listening, not yet serving; `run_until_stopped` serves.
pub type Application = Service<LineProvider>;

/// What line-provider is: its HTTP server and the outbox relay.
#[derive(Debug)]
pub struct LineProvider;

impl Definition for LineProvider {
    const NAME: &'static str = "line-provider";
    type Settings = Settings;
    type Worker = Relay;

    async fn build(settings: Settings) -> anyhow::Result<Parts<Relay>> {
        let service = &settings.service;
        let pool = db::open(db::pg_config(&service.database_url)?, POOL_SIZE).await?;
        let metrics = Metrics::new()?;
        let relay = Relay::new(
            pool.clone(),
            service.amqp_url.clone(),
            settings.service.topology.clone(),
            metrics.clone(),
        );
        if service.admin_token.is_none() {
            tracing::warn!(
                "ADMIN_TOKEN is not set: the routes that change events are open to anyone"
            );
        }
        let health = Health {
            service: "line-provider",
            pool: pool.clone(),
            broker: relay.broker_status(),
            while_broker_down: "changes wait in the outbox",
            registry: metrics.registry().clone(),
        };
        let requests = metrics.http_requests.clone();
        let state = AppState {
            commits: Committer::start(pool.clone(), metrics.clone(), relay.handle()),
            pool: pool.clone(),
            metrics,
            bet_maker_url: settings.bet_maker_url.clone(),
        };
        let server = http::serve(
            service,
            Site {
                service: "line-provider",
                state,
                health,
                requests,
                routes: routes::configure,
                openapi: routes::ApiDoc::openapi(),
                cors_allowed_origins: Vec::new(),
            },
        )?;
        Ok(Parts {
            server,
            worker: relay,
            pools: vec![pool],
        })
    }
}

impl Worker for Relay {
    const NAME: &'static str = "outbox relay";
    const GRACE: Duration = RELAY_STOP;

    fn run(self, shutdown: CancellationToken) -> impl Future<Output = ()> + Send + 'static {
        self.relay(shutdown)
    }
}
