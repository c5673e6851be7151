//! Removing what a test made on the shared servers: its exchange and queues, its databases.

use std::time::{Duration, Instant};

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

/// How long after a service started its test's queues may be deleted. RabbitMQ (3.10 here,
/// and up to 4.2 at least: rabbitmq-server#16652) restarts the at-least-once dead-letter
/// worker of a quorum queue deleted while the worker registers with it until the workers'
/// supervisor gives up; from then on every publish to any such queue fails with
/// INTERNAL_ERROR until the broker restarts. A test that ends at once would delete bet-maker's
/// queue a few milliseconds after the service declared it.
pub const QUEUES_SETTLE: Duration = Duration::from_millis(500);

/// [`remove_from_drop`] once [`QUEUES_SETTLE`] has passed since the service using `topology`
/// started.
pub fn remove_from_drop_after(started: Instant, topology: Topology, databases: Vec<String>) {
    if let Some(left) = QUEUES_SETTLE.checked_sub(started.elapsed()) {
        std::thread::sleep(left);
    }
    remove_from_drop(topology, databases);
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
