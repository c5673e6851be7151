//! The services as real processes, for faults that only a process shows: `kill -9`, a signal,
//! a log nobody reads.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus, Stdio};
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
    /// Starts `name` with `env`, on a free port of its own; its log is not kept.
    pub fn start(name: &str, env: &[(&str, String)]) -> Self {
        Self::spawn(name, env, Stdio::null(), Stdio::inherit())
    }

    /// Starts `name` as [`Process::start`] does, with its standard output and standard error
    /// on pipes of their own: the read ends are returned, and dropping them leaves the service
    /// writing its log where nobody reads it.
    pub fn start_on_pipes(name: &str, env: &[(&str, String)]) -> (Self, ChildStdout, ChildStderr) {
        let mut process = Self::spawn(name, env, Stdio::piped(), Stdio::piped());
        let stdout = process.child.stdout.take().expect("a piped stdout");
        let stderr = process.child.stderr.take().expect("a piped stderr");
        (process, stdout, stderr)
    }

    fn spawn(name: &str, env: &[(&str, String)], stdout: Stdio, stderr: Stdio) -> Self {
        let port = free_port();
        let mut command = Command::new(binary(name));
        command
            .env("PORT", port.to_string())
            .env("BIND_ADDRESS", "127.0.0.1")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr);
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

    /// Sends SIGINT, as Ctrl-C in a terminal does.
    pub fn interrupt(&self) {
        let status = Command::new("kill")
            .args(["-s", "INT", &self.pid().to_string()])
            .stdin(Stdio::null())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -s INT {}: {status}", self.pid());
    }

    /// Waits until the process exits, for `within` at most: its exit status.
    pub async fn exited(&mut self, within: Duration) -> ExitStatus {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("the child's status") {
                return status;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} still runs after {within:?}",
                self.address
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
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

/// Reads `pipe` to its end on a thread of its own (a service that logs into a pipe nobody
/// drains waits on it), and hands back what it read.
pub fn read_to_end(
    mut pipe: impl std::io::Read + Send + 'static,
) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}
