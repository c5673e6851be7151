//! How long a broker operation may take before the broker counts as lost.

use std::time::Duration;

/// How long connecting, and any one broker operation run through [`bounded`], may take before
/// the broker counts as lost (a stalled broker would otherwise hold the service until
/// heartbeats notice, minutes later).
pub const BROKER_TIMEOUT: Duration = Duration::from_secs(10);

/// A broker operation that gives up after [`BROKER_TIMEOUT`], as an I/O time-out.
pub async fn bounded<T>(operation: impl Future<Output = lapin::Result<T>>) -> lapin::Result<T> {
    match tokio::time::timeout(BROKER_TIMEOUT, operation).await {
        Ok(result) => result,
        Err(_) => Err(lapin::ErrorKind::IOError(
            std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("the broker did not answer within {BROKER_TIMEOUT:?}"),
            )
            .into(),
        )
        .into()),
    }
}
