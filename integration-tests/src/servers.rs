//! The shared servers behind a system's back: SQL straight to its databases, raw messages
//! straight to its exchange, and removing what a run left there.

use shared_messages::Topology;
use test_support::with_database;

use crate::{System, amqp_url, server_url};

/// The test server's URL with another database.
pub fn database_url(database: &str) -> String {
    with_database(&server_url(), database)
}

/// Deletes a run's exchange and queues and drops its databases, ignoring what is already gone.
pub async fn remove(topology: &Topology, databases: &[String]) {
    if let Ok(connection) = lapin::Connection::connect(&amqp_url(), Default::default()).await
        && let Ok(channel) = connection.create_channel().await
    {
        for queue in [&topology.queue, &topology.dead_letter_queue] {
            let _ = channel
                .queue_delete(queue.as_str().into(), Default::default())
                .await;
        }
        let _ = channel
            .exchange_delete(topology.exchange.as_str().into(), Default::default())
            .await;
        let _ = connection.close(200, "done".into()).await;
    }
    if let Ok((client, connection)) =
        tokio_postgres::connect(&server_url(), tokio_postgres::NoTls).await
    {
        tokio::spawn(connection);
        for database in databases {
            let _ = client
                .batch_execute(&format!(
                    "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
                ))
                .await;
        }
    }
}

impl System {
    /// Drops bet-maker's database (as a lost disk would).
    pub async fn drop_bet_maker_database(&self) {
        sql(
            &server_url(),
            &format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.bet_maker_database
            ),
        )
        .await;
    }

    /// Runs a query returning one number against bet-maker's database.
    pub async fn bet_maker_count(&self, query: &str) -> i64 {
        count(
            &with_database(&server_url(), &self.bet_maker_database),
            query,
        )
        .await
    }

    /// Runs a query returning one number against line-provider's database.
    pub async fn line_provider_count(&self, query: &str) -> i64 {
        count(
            &with_database(&server_url(), &self.line_provider_database),
            query,
        )
        .await
    }

    /// Publishes raw bytes straight to the system's exchange (a foreign publisher).
    pub async fn publish_raw(
        &self,
        routing_key: &str,
        body: &[u8],
        properties: lapin::BasicProperties,
    ) {
        let connection =
            lapin::Connection::connect(&amqp_url(), lapin::ConnectionProperties::default())
                .await
                .unwrap();
        let channel = connection.create_channel().await.unwrap();
        channel.confirm_select(Default::default()).await.unwrap();
        channel
            .basic_publish(
                self.topology.exchange.as_str().into(),
                routing_key.into(),
                Default::default(),
                body,
                properties,
            )
            .await
            .unwrap()
            .await
            .unwrap();
        let _ = connection.close(200, "done".into()).await;
    }
}

async fn count(url: &str, query: &str) -> i64 {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("database");
    tokio::spawn(connection);
    client.query_one(query, &[]).await.expect("query").get(0)
}

async fn sql(url: &str, statement: &str) {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("database");
    tokio::spawn(connection);
    client.batch_execute(statement).await.expect("statement");
}
