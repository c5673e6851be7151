//! The relay's batches: what waited for the broker goes out as one batch, every message in
//! outbox order although the relay queues the whole batch on the channel before it waits for
//! any (a publish polled out of order fails here; that the queuing saves thread round trips
//! is the benchmark's to show, not this test's).

use crate::helpers::{Options, body_of, spawn_app_with};

/// More messages than any single write makes, fewer than a relay batch (500).
const WAITING: usize = 200;

#[tokio::test]
async fn what_waited_for_the_broker_goes_out_as_one_batch_in_outbox_order() {
    let mut app = spawn_app_with(Options {
        proxy: Some(true),
        ..Options::default()
    })
    .await;
    app.wait_for_status("/health/ready", 200).await;
    app.cut_broker().await;
    // One after the other: each is its own commit, so the outbox holds them in this order.
    let ids: Vec<String> = (0..WAITING).map(|n| format!("waiting-{n:03}")).collect();
    for id in &ids {
        app.create_event(id, "1.50").await;
    }
    app.wait_for_metric("line_provider_outbox_pending", WAITING as f64)
        .await;

    app.proxy.as_ref().unwrap().restore();
    let mut arrived = Vec::with_capacity(WAITING);
    for _ in 0..WAITING {
        let body = body_of(&app.next_message().await);
        arrived.push(body["event"]["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(arrived, ids, "every message, in outbox order");
    app.wait_for_metric("line_provider_outbox_published_total", WAITING as f64)
        .await;
    assert_eq!(
        (
            app.metric("line_provider_outbox_batch_messages_count")
                .await,
            app.metric("line_provider_outbox_batch_messages_sum").await,
        ),
        (Some(1.0), Some(WAITING as f64)),
        "one batch of every message that waited"
    );
    app.wait_for_metric("line_provider_outbox_pending", 0.0)
        .await;
}
