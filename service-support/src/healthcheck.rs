//! The `healthcheck` subcommand: asks the running service on this host whether it is ready,
//! for container healthchecks in images that have no curl.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(2);

/// Runs the check against the address and port the service's settings name (`settings` reads
/// them from the environment, as the service does); exit code 0 when ready, 1 otherwise.
pub fn run<E: std::fmt::Display>(settings: impl FnOnce() -> Result<(IpAddr, u16), E>) -> ExitCode {
    let outcome = settings()
        .map_err(|e| e.to_string())
        .and_then(|(bind, port)| check(local_address(bind, port)));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            // The container runtime shows this line next to the failed check.
            #[allow(clippy::print_stderr)]
            {
                eprintln!("not ready: {reason}");
            }
            ExitCode::FAILURE
        }
    }
}

/// Where the service can be reached from this host.
pub fn local_address(bind: IpAddr, port: u16) -> SocketAddr {
    let host = if bind.is_unspecified() {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        bind
    };
    SocketAddr::new(host, port)
}

/// `GET /health/ready` over plain HTTP/1.0; `Ok` only for a 200.
pub fn check(address: SocketAddr) -> Result<(), String> {
    let mut stream =
        TcpStream::connect_timeout(&address, TIMEOUT).map_err(|e| format!("{address}: {e}"))?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .map_err(|e| e.to_string())?;
    stream
        .set_write_timeout(Some(TIMEOUT))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(b"GET /health/ready HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    stream
        .take(64 * 1024)
        .read_to_end(&mut response)
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&response);
    let status_line = text.lines().next().unwrap_or_default();
    if status_line.split_whitespace().nth(1) == Some("200") {
        return Ok(());
    }
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    Err(format!("{status_line} {body}").trim().to_owned())
}
