//! [`Running`]: one service of a system, in-process, and how to stop it.

use std::future::Future;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// One running service: its address, and how to stop it.
#[derive(Debug)]
pub struct Running {
    pub address: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl Running {
    pub(crate) fn spawn<F>(port: u16, run: impl FnOnce(oneshot::Receiver<()>) -> F) -> Self
    where
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let (stop, stopped) = oneshot::channel();
        Self {
            address: format!("http://127.0.0.1:{port}"),
            stop: Some(stop),
            task: Some(tokio::spawn(run(stopped))),
        }
    }

    /// Stops it as SIGTERM would, and waits.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(60), task)
                .await
                .expect("the service stops in time")
                .expect("the service does not panic")
                .expect("the service stops cleanly");
        }
    }
}
