//! A service whose log nobody reads any more keeps working and stops cleanly: the real binary
//! with its standard output and standard error on pipes whose read ends are closed, as when
//! the program reading a terminal's log pipe dies with Ctrl-C, then SIGINT.

use std::time::{Duration, Instant};

use integration_tests::process::Process;
use integration_tests::{System, TOKEN};
use serde_json::json;

/// How long a service may take to stop once interrupted (its worker's grace included).
const STOP: Duration = Duration::from_secs(15);

/// A service logs at `info` here: every change and message it handles writes a line.
fn verbose() -> [(&'static str, String); 1] {
    [("RUST_LOG", "info".to_owned())]
}

#[tokio::test]
async fn a_line_provider_whose_log_nobody_reads_keeps_working_and_stops_cleanly_on_sigint() {
    let system = System::new().await;
    let (mut lp, stdout, stderr) = system
        .start_process_on_pipes("line-provider", &verbose())
        .await;
    drop((stdout, stderr));

    let created = system
        .http
        .post(format!("{}/events", lp.address))
        .bearer_auth(TOKEN)
        .json(&json!({ "id": "e1", "coefficient": "1.85", "deadline": "2099-01-01T00:00:00Z" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    system
        .wait_until("the event's message is published", || async {
            system
                .line_provider_count("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL")
                .await
                == 1
        })
        .await;
    wait_for_dropped_lines(&system, &lp).await;

    stops_cleanly_on_sigint(&mut lp).await;
}

#[tokio::test]
async fn a_bet_maker_whose_log_nobody_reads_keeps_working_and_stops_cleanly_on_sigint() {
    let system = System::new().await;
    let lp = system.start_line_provider().await;
    let (mut bm, stdout, stderr) = system.start_process_on_pipes("bet-maker", &verbose()).await;
    drop((stdout, stderr));

    system.create_event(&lp, "e1", "1.85").await;
    system
        .wait_until("bet-maker applied the event", || async {
            system
                .bet_maker_count("SELECT count(*) FROM events WHERE id = 'e1'")
                .await
                == 1
        })
        .await;
    let bet = system
        .http
        .post(format!("{}/bet", bm.address))
        .json(&json!({ "event_id": "e1", "amount": "10.00" }))
        .send()
        .await
        .unwrap();
    assert_eq!(bet.status(), 201);
    wait_for_dropped_lines(&system, &bm).await;

    stops_cleanly_on_sigint(&mut bm).await;
    lp.stop().await;
}

/// Waits until the service counts log lines it could not write: it did log, to no one.
async fn wait_for_dropped_lines(system: &System, service: &Process) {
    system
        .wait_until("the service counts the lines nobody read", || async {
            system
                .process_metric(service, "log_lines_dropped_total")
                .await
                .is_some_and(|dropped| dropped > 0.0)
        })
        .await;
}

/// SIGINT, then the exit of a graceful stop: code 0, which the service returns only once its
/// server and its worker stopped and its pools closed.
async fn stops_cleanly_on_sigint(service: &mut Process) {
    let interrupted = Instant::now();
    service.interrupt();
    let status = service.exited(STOP).await;
    assert_eq!(
        status.code(),
        Some(0),
        "{status} {:?} after SIGINT",
        interrupted.elapsed()
    );
}
