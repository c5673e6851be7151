//! [`RabbitCluster`]: a RabbitMQ cluster of private nodes on this machine, started by a test
//! and gone with it. Its nodes have names, ports, an Erlang cookie and folders of their own, so
//! the shared broker (`rabbit@localhost` on 5672, its cookie, its `/etc/rabbitmq` files) is
//! never touched.
//!
//! # How a node runs
//! Each node is RabbitMQ's own start script, `<scripts>/rabbitmq-server` (Debian:
//! `/usr/lib/rabbitmq/bin`; the `/usr/sbin` wrapper would switch to the `rabbitmq` user), a
//! child process of the test with a cleared environment:
//! - `HOME` is the run's folder, holding the run's `.erlang.cookie` (mode 0400), which the
//!   nodes and every `rabbitmqctl` call of the harness read; the cookie never appears on a
//!   command line;
//! - `RABBITMQ_CONF_ENV_FILE`, `RABBITMQ_CONFIG_FILE`, `RABBITMQ_ADVANCED_CONFIG_FILE` and
//!   `RABBITMQ_ENABLED_PLUGINS_FILE` name the run's files (no plugin, so no management
//!   listener), never `/etc/rabbitmq`'s; `RABBITMQ_MNESIA_BASE`, `RABBITMQ_LOG_BASE` and
//!   `RABBITMQ_PID_FILE` the node's folder;
//! - `RABBITMQ_NODENAME` (`t<run>-<i>@localhost`), `RABBITMQ_NODE_PORT` and
//!   `RABBITMQ_DIST_PORT`, both on 127.0.0.1 and below the ephemeral port range, so that no
//!   outgoing connection of another test holds them when a node restarts.
//!
//! Node 0 boots first, alone and blank; the others then boot together and find it by
//! `classic_config` peer discovery (their `rabbitmq.conf` names node 0), joining it while they
//! boot: no `stop_app` / `join_cluster` / `start_app` round. (All at once is no faster on two
//! cores, where booting is CPU-bound, and lets a node join while node 0 still enables its
//! feature flags, which fails node 0's boot.)
//!
//! The script stays the node's parent (it turns SIGTERM into a clean stop); the VM is its child,
//! found in `/proc`. [`RabbitCluster::kill`] sends it SIGKILL. Dropping the cluster kills every
//! node and removes the run's folder, also when a test panics (and then prints the end of each
//! node's log). The nodes stay in the test's process group, so a runner's timeout (nextest
//! sends SIGTERM, then SIGKILL, to the group) ends them too. A run whose test process died
//! without dropping it (SIGKILL of the test alone) is swept by the next
//! [`RabbitCluster::start`]: its processes are known by a variable of their environment,
//! `RABBIT_CLUSTER_RUN`.

use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a node may take to boot (and to join, or rejoin, the cluster).
const BOOT_TIMEOUT: Duration = Duration::from_secs(90);
/// How long one CLI call may take.
const CLI_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a killed node may take to be gone.
const KILL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a quorum queue may go without a leader, or a restarted member may take to catch
/// up.
const QUORUM_TIMEOUT: Duration = Duration::from_secs(60);
/// The variable of a node's environment that names its run's folder.
const RUN_VARIABLE: &str = "RABBIT_CLUSTER_RUN";

/// Several RabbitMQ nodes of one cluster, private to one test. Nodes are numbered from 0.
#[derive(Debug)]
pub struct RabbitCluster {
    id: String,
    run_dir: PathBuf,
    scripts: PathBuf,
    nodes: Vec<Node>,
    started_in: Duration,
}

#[derive(Debug)]
struct Node {
    name: String,
    amqp_port: u16,
    dist_port: u16,
    dir: PathBuf,
    /// The `rabbitmq-server` script, whose child is the node's VM; `None` while killed.
    script: Option<Child>,
}

impl RabbitCluster {
    /// Starts `size` nodes and waits until every one is running in one cluster.
    ///
    /// Panics, with the reason, when RabbitMQ is not installed or a node does not come up.
    pub async fn start(size: usize) -> Self {
        assert!(size >= 1, "a cluster has at least one node");
        let scripts = scripts_dir();
        sweep_abandoned_runs();
        let id = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
        let run_dir = runs_dir().join(&id);
        fs::create_dir_all(&run_dir).expect("the run's folder");
        let owner = owner_stamp(std::process::id()).expect("this process in /proc");
        fs::write(run_dir.join("owner"), owner).expect("the run's owner file");
        write_private(
            &run_dir.join(".erlang.cookie"),
            &uuid::Uuid::new_v4().simple().to_string().to_uppercase(),
        );
        fs::write(run_dir.join("enabled_plugins"), "[].\n").expect("enabled_plugins");
        fs::write(run_dir.join("rabbitmq-env.conf"), "").expect("rabbitmq-env.conf");
        let ports = free_ports(2 * size);
        let names: Vec<String> = (0..size).map(|i| format!("t{id}-{i}@localhost")).collect();
        let nodes = (0..size)
            .map(|i| {
                let dir = run_dir.join(format!("node-{i}"));
                fs::create_dir_all(dir.join("log")).expect("a node's folder");
                let node = Node {
                    name: names[i].clone(),
                    amqp_port: ports[2 * i],
                    dist_port: ports[2 * i + 1],
                    dir,
                    script: None,
                };
                fs::write(node.dir.join("rabbitmq.conf"), node.config(&names[0]))
                    .expect("a node's rabbitmq.conf");
                node
            })
            .collect();
        let mut cluster = Self {
            id,
            run_dir,
            scripts,
            nodes,
            started_in: Duration::ZERO,
        };
        let started = Instant::now();
        // Node 0 boots alone: a node that joins while node 0 still enables its feature flags
        // makes node 0's boot fail ("All replicas on diskfull nodes are not active yet").
        cluster.spawn(0);
        cluster.wait_listening(0).await;
        for i in 1..size {
            cluster.spawn(i);
        }
        for i in 1..size {
            cluster.wait_listening(i).await;
        }
        cluster.wait_clustered(0).await;
        cluster.started_in = started.elapsed();
        cluster
    }

    /// How long [`RabbitCluster::start`] took from the first spawn to a running cluster.
    pub fn started_in(&self) -> Duration {
        self.started_in
    }

    /// The number of nodes.
    pub fn size(&self) -> usize {
        self.nodes.len()
    }

    /// The Erlang name of node `i` (`t<run>-<i>@localhost`).
    pub fn node_name(&self, i: usize) -> &str {
        &self.nodes[i].name
    }

    /// Whether node `i` runs (was not killed, or was restarted).
    pub fn is_running(&self, i: usize) -> bool {
        self.nodes[i].script.is_some()
    }

    /// The nodes that run.
    pub fn running(&self) -> Vec<usize> {
        (0..self.size()).filter(|&i| self.is_running(i)).collect()
    }

    /// The AMQP URL of node `i` (guest/guest, the default vhost).
    pub fn amqp_url(&self, i: usize) -> String {
        format!(
            "amqp://guest:guest@127.0.0.1:{}/%2f",
            self.nodes[i].amqp_port
        )
    }

    /// Every node's AMQP URL, comma-separated, as a service's `AMQP_URL` takes them.
    pub fn amqp_urls(&self) -> String {
        (0..self.size())
            .map(|i| self.amqp_url(i))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The node that leads the quorum queue `queue` (of the default vhost), as its members
    /// report it (`rabbitmq-queues quorum_status`); waits while the queue elects one.
    pub async fn leader_of(&self, queue: &str) -> usize {
        let deadline = Instant::now() + QUORUM_TIMEOUT;
        let mut last = String::new();
        loop {
            for asked in self.running() {
                match self.quorum_status(asked, queue).await {
                    Ok(members) => {
                        if let Some(leader) = members
                            .iter()
                            .find(|m| m.state == "leader")
                            .and_then(|m| self.index_of(&m.node))
                        {
                            return leader;
                        }
                        last = format!("no leader among {members:?}");
                    }
                    Err(error) => last = error,
                }
            }
            assert!(
                Instant::now() < deadline,
                "the quorum queue {queue} has no leader after {QUORUM_TIMEOUT:?}: {last}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// SIGKILL of node `i`'s VM: no shutdown, nothing flushed. Returns once the process is
    /// gone (its script reaped it and exited).
    pub async fn kill(&mut self, i: usize) {
        let mut script = self.nodes[i]
            .script
            .take()
            .unwrap_or_else(|| panic!("node {i} is not running"));
        let vms = children_of(script.id());
        assert!(!vms.is_empty(), "node {i} has no VM process");
        for vm in &vms {
            signal_kill(*vm);
        }
        let deadline = Instant::now() + KILL_TIMEOUT;
        while script.try_wait().ok().flatten().is_none() || vms.iter().any(|vm| is_alive(*vm)) {
            assert!(
                Instant::now() < deadline,
                "node {i}'s processes survive SIGKILL ({vms:?})"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Starts killed node `i` again, with its name, ports and data, and waits until it runs in
    /// the cluster again and every member of every quorum queue is online and caught up with
    /// its leader.
    pub async fn restart(&mut self, i: usize) {
        assert!(!self.is_running(i), "node {i} is running");
        self.spawn(i);
        self.wait_listening(i).await;
        self.wait_clustered(i).await;
        self.wait_quorum_queues_caught_up(i).await;
    }

    /// Waits until the members of `queue` on every running node are online and have committed
    /// at least what its leader had committed when asked first.
    pub async fn wait_caught_up(&self, queue: &str) {
        let deadline = Instant::now() + QUORUM_TIMEOUT;
        let running: BTreeSet<String> = self
            .running()
            .into_iter()
            .map(|i| self.nodes[i].name.clone())
            .collect();
        let mut target = None;
        loop {
            let asked = self.running()[0];
            let last = match self.quorum_status(asked, queue).await {
                Ok(members) => {
                    let leader = members.iter().find(|m| m.state == "leader");
                    if target.is_none() {
                        target = leader.and_then(|l| l.commit_index);
                    }
                    if let Some(target) = target {
                        let caught_up: BTreeSet<String> = members
                            .iter()
                            .filter(|m| {
                                (m.state == "leader" || m.state == "follower")
                                    && m.commit_index.is_some_and(|c| c >= target)
                            })
                            .map(|m| m.node.clone())
                            .collect();
                        if caught_up.is_superset(&running) {
                            return;
                        }
                    }
                    format!("{members:?}")
                }
                Err(error) => error,
            };
            assert!(
                Instant::now() < deadline,
                "the members of {queue} did not catch up in {QUORUM_TIMEOUT:?}: {last}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

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

    /// The members of `queue` as node `asked` reports them.
    async fn quorum_status(&self, asked: usize, queue: &str) -> Result<Vec<Member>, String> {
        let text = self
            .cli(
                "rabbitmq-queues",
                asked,
                &["quorum_status", queue, "--formatter", "json"],
            )
            .await?;
        let members: Value =
            serde_json::from_str(&text).map_err(|e| format!("{e} in quorum_status: {text}"))?;
        let members = members
            .as_array()
            .ok_or_else(|| format!("quorum_status is not a list: {text}"))?;
        Ok(members
            .iter()
            .map(|m| Member {
                node: m["Node Name"].as_str().unwrap_or_default().to_owned(),
                state: m["Raft State"].as_str().unwrap_or_default().to_owned(),
                commit_index: m["Commit Index"].as_u64(),
            })
            .collect())
    }

    fn index_of(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|node| node.name == name)
    }

    /// What every process of the run sees: its `HOME` (with the cookie), its RabbitMQ
    /// environment file, a `PATH` to `erl`.
    fn base_env(&self) -> Vec<(&'static str, OsString)> {
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

    /// Starts node `i`'s script.
    fn spawn(&mut self, i: usize) {
        let mut env = self.base_env();
        let node = &self.nodes[i];
        let _ = fs::remove_file(node.dir.join("pid"));
        env.extend([
            ("RABBITMQ_NODENAME", node.name.clone().into()),
            ("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1".into()),
            ("RABBITMQ_NODE_PORT", node.amqp_port.to_string().into()),
            ("RABBITMQ_DIST_PORT", node.dist_port.to_string().into()),
            (
                "RABBITMQ_CONFIG_FILE",
                node.dir.join("rabbitmq.conf").into(),
            ),
            (
                "RABBITMQ_ADVANCED_CONFIG_FILE",
                node.dir.join("advanced.config").into(),
            ),
            (
                "RABBITMQ_ENABLED_PLUGINS_FILE",
                self.run_dir.join("enabled_plugins").into(),
            ),
            ("RABBITMQ_MNESIA_BASE", node.dir.join("mnesia").into()),
            ("RABBITMQ_LOG_BASE", node.dir.join("log").into()),
            ("RABBITMQ_PID_FILE", node.dir.join("pid").into()),
            // Erlang distribution on the loopback interface only.
            (
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
                "-kernel inet_dist_use_interface {127,0,0,1}".into(),
            ),
        ]);
        let console = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(node.dir.join("log").join("console.log"))
            .expect("a node's console log");
        let script = Command::new(self.scripts.join("rabbitmq-server"))
            .env_clear()
            .envs(env)
            .current_dir(&node.dir)
            .stdin(Stdio::null())
            .stdout(console.try_clone().expect("the console log"))
            .stderr(console)
            .spawn()
            .unwrap_or_else(|e| panic!("rabbitmq-server does not start: {e}"));
        self.nodes[i].script = Some(script);
    }

    /// Waits until node `i` accepts AMQP connections (its listener opens last in its boot).
    async fn wait_listening(&mut self, i: usize) {
        let deadline = Instant::now() + BOOT_TIMEOUT;
        let port = self.nodes[i].amqp_port;
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return;
            }
            let node = &mut self.nodes[i];
            if let Some(status) = node
                .script
                .as_mut()
                .and_then(|s| s.try_wait().ok().flatten())
            {
                node.script = None;
                panic!(
                    "node {i} ({}) exited while booting ({status}):\n{}",
                    node.name,
                    node.log_tail(40)
                );
            }
            assert!(
                Instant::now() < deadline,
                "node {i} ({}) does not listen on {port} after {BOOT_TIMEOUT:?}:\n{}",
                node.name,
                node.log_tail(40)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until node `asked` reports every running node as a running member of its cluster.
    async fn wait_clustered(&self, asked: usize) {
        let deadline = Instant::now() + BOOT_TIMEOUT;
        let expected: BTreeSet<String> = self
            .running()
            .into_iter()
            .map(|i| self.nodes[i].name.clone())
            .collect();
        loop {
            let last = match self
                .cli(
                    "rabbitmqctl",
                    asked,
                    &["cluster_status", "--formatter", "json"],
                )
                .await
            {
                Ok(text) => {
                    let status: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    let running: BTreeSet<String> = status["running_nodes"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|n| n.as_str().map(str::to_owned))
                        .collect();
                    if running.is_superset(&expected) {
                        return;
                    }
                    format!("running nodes {running:?}, expected {expected:?}")
                }
                Err(error) => error,
            };
            assert!(
                Instant::now() < deadline,
                "the cluster did not form in {BOOT_TIMEOUT:?}: {last}\n{}",
                self.log_tails(20)
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// [`RabbitCluster::wait_caught_up`] for every quorum queue node `asked` knows.
    async fn wait_quorum_queues_caught_up(&self, asked: usize) {
        let text = self
            .cli(
                "rabbitmqctl",
                asked,
                &["list_queues", "-q", "name", "type", "--formatter", "json"],
            )
            .await
            .unwrap_or_else(|e| panic!("the queues of node {asked}: {e}"));
        let queues: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        for queue in queues.as_array().into_iter().flatten() {
            if queue["type"] == "quorum"
                && let Some(name) = queue["name"].as_str()
            {
                self.wait_caught_up(name).await;
            }
        }
    }

    fn log_tails(&self, lines: usize) -> String {
        self.nodes
            .iter()
            .map(|node| node.log_tail(lines))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Node {
    /// The node's `rabbitmq.conf`: its listener, and for all but the first node the first
    /// node to join.
    fn config(&self, seed: &str) -> String {
        let mut config = format!(
            "listeners.tcp.1 = 127.0.0.1:{}\n\
             loopback_users.guest = true\n\
             log.file.level = info\n",
            self.amqp_port
        );
        if self.name != seed {
            config.push_str(&format!(
                "cluster_formation.peer_discovery_backend = classic_config\n\
                 cluster_formation.classic_config.nodes.1 = {seed}\n\
                 cluster_formation.randomized_startup_delay_range.min = 0\n\
                 cluster_formation.randomized_startup_delay_range.max = 0\n\
                 cluster_formation.discovery_retry_limit = 300\n\
                 cluster_formation.discovery_retry_interval = 200\n"
            ));
        }
        config
    }

    /// The last `lines` of the node's log, with its name.
    fn log_tail(&self, lines: usize) -> String {
        let mut tail = format!("--- {} ({}):\n", self.name, self.dir.display());
        for file in [
            self.dir.join("log").join(format!("{}.log", self.name)),
            self.dir.join("log").join("console.log"),
        ] {
            if let Ok(text) = fs::read_to_string(&file) {
                let all: Vec<&str> = text.lines().collect();
                for line in &all[all.len().saturating_sub(lines)..] {
                    tail.push_str(line);
                    tail.push('\n');
                }
            }
        }
        tail
    }
}

impl Drop for RabbitCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            if let Some(script) = node.script.take() {
                let vms = children_of(script.id());
                kill_processes(script, &vms);
            }
        }
        if std::thread::panicking() {
            #[allow(clippy::print_stderr)]
            {
                eprintln!(
                    "cluster t{} at the failure:\n{}",
                    self.id,
                    self.log_tails(30)
                );
            }
        }
        let _ = fs::remove_dir_all(&self.run_dir);
    }
}

/// One member of a quorum queue, as `quorum_status` shows it.
#[derive(Debug)]
struct Member {
    node: String,
    state: String,
    commit_index: Option<u64>,
}

/// SIGKILL of `vms` (a node's VM), then of its `script` unless it exits on its own once it
/// reaped them; waits until all are gone, or [`KILL_TIMEOUT`] (for `Drop`, which cannot
/// await).
fn kill_processes(mut script: Child, vms: &[i32]) {
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

fn signal_kill(pid: i32) {
    let _ = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// A process that exists and is not a zombie.
fn is_alive(pid: i32) -> bool {
    procfs::process::Process::new(pid)
        .and_then(|p| p.stat())
        .is_ok_and(|stat| stat.state != 'Z')
}

/// The processes whose parent is `pid`.
fn children_of(pid: u32) -> Vec<i32> {
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
fn owner_stamp(pid: u32) -> Option<String> {
    let stat = procfs::process::Process::new(i32::try_from(pid).ok()?)
        .ok()?
        .stat()
        .ok()?;
    Some(format!("{} {}", stat.pid, stat.starttime))
}

/// Where runs keep their folders.
fn runs_dir() -> PathBuf {
    std::env::temp_dir().join("rabbit-cluster")
}

/// Kills the nodes and removes the folders of runs whose test process is gone.
fn sweep_abandoned_runs() {
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

/// The folder of RabbitMQ's own scripts (`rabbitmq-server`, `rabbitmqctl`, ... next to
/// `rabbitmq-env`): `TEST_RABBITMQ_SCRIPTS` if set, Debian's `/usr/lib/rabbitmq/bin`, or where
/// a `rabbitmq-server` on `PATH` really is. Panics when there is none, or no `erl`.
fn scripts_dir() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    find_scripts(
        std::env::var_os("TEST_RABBITMQ_SCRIPTS").map(PathBuf::from),
        &[PathBuf::from("/usr/lib/rabbitmq/bin")],
        &path,
    )
}

fn find_scripts(chosen: Option<PathBuf>, known: &[PathBuf], path: &OsStr) -> PathBuf {
    let is_scripts =
        |dir: &Path| dir.join("rabbitmq-server").is_file() && dir.join("rabbitmq-env").is_file();
    let dir = if let Some(dir) = chosen {
        assert!(
            is_scripts(&dir),
            "TEST_RABBITMQ_SCRIPTS={} holds no rabbitmq-server and rabbitmq-env",
            dir.display()
        );
        dir
    } else {
        known
            .iter()
            .cloned()
            .chain(
                std::env::split_paths(path)
                    .filter_map(|dir| fs::canonicalize(dir.join("rabbitmq-server")).ok())
                    .filter_map(|script| script.parent().map(Path::to_path_buf)),
            )
            .find(|dir| is_scripts(dir))
            .unwrap_or_else(|| {
                panic!(
                    "rabbitmq-server is missing: the cluster tests start RabbitMQ nodes of \
                     their own (Debian: apt-get install rabbitmq-server; or set \
                     TEST_RABBITMQ_SCRIPTS to the folder of rabbitmq-server and rabbitmq-env)"
                )
            })
    };
    assert!(
        std::env::split_paths(path).any(|dir| dir.join("erl").is_file()),
        "erl (Erlang) is not on PATH: rabbitmq-server needs it"
    );
    dir
}

/// `count` distinct free ports of 127.0.0.1, below the ephemeral range (where no outgoing
/// connection takes them while a node is down).
fn free_ports(count: usize) -> Vec<u16> {
    let ephemeral_low = fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768);
    let (low, high) = if ephemeral_low > 12_000 {
        (10_000, ephemeral_low)
    } else {
        (ephemeral_low, u16::MAX)
    };
    let mut held = Vec::new();
    let mut attempts = 0;
    while held.len() < count {
        attempts += 1;
        assert!(attempts < 10_000, "no free ports in {low}..{high}");
        let random = uuid::Uuid::new_v4().as_u128();
        let port = low + (random % u128::from(high - low)) as u16;
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) {
            held.push(listener);
        }
    }
    held.iter()
        .map(|l| l.local_addr().expect("a bound port").port())
        .collect()
}

/// Writes `contents` to `path`, readable by its owner only (as Erlang wants its cookie).
fn write_private(path: &Path, contents: &str) {
    fs::write(path, contents).expect("the cookie file");
    fs::set_permissions(path, fs::Permissions::from_mode(0o400)).expect("the cookie's mode");
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;
    use std::path::PathBuf;

    use super::find_scripts;

    #[test]
    #[should_panic(expected = "rabbitmq-server is missing")]
    fn a_machine_without_rabbitmq_fails_loudly() {
        find_scripts(
            None,
            &[PathBuf::from("/nonexistent")],
            OsStr::new("/nonexistent"),
        );
    }

    #[test]
    #[should_panic(expected = "holds no rabbitmq-server")]
    fn a_chosen_folder_without_the_scripts_fails_loudly() {
        find_scripts(Some(PathBuf::from("/nonexistent")), &[], OsStr::new(""));
    }
}
