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
//!
//! # Layout
//! - this file: [`RabbitCluster`], started, killed and restarted node by node, and dropped;
//! - `node.rs`: one node's configuration and process, booting and joining the cluster;
//! - `quorum.rs`: what the cluster's quorum queues report (their leader, their members caught
//!   up);
//! - `processes.rs`: the run's processes: their environment, the CLI tools, killing them, and
//!   sweeping the runs of tests that died;
//! - `machine.rs`: what the harness needs of this machine (RabbitMQ's scripts, free ports).

mod machine;
mod node;
mod processes;
mod quorum;

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use machine::{free_ports, scripts_dir, write_private};
use node::Node;
use processes::{
    children_of, is_alive, kill_processes, owner_stamp, runs_dir, signal_kill, sweep_abandoned_runs,
};

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

    fn index_of(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|node| node.name == name)
    }

    fn log_tails(&self, lines: usize) -> String {
        self.nodes
            .iter()
            .map(|node| node.log_tail(lines))
            .collect::<Vec<_>>()
            .join("\n")
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
