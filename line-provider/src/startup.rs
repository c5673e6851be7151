//! Building and running the application: the HTTP server and the outbox relay, as sibling
//! tasks under one shutdown (`service-support` runs both).

use std::time::Duration;

use actix_web::dev::Server;
use deadpool_postgres::Pool;
use service_support::health::Health;
use service_support::http::{self, Site};
use service_support::run::{self, Worker};
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

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

/// A built application, listening but not yet serving.
pub struct Application {
    port: u16,
    server: Server,
    relay: Relay,
    pool: Pool,
}

impl Application {
    /// Creates the database if needed, applies migrations, binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let service = &settings.service;
        let pg_config = db::pg_config(&service.database_url)?;
        service_support::db::wait_for_database(&pg_config).await?;
        let pool = db::pool(pg_config, POOL_SIZE)?;
        db::migrate(&pool).await?;
        let metrics = Metrics::new()?;
        let relay = Relay::new(
            pool.clone(),
            service.amqp_url.clone(),
            settings.topology.clone(),
            metrics.clone(),
        );
        if settings.admin_token.is_none() {
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
            pool: pool.clone(),
            relay: relay.handle(),
            metrics,
            admin_token: settings.admin_token.clone(),
        };
        let (server, port) = http::serve(
            service,
            Site {
                service: "line-provider",
                state,
                health,
                requests,
                routes: routes::configure,
                openapi: routes::ApiDoc::openapi(),
            },
        )?;
        Ok(Self {
            port,
            server,
            relay,
            pool,
        })
    }

    /// The port the server listens on (useful when built with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until `stop` completes, then stops taking requests, lets in-flight ones finish,
    /// stops the relay (which publishes what it can first) and closes the pool.
    pub async fn run_until_stopped(self, stop: impl Future<Output = ()>) -> anyhow::Result<()> {
        let shutdown = CancellationToken::new();
        let worker = Worker {
            name: "outbox relay",
            task: self.relay.run(shutdown.clone()),
            shutdown,
            grace: RELAY_STOP,
        };
        let outcome = run::until_stopped(self.server, worker, &[self.pool], stop).await;
        tracing::info!("line-provider stopped");
        outcome
    }
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}
