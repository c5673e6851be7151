//! Building and running the application: the HTTP server and the outbox relay, as sibling
//! tasks under one shutdown.

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
use tokio_util::sync::CancellationToken;
use tracing_actix_web::{RequestId, TracingLogger};

use crate::config::Settings;
use crate::metrics::Metrics;
use crate::outbox::Relay;
use crate::state::AppState;
use crate::{db, routes};

/// Connections to Postgres per process.
const POOL_SIZE: usize = 16;
/// How long a stopping server lets in-flight requests finish.
const SHUTDOWN_GRACE: u64 = 20;
/// How long start-up waits for Postgres to accept connections.
const STARTUP_DB_WAIT: Duration = Duration::from_secs(60);

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
        let pg_config = db::pg_config(&settings.database_url)?;
        wait_for_database(&pg_config).await?;
        let pool = db::pool(pg_config, POOL_SIZE)?;
        db::migrate(&pool)
            .await
            .context("cannot apply migrations")?;
        let metrics = Metrics::new()?;
        let relay = Relay::new(
            pool.clone(),
            settings.amqp_url.clone(),
            settings.topology.clone(),
            metrics.clone(),
        );
        if settings.admin_token.is_none() {
            tracing::warn!(
                "ADMIN_TOKEN is not set: the routes that change events are open to anyone"
            );
        }
        let state = AppState {
            pool: pool.clone(),
            relay: relay.handle(),
            metrics,
            admin_token: settings.admin_token.clone(),
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
        tracing::info!(port, "line-provider listening");
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
        let mut relay = tokio::spawn(self.relay.run(shutdown.clone()));
        let handle = self.server.handle();
        let mut server = tokio::spawn(self.server);
        let mut relay_failed = false;
        let served = tokio::select! {
            result = &mut server => result,
            () = stop => {
                tracing::info!("stopping: finishing in-flight requests");
                handle.stop(true).await;
                server.await
            }
            // The relay only ends on shutdown; ending before means it panicked. Serving on
            // without it would leave messages in the outbox, so stop and let the supervisor
            // restart us.
            result = &mut relay => {
                tracing::error!(?result, "the outbox relay stopped unexpectedly; stopping the service");
                relay_failed = true;
                handle.stop(true).await;
                server.await
            }
        };
        shutdown.cancel();
        if !relay_failed && let Err(error) = relay.await {
            tracing::error!(%error, "the outbox relay panicked");
        }
        self.pool.close();
        tracing::info!("line-provider stopped");
        served
            .context("the HTTP server task failed")?
            .context("the HTTP server failed")?;
        anyhow::ensure!(!relay_failed, "the outbox relay stopped unexpectedly");
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
