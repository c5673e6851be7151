//! Building and running the application: the HTTP server and the consumer, as sibling tasks
//! under one shutdown (`service-support` runs both).

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use deadpool_postgres::Pool;
use service_support::health::Health;
use service_support::http::{self, Site};
use service_support::run::{self, Worker};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use crate::config::Settings;
use crate::consumer::Consumer;
use crate::metrics::Metrics;
use crate::open_events::OpenEvents;
use crate::state::AppState;
use crate::{db, routes};

pub use service_support::run::shutdown_signal;

/// Connections to Postgres for HTTP requests.
const POOL_SIZE: usize = 16;
/// Connections to Postgres for the consumer.
const CONSUMER_POOL_SIZE: usize = 2;
/// How long a statement of an HTTP request waits for a row lock before it answers 503. The
/// consumer holds an event's row for one short transaction; a longer wait means trouble.
const HTTP_LOCK_TIMEOUT: Duration = Duration::from_secs(2);
/// `GET /bets` streams served at once; each holds a connection until its client has read all.
const HISTORY_STREAMS: usize = 4;
/// How long a stopping service waits for the consumer to finish the transaction in hand and
/// acknowledge it (a statement may take up to its 10 s timeout while Postgres struggles);
/// after that its deliveries go back to the queue.
const CONSUMER_STOP: Duration = Duration::from_secs(25);

/// A built application, listening but not yet serving.
pub struct Application {
    port: u16,
    server: Server,
    consumer: Consumer,
    pools: [Pool; 2],
}

impl Application {
    /// Creates the database if needed, applies migrations, binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let service = &settings.service;
        let http_config = db::pg_config(&service.database_url, Some(HTTP_LOCK_TIMEOUT))?;
        service_support::db::wait_for_database(&http_config).await?;
        let pool = db::pool(http_config, POOL_SIZE)?;
        db::migrate(&pool).await?;
        // The consumer has connections of its own, so busy HTTP clients never hold up the
        // messages, and the consumer never takes a connection from them.
        let consumer_pool = db::pool(
            db::pg_config(&service.database_url, None)?,
            CONSUMER_POOL_SIZE,
        )?;
        let metrics = Metrics::new()?;
        let open_events = Arc::new(OpenEvents::default());
        let consumer = Consumer::new(
            consumer_pool.clone(),
            service.amqp_url.clone(),
            settings.topology.clone(),
            metrics.clone(),
            open_events.clone(),
        );
        let health = Health {
            service: "bet-maker",
            pool: pool.clone(),
            broker: consumer.broker_status(),
            while_broker_down: "new events and results wait in the queue",
            registry: metrics.registry().clone(),
        };
        let requests = metrics.http_requests.clone();
        let state = AppState {
            pool: pool.clone(),
            metrics,
            history_streams: Arc::new(Semaphore::new(HISTORY_STREAMS)),
            open_events,
        };
        let (server, port) = http::serve(
            service,
            Site {
                service: "bet-maker",
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
            consumer,
            pools: [pool, consumer_pool],
        })
    }

    /// The port the server listens on (useful when built with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until `stop` completes, then stops taking requests and messages, lets in-flight
    /// requests finish, hands unacknowledged deliveries back to the broker and closes the pools.
    pub async fn run_until_stopped(self, stop: impl Future<Output = ()>) -> anyhow::Result<()> {
        let shutdown = CancellationToken::new();
        let worker = Worker {
            name: "consumer",
            task: self.consumer.run(shutdown.clone()),
            shutdown,
            grace: CONSUMER_STOP,
        };
        let outcome = run::until_stopped(self.server, worker, &self.pools, stop).await;
        tracing::info!("bet-maker stopped");
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
