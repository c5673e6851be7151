//! Removing what a test made on the shared servers: its exchange and queues, its databases.

use shared_messages::Topology;

use crate::{amqp_url, server_url};

/// Deletes `topology`'s exchange and queues and drops `databases`, ignoring what is already
/// gone.
pub async fn remove(topology: &Topology, databases: &[String]) {
    if let Ok(connection) = lapin::Connection::connect(&amqp_url(), Default::default()).await
        && let Ok(channel) = connection.create_channel().await
    {
        // With the holding queues and the exchange of a move of the queues (a test of one
        // may stop halfway).
        let queues = [&topology.queue, &topology.dead_letter_queue]
            .into_iter()
            .flat_map(|queue| [queue.clone(), format!("{queue}.moving")]);
        for queue in queues {
            let _ = channel
                .queue_delete(queue.as_str().into(), Default::default())
                .await;
        }
        for exchange in [
            topology.exchange.clone(),
            format!("{}.moving.copies", topology.queue),
        ] {
            let _ = channel
                .exchange_delete(exchange.as_str().into(), Default::default())
                .await;
        }
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

/// [`remove`] from a thread of its own, waiting for it: for a `Drop`, which cannot await and
/// may run while the test's runtime shuts down.
pub fn remove_from_drop(topology: Topology, databases: Vec<String>) {
    let cleanup = std::thread::spawn(move || {
        if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            runtime.block_on(remove(&topology, &databases));
        }
    });
    let _ = cleanup.join();
}
