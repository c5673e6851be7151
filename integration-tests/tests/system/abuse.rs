//! Careless and abusive clients, against the real line-provider binary logging JSON as in
//! containers: a body that stalls and one that crawls are answered 408 and closed within
//! seconds; requests too malformed to route are counted, not logged as errors; `HEAD` is
//! answered wherever `GET` is; every answer says `nosniff`.

use std::time::{Duration, Instant};

use integration_tests::process::{Process, read_to_end};
use integration_tests::{System, TOKEN};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use service_support::body_deadline::BODY_DEADLINE;

/// How long after the deadline the answer may come.
const SLACK: Duration = Duration::from_secs(3);

#[tokio::test]
async fn stalled_and_crawling_bodies_get_408_and_garbage_is_counted_not_logged_as_an_error() {
    let system = System::new().await;
    let mut env = system.process_env("line-provider");
    env.extend([
        ("RUST_LOG", "info".to_owned()),
        ("LOG_FORMAT", "json".to_owned()),
    ]);
    let (mut lp, stdout, stderr) = Process::start_on_pipes("line-provider", &env);
    drop(stderr);
    let out = read_to_end(stdout);
    lp.wait_ready(&system.http).await;
    let address = lp.address.trim_start_matches("http://").to_owned();

    let head = format!(
        "POST /events HTTP/1.1\r\nHost: lp\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    );
    let stalled = async {
        let mut connection = TcpStream::connect(&address).await.unwrap();
        connection
            .write_all(format!("{head}{{\"id\":").as_bytes())
            .await
            .unwrap();
        answer_and_close(connection).await
    };
    let crawling = async {
        let mut connection = TcpStream::connect(&address).await.unwrap();
        connection.write_all(head.as_bytes()).await.unwrap();
        let (mut read, mut write) = connection.into_split();
        let trickle = tokio::spawn(async move {
            // A byte every half second: never silent, never done.
            while write.write_all(b" ").await.is_ok() {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
        let started = Instant::now();
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(BODY_DEADLINE + SLACK, read.read_to_end(&mut answer)).await;
        trickle.abort();
        (
            String::from_utf8_lossy(&answer).into_owned(),
            started.elapsed(),
        )
    };
    let ((stalled, stalled_after), (crawled, crawled_after)) = tokio::join!(stalled, crawling);
    for (answer, after) in [(&stalled, stalled_after), (&crawled, crawled_after)] {
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("application/problem+json"), "{answer}");
        assert!(
            answer.contains("x-content-type-options: nosniff"),
            "{answer}"
        );
        assert!(
            after < BODY_DEADLINE + SLACK,
            "answered and closed after {after:?}"
        );
    }

    // Garbage: answered 400 by the HTTP layer itself, counted.
    for _ in 0..3 {
        let mut connection = TcpStream::connect(&address).await.unwrap();
        connection
            .write_all(b"NOT HTTP AT ALL\x00\r\n\r\n")
            .await
            .unwrap();
        let (answer, _) = answer_and_close(connection).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    }
    let metrics = system
        .http
        .get(format!("{}/metrics", lp.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("http_malformed_requests_total 3"),
        "{metrics}"
    );

    // HEAD wherever GET is, without a body; nosniff on every answer.
    for path in ["/events", "/health/live", "/openapi.json"] {
        let answer = system
            .http
            .head(format!("{}{path}", lp.address))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "HEAD {path}");
        assert_eq!(answer.headers()["x-content-type-options"], "nosniff");
        assert!(answer.bytes().await.unwrap().is_empty());
    }
    let missing = system
        .http
        .get(format!("{}/nowhere", lp.address))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["x-content-type-options"], "nosniff");

    lp.interrupt();
    assert_eq!(lp.exited(Duration::from_secs(15)).await.code(), Some(0));
    let output = out.join().unwrap();
    assert!(
        output.contains("listening"),
        "the log was read: {output:.2000}"
    );
    let errors: Vec<&str> = output
        .lines()
        .filter(|line| line.contains(r#""level":"ERROR""#))
        .collect();
    assert!(errors.is_empty(), "error lines: {errors:?}");
}

/// Everything the server sends until it closes the connection, and how long that took; a
/// connection still open after the deadline and its slack is cut short.
async fn answer_and_close(mut connection: TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(BODY_DEADLINE + SLACK, connection.read_to_end(&mut answer)).await;
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}
