//! The shared servers behind a system's back: SQL straight to its databases, raw messages
//! straight to its exchange.

use test_support::with_database;

use crate::{System, amqp_url, server_url};

/// The test server's URL with another database.
pub fn database_url(database: &str) -> String {
    with_database(&server_url(), database)
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

    /// Runs a query against bet-maker's database and returns its rows.
    pub async fn bet_maker_rows(&self, query: &str) -> Vec<tokio_postgres::Row> {
        let (client, connection) = tokio_postgres::connect(
            &with_database(&server_url(), &self.bet_maker_database),
            tokio_postgres::NoTls,
        )
        .await
        .expect("database");
        tokio::spawn(connection);
        client.query(query, &[]).await.expect("query")
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
