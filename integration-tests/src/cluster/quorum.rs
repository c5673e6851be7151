//! What the cluster's quorum queues report: which node leads a queue, and whether every member
//! caught up with its leader.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{QUORUM_TIMEOUT, RabbitCluster};

impl RabbitCluster {
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

    /// [`RabbitCluster::wait_caught_up`] for every quorum queue node `asked` knows.
    pub(super) async fn wait_quorum_queues_caught_up(&self, asked: usize) {
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
}

/// One member of a quorum queue, as `quorum_status` shows it.
#[derive(Debug)]
struct Member {
    node: String,
    state: String,
    commit_index: Option<u64>,
}
