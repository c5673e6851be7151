//! Building and running the application: the HTTP server and the consumer, as sibling tasks
//! under one shutdown.

use std::future::Future;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use actix_web::dev::{Server, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::ErrorHandlers;
use actix_web::{App, HttpMessage, HttpServer, web};
use anyhow::Context;
use backon::{BackoffBuilder, ExponentialBuilder};
use deadpool_postgres::Pool;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tracing_actix_web::{RequestId, TracingLogger};

use crate::config::Settings;
use crate::consumer::Consumer;
use crate::metrics::Metrics;
use crate::open_events::OpenEvents;
use crate::state::{AppState, BrokerState};
use crate::{db, routes};

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
/// acknowledge it (a statement may take up to its 10 s timeout while Postgres struggles).
const CONSUMER_STOP: Duration = Duration::from_secs(25);
/// How long a stopping server lets in-flight requests finish.
const SHUTDOWN_GRACE: u64 = 20;
/// How long start-up waits for Postgres to accept connections.
const STARTUP_DB_WAIT: Duration = Duration::from_secs(60);

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
        let http_config = db::pg_config(&settings.database_url, Some(HTTP_LOCK_TIMEOUT))?;
        wait_for_database(&http_config).await?;
        let pool = db::pool(http_config, POOL_SIZE)?;
        db::migrate(&pool)
            .await
            .context("cannot apply migrations")?;
        // The consumer has connections of its own, so busy HTTP clients never hold up the
        // messages, and the consumer never takes a connection from them.
        let consumer_pool = db::pool(
            db::pg_config(&settings.database_url, None)?,
            CONSUMER_POOL_SIZE,
        )?;
        let metrics = Metrics::new()?;
        let broker = BrokerState::default();
        let open_events = Arc::new(OpenEvents::default());
        let consumer = Consumer::new(
            consumer_pool.clone(),
            settings.amqp_url.clone(),
            settings.topology.clone(),
            metrics.clone(),
            broker.clone(),
            open_events.clone(),
        );
        let state = AppState {
            pool: pool.clone(),
            metrics,
            broker,
            history_streams: Arc::new(Semaphore::new(HISTORY_STREAMS)),
            open_events,
        };
        let listener =
            TcpListener::bind((settings.bind_address, settings.port)).with_context(|| {
                format!(
                    "cannot listen on {}:{}",
                    settings.bind_address, settings.port
                )
            })?;
        let port = listener.local_addr()?.port();
        let server = http_server(listener, state)?;
        tracing::info!(port, "bet-maker listening");
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
    /// requests finish, hands unacknowledged deliveries back to the broker and closes the pool.
    pub async fn run_until_stopped(self, stop: impl Future<Output = ()>) -> anyhow::Result<()> {
        let shutdown = CancellationToken::new();
        let mut consumer = tokio::spawn(self.consumer.run(shutdown.clone()));
        let handle = self.server.handle();
        let mut server = tokio::spawn(self.server);
        let mut consumer_failed = false;
        let served = tokio::select! {
            result = &mut server => result,
            () = stop => {
                tracing::info!("stopping: finishing in-flight requests");
                handle.stop(true).await;
                server.await
            }
            // The consumer only ends on shutdown; ending before means it panicked. Serving on
            // without it would leave bets unsettled, so stop and let the supervisor restart us.
            result = &mut consumer => {
                tracing::error!(?result, "the consumer stopped unexpectedly; stopping the service");
                consumer_failed = true;
                handle.stop(true).await;
                server.await
            }
        };
        shutdown.cancel();
        if !consumer_failed {
            match tokio::time::timeout(CONSUMER_STOP, consumer).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::error!(%error, "the consumer panicked"),
                Err(_) => tracing::warn!(
                    "the consumer did not stop in time; its delivery goes back to the queue"
                ),
            }
        }
        for pool in &self.pools {
            pool.close();
        }
        tracing::info!("bet-maker stopped");
        served
            .context("the HTTP server task failed")?
            .context("the HTTP server failed")?;
        anyhow::ensure!(!consumer_failed, "the consumer stopped unexpectedly");
        Ok(())
    }
}

fn http_server(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let state = web::Data::new(state);
    let server = HttpServer::new(move || {
        let requests = state.metrics.http_requests.clone();
        App::new()
            .wrap(ErrorHandlers::new().default_handler(routes::problem_for_unhandled_errors))
            .wrap_fn(move |request, service| {
                let started = Instant::now();
                let method = method_label(request.method());
                let request_id = request
                    .extensions()
                    .get::<RequestId>()
                    .map(|id| id.to_string());
                let response = service.call(request);
                let requests = requests.clone();
                async move {
                    let mut response = response.await?;
                    let route = response
                        .request()
                        .match_pattern()
                        .unwrap_or_else(|| "unmatched".into());
                    requests
                        .with_label_values(&[method, route.as_str(), response.status().as_str()])
                        .observe(started.elapsed().as_secs_f64());
                    if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
                        response
                            .headers_mut()
                            .insert(HeaderName::from_static("x-request-id"), id);
                    }
                    Ok(response)
                }
            })
            .wrap(TracingLogger::<service_support::telemetry::RequestSpan>::new())
            .app_data(state.clone())
            .configure(routes::configure)
    })
    .listen(listener)?
    .disable_signals()
    .shutdown_timeout(SHUTDOWN_GRACE)
    .run();
    Ok(server)
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// A bounded label for a request method: anything outside the standard ones is `other`, so a
/// client cannot grow the metrics without bound.
fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Creates the database if it is missing, retrying while Postgres is still starting.
async fn wait_for_database(config: &tokio_postgres::Config) -> anyhow::Result<()> {
    let deadline = Instant::now() + STARTUP_DB_WAIT;
    let mut delays = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(200))
        .with_max_delay(Duration::from_secs(3))
        .without_max_times()
        .build();
    loop {
        match db::create_database_if_missing(config).await {
            Ok(()) => return Ok(()),
            Err(db::DbError::Unavailable(reason)) if Instant::now() < deadline => {
                let delay = delays.next().unwrap_or(Duration::from_secs(1));
                tracing::warn!(%reason, retry_in = ?delay, "waiting for Postgres");
                tokio::time::sleep(delay).await;
            }
            Err(error) => return Err(error).context("cannot prepare the database"),
        }
    }
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("received Ctrl-C"),
        () = terminate => tracing::info!("received SIGTERM"),
    }
}
