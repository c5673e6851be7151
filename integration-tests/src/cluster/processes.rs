//! The run's processes: what each sees of its environment, the CLI tools run against a node,
//! killing a node's processes, and sweeping the runs of tests that died without dropping their
//! cluster.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{CLI_TIMEOUT, KILL_TIMEOUT, RUN_VARIABLE, RabbitCluster};

impl RabbitCluster {
    /// Runs one of RabbitMQ's CLI tools (`rabbitmqctl`, `rabbitmq-queues`,
    /// `rabbitmq-diagnostics`) against node `i` with the cluster's cookie: its standard output,
    /// or why it failed.
    pub async fn cli(&self, tool: &str, i: usize, args: &[&str]) -> Result<String, String> {
        let mut command = tokio::process::Command::new(self.scripts.join(tool));
        command
            .env_clear()
            .envs(self.base_env())
            .current_dir(&self.run_dir)
            .arg("-n")
            .arg(&self.nodes[i].name)
            .args(args)
            .stdin(Stdio::null())
            .kill_on_drop(true);
        let output = tokio::time::timeout(CLI_TIMEOUT, command.output())
            .await
            .map_err(|_| format!("{tool} {args:?} took more than {CLI_TIMEOUT:?}"))?
            .map_err(|error| format!("{tool} does not run: {error}"))?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if output.status.success() {
            Ok(stdout)
        } else {
            Err(format!(
                "{tool} {args:?} on node {i}: {}: {stdout}{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }

    /// What every process of the run sees: its `HOME` (with the cookie), its RabbitMQ
    /// environment file, a `PATH` to `erl`.
    pub(super) fn base_env(&self) -> Vec<(&'static str, OsString)> {
        vec![
            ("PATH", std::env::var_os("PATH").unwrap_or_default()),
            ("LANG", "C.UTF-8".into()),
            ("HOME", self.run_dir.clone().into()),
            (
                "RABBITMQ_CONF_ENV_FILE",
                self.run_dir.join("rabbitmq-env.conf").into(),
            ),
            // Only used if no epmd runs yet and a node starts one.
            ("ERL_EPMD_ADDRESS", "127.0.0.1".into()),
            (RUN_VARIABLE, self.run_dir.clone().into()),
        ]
    }
}

/// SIGKILL of `vms` (a node's VM), then of its `script` unless it exits on its own once it
/// reaped them; waits until all are gone, or [`KILL_TIMEOUT`] (for `Drop`, which cannot
/// await).
pub(super) fn kill_processes(mut script: Child, vms: &[i32]) {
    for vm in vms {
        signal_kill(*vm);
    }
    let deadline = Instant::now() + KILL_TIMEOUT;
    while script.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = script.kill();
    let _ = script.wait();
    // No panic here: a panic in a `Drop` that runs for a panic aborts the test binary.
    while vms.iter().any(|vm| is_alive(*vm)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub(super) fn signal_kill(pid: i32) {
    let _ = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// A process that exists and is not a zombie.
pub(super) fn is_alive(pid: i32) -> bool {
    procfs::process::Process::new(pid)
        .and_then(|p| p.stat())
        .is_ok_and(|stat| stat.state != 'Z')
}

/// The processes whose parent is `pid`.
pub(super) fn children_of(pid: u32) -> Vec<i32> {
    let Ok(pid) = i32::try_from(pid) else {
        return Vec::new();
    };
    procfs::process::all_processes()
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|p| p.stat().ok())
        .filter(|stat| stat.ppid == pid)
        .map(|stat| stat.pid)
        .collect()
}

/// `pid` and its start time: who owns a run, even once the pid is reused.
pub(super) fn owner_stamp(pid: u32) -> Option<String> {
    let stat = procfs::process::Process::new(i32::try_from(pid).ok()?)
        .ok()?
        .stat()
        .ok()?;
    Some(format!("{} {}", stat.pid, stat.starttime))
}

/// Where runs keep their folders.
pub(super) fn runs_dir() -> PathBuf {
    std::env::temp_dir().join("rabbit-cluster")
}

/// Kills the nodes and removes the folders of runs whose test process is gone.
pub(super) fn sweep_abandoned_runs() {
    let Ok(entries) = fs::read_dir(runs_dir()) else {
        return;
    };
    let mut abandoned = Vec::new();
    for dir in entries.flatten().map(|e| e.path()) {
        let owner = fs::read_to_string(dir.join("owner")).unwrap_or_default();
        let alive = owner
            .split_whitespace()
            .next()
            .and_then(|pid| pid.parse::<u32>().ok())
            .and_then(owner_stamp)
            .is_some_and(|stamp| stamp == owner.trim());
        let young = fs::metadata(&dir)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().unwrap_or_default() < Duration::from_secs(60));
        // A run being created has no owner file for a moment.
        let being_created = owner.is_empty() && young;
        if !alive && !being_created {
            abandoned.push(dir);
        }
    }
    if abandoned.is_empty() {
        return;
    }
    for process in procfs::process::all_processes()
        .into_iter()
        .flatten()
        .flatten()
    {
        let run = process
            .environ()
            .ok()
            .and_then(|env| env.get(OsStr::new(RUN_VARIABLE)).map(PathBuf::from));
        if run.is_some_and(|run| abandoned.contains(&run)) {
            signal_kill(process.pid);
        }
    }
    for dir in abandoned {
        let _ = fs::remove_dir_all(dir);
    }
}
