//! The app's database: its URL on the test server, and a direct connection to it.

use super::{TestApp, server_url};

/// The URL of `database` on the test server.
pub fn database_url(database: &str) -> String {
    let mut config: tokio_postgres::Config = server_url().parse().expect("TEST_DATABASE_URL");
    config.dbname(database);
    config_to_url(&config)
}

fn config_to_url(config: &tokio_postgres::Config) -> String {
    use tokio_postgres::config::Host;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(host)) => host.clone(),
        _ => "127.0.0.1".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("postgres");
    let password = config
        .get_password()
        .map(|p| format!(":{}", String::from_utf8_lossy(p)))
        .unwrap_or_default();
    let dbname = config.get_dbname().unwrap_or("postgres");
    format!("postgres://{user}{password}@{host}:{port}/{dbname}")
}

impl TestApp {
    /// A direct connection to the app's database.
    pub async fn database(&self) -> tokio_postgres::Client {
        let (client, connection) =
            tokio_postgres::connect(&database_url(&self.database), tokio_postgres::NoTls)
                .await
                .expect("the test database");
        tokio::spawn(connection);
        client
    }

    /// The one integer `sql` selects from the app's database (a count, say).
    pub async fn sql_count(&self, sql: &str) -> i64 {
        self.database()
            .await
            .query_one(sql, &[])
            .await
            .expect("the query")
            .get(0)
    }

    /// How many statements of the app's database wait for a lock now, the relay's marking of
    /// published rows left out (it waits too while a test holds the outbox, if the relay was
    /// publishing what the test wrote before).
    pub async fn statements_waiting_for_a_lock(&self) -> i64 {
        self.sql_count(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'
               AND query NOT LIKE 'UPDATE outbox o SET published_at%'",
        )
        .await
    }
}
