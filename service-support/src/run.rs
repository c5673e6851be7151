//! Running a service: its HTTP server and its one background worker (a relay, a consumer) as
//! sibling tasks under one shutdown, the signals that stop it, and a service binary's `main`.

use std::process::ExitCode;
use std::time::Duration;

use actix_web::dev::Server;
use anyhow::Context;
use deadpool_postgres::Pool;
use tokio_util::sync::CancellationToken;

use crate::config::ServiceSettings;
use crate::{healthcheck, telemetry};

/// The background work a service cannot serve without.
#[derive(Debug)]
pub struct Worker<F> {
    /// What it is called in the log.
    pub name: &'static str,
    /// The work; it returns once the token is cancelled.
    pub task: F,
    /// The token that stops it.
    pub shutdown: CancellationToken,
    /// How long a stopping service waits for it (to finish what it holds, publish what it
    /// can) before leaving it.
    pub grace: Duration,
}

/// Serves until `stop` completes, then stops taking requests, lets in-flight ones finish,
/// stops the worker and closes the pools. The worker only ends on shutdown: ending before
/// means it panicked, and serving on without it would leave work undone, so the service stops
/// and its supervisor restarts it.
pub async fn until_stopped<F>(
    server: Server,
    worker: Worker<F>,
    pools: &[Pool],
    stop: impl Future<Output = ()>,
) -> anyhow::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let Worker {
        name,
        task,
        shutdown,
        grace,
    } = worker;
    let mut worker = tokio::spawn(task);
    let handle = server.handle();
    let mut server = tokio::spawn(server);
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
                // What it held goes back: unacknowledged deliveries to their queue, unmarked
                // outbox rows to the next relay.
                worker.abort();
                tracing::warn!("the {name} did not stop within {grace:?}; stopped it");
            }
        }
    }
    for pool in pools {
        pool.close();
    }
    served
        .context("the HTTP server task failed")?
        .context("the HTTP server failed")?;
    anyhow::ensure!(!worker_failed, "the {name} stopped unexpectedly");
    Ok(())
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
