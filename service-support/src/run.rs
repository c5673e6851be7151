//! Running a service: what it is ([`Definition`]), its HTTP server and its one background
//! [`Worker`] (a relay, a consumer) as sibling tasks under one shutdown ([`Service`]), the
//! signals that stop it, and a service binary's `main`.

use std::process::ExitCode;
use std::time::Duration;

use actix_web::dev::Server;
use anyhow::Context;
use deadpool_postgres::Pool;
use tokio_util::sync::CancellationToken;

use crate::config::ServiceSettings;
use crate::{healthcheck, telemetry};

/// What a service is, as this crate runs it: built from its settings into a listening HTTP
/// server and the one background worker it cannot serve without.
pub trait Definition: Sized + 'static {
    /// Its name in the log.
    const NAME: &'static str;
    /// What it is told (see [`crate::config`]).
    type Settings: Send;
    /// Its background work.
    type Worker: Worker;

    /// Creates the database if needed, applies migrations, binds the listener, builds the
    /// worker.
    fn build(
        settings: Self::Settings,
    ) -> impl Future<Output = anyhow::Result<Parts<Self::Worker>>> + Send;
}

/// What [`Definition::build`] makes.
#[allow(missing_debug_implementations)] // actix-web's `Server` has no `Debug`
pub struct Parts<W> {
    /// The HTTP server, listening but not yet serving, and its port (from [`crate::http::serve`]).
    pub server: (Server, u16),
    /// The background worker.
    pub worker: W,
    /// The pools to close once both have stopped.
    pub pools: Vec<Pool>,
}

/// The background work a service cannot serve without (a relay, a consumer).
pub trait Worker: Send + 'static {
    /// What it is called in the log.
    const NAME: &'static str;
    /// How long a stopping service waits for it (to finish what it holds, publish what it
    /// can) before it is stopped.
    const GRACE: Duration;

    /// Works until `shutdown` is cancelled.
    fn run(self, shutdown: CancellationToken) -> impl Future<Output = ()> + Send + 'static;
}

/// A built service, listening but not yet serving.
pub struct Service<D: Definition> {
    port: u16,
    server: Server,
    worker: D::Worker,
    pools: Vec<Pool>,
}

impl<D: Definition> std::fmt::Debug for Service<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(D::NAME)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl<D: Definition> Service<D> {
    /// Builds the service from its settings (see [`Definition::build`]).
    pub async fn build(settings: D::Settings) -> anyhow::Result<Self> {
        let Parts {
            server: (server, port),
            worker,
            pools,
        } = D::build(settings).await?;
        Ok(Self {
            port,
            server,
            worker,
            pools,
        })
    }

    /// The port the server listens on (useful when built with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until `stop` completes, then stops taking requests, lets in-flight ones finish,
    /// stops the worker (waiting [`Worker::GRACE`] at most) and closes the pools. The worker
    /// only ends on shutdown: ending before means it panicked, and serving on without it would
    /// leave work undone, so the service stops and its supervisor restarts it.
    pub async fn run_until_stopped(self, stop: impl Future<Output = ()>) -> anyhow::Result<()> {
        let name = <D::Worker as Worker>::NAME;
        let grace = <D::Worker as Worker>::GRACE;
        let shutdown = CancellationToken::new();
        let mut worker = tokio::spawn(self.worker.run(shutdown.clone()));
        let handle = self.server.handle();
        let mut server = tokio::spawn(self.server);
        let mut worker_failed = false;
        let served = tokio::select! {
            result = &mut server => result,
            () = stop => {
                tracing::info!("stopping: finishing in-flight requests");
                handle.stop(true).await;
                server.await
            }
            result = &mut worker => {
                tracing::error!(?result, "the {name} stopped unexpectedly; stopping the service");
                worker_failed = true;
                handle.stop(true).await;
                server.await
            }
        };
        shutdown.cancel();
        if !worker_failed {
            match tokio::time::timeout(grace, &mut worker).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::error!(%error, "the {name} panicked"),
                Err(_) => {
                    // What it held goes back: unacknowledged deliveries to their queue,
                    // unmarked outbox rows to the next relay.
                    worker.abort();
                    tracing::warn!("the {name} did not stop within {grace:?}; stopped it");
                }
            }
        }
        for pool in &self.pools {
            pool.close();
        }
        tracing::info!("{} stopped", D::NAME);
        served
            .context("the HTTP server task failed")?
            .context("the HTTP server failed")?;
        anyhow::ensure!(!worker_failed, "the {name} stopped unexpectedly");
        Ok(())
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

/// A service binary's `main`: without arguments it reads `settings`, starts the logs and runs
/// `serve` on a multi-threaded runtime; `<binary> healthcheck` asks the instance these
/// settings describe whether it is ready (exit code 0 when it is).
pub fn main<S, E, F>(
    settings: fn() -> Result<S, E>,
    common: fn(&S) -> &ServiceSettings,
    serve: impl FnOnce(S) -> F,
) -> anyhow::Result<ExitCode>
where
    E: std::error::Error + Send + Sync + 'static,
    F: Future<Output = anyhow::Result<()>>,
{
    match std::env::args().nth(1).as_deref() {
        None => {
            let settings = settings()?;
            telemetry::init(common(&settings).log_format);
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?
                .block_on(serve(settings))?;
            Ok(ExitCode::SUCCESS)
        }
        Some("healthcheck") => Ok(healthcheck::run(|| {
            settings().map(|settings| {
                let common = common(&settings);
                (common.bind_address, common.port)
            })
        })),
        Some(other) => anyhow::bail!(
            "unknown command {other:?}: run without arguments to serve, or `healthcheck`"
        ),
    }
}
