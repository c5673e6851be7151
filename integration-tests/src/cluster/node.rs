//! One node of the cluster: its configuration, its process, and its boot, alone or joining the
//! others.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{BOOT_TIMEOUT, RabbitCluster};

#[derive(Debug)]
pub(super) struct Node {
    pub(super) name: String,
    pub(super) amqp_port: u16,
    pub(super) dist_port: u16,
    pub(super) dir: PathBuf,
    /// The `rabbitmq-server` script, whose child is the node's VM; `None` while killed.
    pub(super) script: Option<Child>,
}

impl RabbitCluster {
    /// Starts node `i`'s script.
    pub(super) fn spawn(&mut self, i: usize) {
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
    pub(super) async fn wait_listening(&mut self, i: usize) {
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
    pub(super) async fn wait_clustered(&self, asked: usize) {
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
}

impl Node {
    /// The node's `rabbitmq.conf`: its listener, and for all but the first node the first
    /// node to join.
    pub(super) fn config(&self, seed: &str) -> String {
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
    pub(super) fn log_tail(&self, lines: usize) -> String {
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
