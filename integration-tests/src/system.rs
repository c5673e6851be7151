//! [`System`]: the names of one test's system, its proxies, and starting its services
//! in-process or as processes; dropping it removes its databases and topology.

use std::process::{ChildStderr, ChildStdout};

use service_support::config::ServiceSettings;
use shared_messages::Topology;
use test_support::address_of;

use crate::{Proxy, RabbitCluster, Running, TOKEN, amqp_url, process, server_url};

/// The whole system of one test.
#[derive(Debug)]
pub struct System {
    pub topology: Topology,
    topology_prefix: String,
    pub line_provider_database: String,
    pub bet_maker_database: String,
    /// Between every service and the broker (unused by a system on a [`RabbitCluster`]).
    pub broker: Proxy,
    /// Between every service and Postgres.
    pub postgres: Proxy,
    /// A second way to the broker, listed after [`System::broker`] in every service's
    /// `AMQP_URL` when set: two "nodes" of one broker, each cut on its own.
    pub second_broker: Option<Proxy>,
    /// The services' `AMQP_URL` when set (the nodes of a [`RabbitCluster`], straight, without
    /// the proxies).
    broker_urls: Option<String>,
    pub http: reqwest::Client,
}

impl System {
    /// A system with its own names; nothing runs yet.
    pub async fn new() -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        Self {
            topology: Topology::with_prefix(&format!("test-sys-{id}")),
            topology_prefix: format!("test-sys-{id}"),
            line_provider_database: format!("test_sys_lp_{id}"),
            bet_maker_database: format!("test_sys_bm_{id}"),
            broker: Proxy::start(address_of(&amqp_url(), 5672), true).await,
            postgres: Proxy::start(address_of(&server_url(), 5432), true).await,
            second_broker: None,
            broker_urls: None,
            http: reqwest::Client::new(),
        }
    }

    /// A system whose services know every node of `cluster`, in order, as their `AMQP_URL`
    /// (straight to the nodes: a node goes away when the cluster kills it).
    pub async fn on_cluster(cluster: &RabbitCluster) -> Self {
        let mut system = Self::new().await;
        system.broker_urls = Some(cluster.amqp_urls());
        system
    }

    /// A system whose services know the broker by two URLs, [`System::broker`] first.
    pub async fn with_two_broker_urls() -> Self {
        let mut system = Self::new().await;
        system.second_broker = Some(Proxy::start(address_of(&amqp_url(), 5672), true).await);
        system
    }

    fn broker_url(&self) -> String {
        if let Some(urls) = &self.broker_urls {
            return urls.clone();
        }
        let url = amqp_url();
        let vhost = url.rsplit('/').next().unwrap_or("%2f");
        let credentials = url
            .split("://")
            .nth(1)
            .and_then(|r| r.split('@').next())
            .unwrap_or("guest:guest");
        let mut urls = vec![format!(
            "amqp://{credentials}@127.0.0.1:{}/{vhost}",
            self.broker.port()
        )];
        if let Some(second) = &self.second_broker {
            urls.push(format!(
                "amqp://{credentials}@127.0.0.1:{}/{vhost}",
                second.port()
            ));
        }
        urls.join(",")
    }

    fn database_url(&self, database: &str) -> String {
        let (user, _) = server_url()
            .split("://")
            .nth(1)
            .and_then(|r| r.split_once('@'))
            .map(|(user, rest)| (user.to_owned(), rest.to_owned()))
            .unwrap_or_else(|| ("postgres".to_owned(), String::new()));
        format!(
            "postgres://{user}@127.0.0.1:{}/{database}",
            self.postgres.port()
        )
    }

    /// Starts a line-provider of this system.
    pub async fn start_line_provider(&self) -> Running {
        let settings = line_provider::Settings {
            service: ServiceSettings {
                admin_token: Some(TOKEN.to_owned().into()),
                topology: self.topology.clone(),
                ..test_support::local_service(
                    self.database_url(&self.line_provider_database),
                    self.broker_url(),
                )
            },
            bet_maker_url: "http://localhost:8081".to_owned(),
        };
        let application = line_provider::Application::build(settings)
            .await
            .expect("line-provider builds");
        let port = application.port();
        Running::spawn(port, move |stopped| {
            application.run_until_stopped(async move {
                let _ = stopped.await;
            })
        })
    }

    /// Starts a bet-maker of this system (several may run on one database and queue).
    pub async fn start_bet_maker(&self) -> Running {
        let settings = bet_maker::Settings {
            service: ServiceSettings {
                admin_token: Some(TOKEN.to_owned().into()),
                topology: self.topology.clone(),
                ..test_support::local_service(
                    self.database_url(&self.bet_maker_database),
                    self.broker_url(),
                )
            },
            cors_allowed_origins: Vec::new(),
            accounts: false,
            anonymous_bets: true,
            payout_chunk: 1000,
        };
        let application = bet_maker::Application::build(settings)
            .await
            .expect("bet-maker builds");
        let port = application.port();
        Running::spawn(port, move |stopped| {
            application.run_until_stopped(async move {
                let _ = stopped.await;
            })
        })
    }

    /// The environment of a process of `service` (`line-provider` or `bet-maker`) in this
    /// system: its database, the broker, the token, the names of the system's topology.
    pub fn process_env(&self, service: &str) -> Vec<(&'static str, String)> {
        let database = match service {
            "line-provider" => &self.line_provider_database,
            "bet-maker" => &self.bet_maker_database,
            other => panic!("no service {other}"),
        };
        vec![
            ("DATABASE_URL", self.database_url(database)),
            ("AMQP_URL", self.broker_url()),
            ("ADMIN_TOKEN", TOKEN.to_owned()),
            ("LOG_FORMAT", "text".to_owned()),
            ("AMQP_NAME_PREFIX", self.topology_prefix.clone()),
        ]
    }

    /// Starts line-provider as a process.
    pub async fn start_line_provider_process(&self) -> process::Process {
        let process = process::Process::start("line-provider", &self.process_env("line-provider"));
        process.wait_ready(&self.http).await;
        process
    }

    /// Starts bet-maker as a process.
    pub async fn start_bet_maker_process(&self) -> process::Process {
        let process = process::Process::start("bet-maker", &self.process_env("bet-maker"));
        process.wait_ready(&self.http).await;
        process
    }

    /// Starts `service` as a process with `more` in its environment and its standard output
    /// and standard error on pipes ([`process::Process::start_on_pipes`]); returns it once
    /// ready, with the pipes' read ends.
    pub async fn start_process_on_pipes(
        &self,
        service: &str,
        more: &[(&'static str, String)],
    ) -> (process::Process, ChildStdout, ChildStderr) {
        let mut env = self.process_env(service);
        env.extend_from_slice(more);
        let (process, stdout, stderr) = process::Process::start_on_pipes(service, &env);
        process.wait_ready(&self.http).await;
        (process, stdout, stderr)
    }
}

impl Drop for System {
    fn drop(&mut self) {
        test_support::remove_from_drop(
            self.topology.clone(),
            vec![
                self.line_provider_database.clone(),
                self.bet_maker_database.clone(),
            ],
        );
    }
}
