//! Each service's Postgres role, as `docker/postgres/init.sql` makes it, runs its service's
//! migrations in its own database and cannot connect to the other's.

use tokio_postgres::NoTls;

use crate::workspace_file;

async fn connect(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

fn url_as(role: &str, database: &str) -> String {
    let server = integration_tests::server_url();
    let host = server
        .split('@')
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("127.0.0.1:5432");
    format!("postgres://{role}:{role}@{host}/{database}")
}

#[tokio::test]
async fn each_service_s_role_reaches_its_own_database_only() {
    let id = uuid::Uuid::new_v4().simple().to_string()[..10].to_owned();
    let (lp, bm) = (format!("test_lp_{id}"), format!("test_bm_{id}"));
    let script = workspace_file("docker/postgres/init.sql")
        .replace("line_provider", &lp)
        .replace("bet_maker", &bm);
    let admin = connect(&integration_tests::server_url()).await.unwrap();
    // One statement at a time, as psql runs the script (CREATE DATABASE refuses a transaction).
    let statements = script
        .lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    for statement in statements
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        admin.batch_execute(statement).await.unwrap();
    }
    let outcome = async {
        // Each role runs its service's migrations in its own database.
        let mut own = connect(&url_as(&bm, &bm)).await.unwrap();
        embedded_bet_maker::migrations::runner()
            .run_async(&mut own)
            .await
            .expect("bet-maker's role runs its migrations");
        let mut own = connect(&url_as(&lp, &lp)).await.unwrap();
        embedded_line_provider::migrations::runner()
            .run_async(&mut own)
            .await
            .expect("line-provider's role runs its migrations");
        own.execute("SELECT count(*) FROM events", &[])
            .await
            .unwrap();

        // And neither reaches the other's.
        for (role, database) in [(&bm, &lp), (&lp, &bm)] {
            let refused = connect(&url_as(role, database)).await.err().unwrap();
            let code = refused.code().map(|c| c.code().to_owned());
            assert_eq!(
                code.as_deref(),
                Some("42501"),
                "{role} on {database}: {refused}"
            );
        }
    }
    .await;
    for statement in [
        format!("DROP DATABASE IF EXISTS {lp} WITH (FORCE)"),
        format!("DROP DATABASE IF EXISTS {bm} WITH (FORCE)"),
        format!("DROP ROLE IF EXISTS {lp}"),
        format!("DROP ROLE IF EXISTS {bm}"),
    ] {
        admin.batch_execute(&statement).await.unwrap();
    }
    outcome
}

mod embedded_bet_maker {
    refinery::embed_migrations!("../migrations/bet-maker");
}

mod embedded_line_provider {
    refinery::embed_migrations!("../migrations/line-provider");
}
