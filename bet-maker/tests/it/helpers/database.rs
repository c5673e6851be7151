//! SQL straight to a `TestApp`'s database and server, for what the API cannot express or to act
//! as another replica would.

use super::{TestApp, server_url, with_database};

impl TestApp {
    /// Runs SQL against the app's database (for assertions the API cannot express).
    pub async fn sql_count(&self, query: &str) -> i64 {
        let (client, connection) = tokio_postgres::connect(
            &with_database(&server_url(), &self.database),
            tokio_postgres::NoTls,
        )
        .await
        .expect("database");
        tokio::spawn(connection);
        client.query_one(query, &[]).await.expect("query").get(0)
    }

    /// The first column of the first row of `query` in the app's database, as text (null:
    /// `None`); for sums of money, compared as the API writes them.
    pub async fn sql_text(&self, query: &str) -> Option<String> {
        let client = self.app_client().await;
        client.query_one(query, &[]).await.expect("query").get(0)
    }

    /// Runs a statement on the test server (not the app's database: `ALTER DATABASE` and the
    /// like).
    pub async fn sql_execute(&self, statement: &str) {
        let (client, connection) = tokio_postgres::connect(&server_url(), tokio_postgres::NoTls)
            .await
            .expect("server");
        tokio::spawn(connection);
        client.batch_execute(statement).await.expect("statement");
    }

    /// Runs a statement in the app's database, as another replica would.
    pub async fn app_sql(&self, statement: &str) {
        let client = self.app_client().await;
        client.batch_execute(statement).await.expect("statement");
    }

    /// A connection of the test's own to the app's database (to hold a transaction open).
    pub async fn app_client(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(
            &with_database(&server_url(), &self.database),
            tokio_postgres::NoTls,
        )
        .await
        .expect("database");
        tokio::spawn(connection);
        client
    }
}
