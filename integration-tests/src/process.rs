//! The services as real processes, for faults that only a process shows: `kill -9`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A service binary running as a child process; killed (SIGKILL) when dropped.
#[derive(Debug)]
pub struct Process {
    pub address: String,
    child: Child,
}

/// The binary of `name` next to the test executable (cargo builds the workspace's binaries
/// before running its tests).
pub fn binary(name: &str) -> PathBuf {
    let mut dir = std::env::current_exe().expect("the test executable");
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build the workspace first (cargo build)",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("its address")
        .port()
}

impl Process {
    /// Starts `name` with `env`, on a free port of its own.
    pub fn start(name: &str, env: &[(&str, String)]) -> Self {
        let port = free_port();
        let mut command = Command::new(binary(name));
        command
            .env("PORT", port.to_string())
            .env("BIND_ADDRESS", "127.0.0.1")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command.spawn().expect("the service starts");
        Self {
            address: format!("http://127.0.0.1:{port}"),
            child,
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `kill -9`: no shutdown, nothing flushed, nothing acknowledged.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits until `/health/ready` answers 200.
    pub async fn wait_ready(&self, http: &reqwest::Client) {
        let deadline = tokio::time::Instant::now() + crate::WAIT;
        loop {
            if let Ok(response) = http
                .get(format!("{}/health/ready", self.address))
                .send()
                .await
                && response.status() == 200
            {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} never became ready",
                self.address
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
