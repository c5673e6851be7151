//! [`Running`]: a service running in-process in a test, and how to stop it as SIGTERM would.

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long a stopping service may take before the test fails.
const STOP_TIMEOUT: Duration = Duration::from_secs(60);

/// One running service: its address, and how to stop it. Dropped, it is told to stop.
#[derive(Debug)]
pub struct Running {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    started: Instant,
}

impl Running {
    /// Spawns `run` (a service's `run_until_stopped`, given the future that tells it to stop)
    /// for a service listening on `port`.
    pub fn spawn<F>(port: u16, run: impl FnOnce(oneshot::Receiver<()>) -> F) -> Self
    where
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let (stop, stopped) = oneshot::channel();
        Self {
            address: format!("http://127.0.0.1:{port}"),
            stop: Some(stop),
            task: Some(tokio::spawn(run(stopped))),
            started: Instant::now(),
        }
    }

    /// When it was started.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Stops it as SIGTERM would, waits, and returns how it ended (`Ok` if already stopped).
    pub async fn finish(&mut self) -> anyhow::Result<()> {
        self.signal();
        match self.task.take() {
            Some(task) => tokio::time::timeout(STOP_TIMEOUT, task)
                .await
                .expect("the service stops in time")
                .expect("the service does not panic"),
            None => Ok(()),
        }
    }

    /// Stops it as SIGTERM would, waits, and fails the test unless it stopped cleanly.
    pub async fn stop(mut self) {
        self.finish().await.expect("the service stops cleanly");
    }

    /// Tells it to stop, without waiting.
    pub fn signal(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.signal();
    }
}
