//! A closed-loop HTTP load generator: `clients` keep-alive HTTP/1.1 connections, each sending
//! its next request as soon as the previous answer has been read in full, with every latency
//! recorded in an HDR histogram (microseconds, 3 significant digits).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// The request a client sends next: method, path and JSON body (empty for a GET).
#[derive(Debug, Clone)]
pub struct Call {
    pub method: &'static str,
    pub path: String,
    pub body: Bytes,
    /// A bearer token to send, for line-provider's operator routes.
    pub token: Option<&'static str>,
}

impl Call {
    pub fn get(path: impl Into<String>) -> Self {
        Self {
            method: "GET",
            path: path.into(),
            body: Bytes::new(),
            token: None,
        }
    }

    pub fn post(path: impl Into<String>, body: String) -> Self {
        Self {
            method: "POST",
            path: path.into(),
            body: Bytes::from(body),
            token: None,
        }
    }

    pub fn put(path: impl Into<String>, body: String) -> Self {
        Self {
            method: "PUT",
            ..Self::post(path, body)
        }
    }

    /// The same call with `Authorization: Bearer <token>`.
    pub fn with_token(self, token: &'static str) -> Self {
        Self {
            token: Some(token),
            ..self
        }
    }
}

/// Makes the request number `n` of client `client`.
pub type MakeCall = Arc<dyn Fn(usize, u64) -> Call + Send + Sync>;

/// One keep-alive connection to `address`.
pub struct Connection {
    address: SocketAddr,
    sender: SendRequest<Full<Bytes>>,
}

impl Connection {
    pub async fn open(address: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(address)
            .await
            .with_context(|| format!("connecting to {address}"))?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(Self { address, sender })
    }

    /// Sends `call` and reads the whole answer: its status and body.
    pub async fn send(&mut self, call: &Call) -> anyhow::Result<(u16, Bytes)> {
        let mut builder = Request::builder()
            .method(call.method)
            .uri(call.path.as_str())
            .header(HOST, self.address.to_string());
        if !call.body.is_empty() {
            builder = builder.header(CONTENT_TYPE, "application/json");
        }
        if let Some(token) = call.token {
            builder = builder.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = builder.body(Full::new(call.body.clone()))?;
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }

    /// Sends `call` and hands each chunk of the body to `chunk` as it arrives; returns the
    /// status, the time to the first byte of the body and the time to the last.
    pub async fn stream(
        &mut self,
        call: &Call,
        mut chunk: impl FnMut(&[u8]),
    ) -> anyhow::Result<(u16, Duration, Duration)> {
        let request = Request::builder()
            .method(call.method)
            .uri(call.path.as_str())
            .header(HOST, self.address.to_string())
            .body(Full::new(call.body.clone()))?;
        let started = Instant::now();
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status().as_u16();
        let mut body = response.into_body();
        let mut first_byte = None;
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame?.into_data()
                && !data.is_empty()
            {
                first_byte.get_or_insert_with(|| started.elapsed());
                chunk(&data);
            }
        }
        Ok((
            status,
            first_byte.unwrap_or_else(|| started.elapsed()),
            started.elapsed(),
        ))
    }
}

/// What a load run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    pub clients: usize,
    pub requests: u64,
    pub seconds: f64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl Measured {
    pub fn from_histogram(clients: usize, histogram: &Histogram<u64>, seconds: f64) -> Self {
        let ms = |quantile: f64| histogram.value_at_quantile(quantile) as f64 / 1000.0;
        Self {
            clients,
            requests: histogram.len(),
            seconds,
            per_second: histogram.len() as f64 / seconds,
            p50_ms: ms(0.5),
            p99_ms: ms(0.99),
            p999_ms: ms(0.999),
            max_ms: histogram.max() as f64 / 1000.0,
        }
    }
}

/// A new latency histogram: 1 µs to 10 min, 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds")
}

/// Load that runs until [`Load::finish`]; only requests sent between [`Load::measure`] and
/// [`Load::finish`] are counted.
pub struct Load {
    clients: usize,
    stop: Arc<AtomicBool>,
    measuring: Arc<AtomicBool>,
    unexpected: Arc<AtomicU64>,
    since: Option<Instant>,
    tasks: Vec<JoinHandle<anyhow::Result<Histogram<u64>>>>,
}

impl Load {
    /// Opens `clients` connections and starts sending; every answer must have status `expect`.
    pub async fn start(
        address: SocketAddr,
        clients: usize,
        expect: u16,
        make: MakeCall,
    ) -> anyhow::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let measuring = Arc::new(AtomicBool::new(false));
        let unexpected = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::with_capacity(clients);
        for client in 0..clients {
            let mut connection = Connection::open(address).await?;
            let (stop, measuring, unexpected, make) = (
                stop.clone(),
                measuring.clone(),
                unexpected.clone(),
                make.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let mut latencies = histogram();
                let mut n = 0_u64;
                while !stop.load(Ordering::Relaxed) {
                    let call = make(client, n);
                    n += 1;
                    let counted = measuring.load(Ordering::Relaxed);
                    let started = Instant::now();
                    let (status, body) = connection.send(&call).await?;
                    let took = started.elapsed();
                    if status != expect {
                        if unexpected.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!(
                                "bench: {} {} answered {status}, not {expect}: {}",
                                call.method,
                                call.path,
                                String::from_utf8_lossy(&body)
                            );
                        }
                        continue;
                    }
                    if counted && measuring.load(Ordering::Relaxed) {
                        latencies.saturating_record(took.as_micros() as u64);
                    }
                }
                Ok(latencies)
            }));
        }
        Ok(Self {
            clients,
            stop,
            measuring,
            unexpected,
            since: None,
            tasks,
        })
    }

    /// Counts requests from now on.
    pub fn measure(&mut self) {
        self.since = Some(Instant::now());
        self.measuring.store(true, Ordering::Relaxed);
    }

    /// Stops counting and sending; what was counted. Fails if any answer was unexpected.
    pub async fn finish(self) -> anyhow::Result<Measured> {
        self.measuring.store(false, Ordering::Relaxed);
        let seconds = self
            .since
            .map_or(0.0, |since| since.elapsed().as_secs_f64());
        self.stop.store(true, Ordering::Relaxed);
        let mut merged = histogram();
        for task in self.tasks {
            merged.add(task.await??)?;
        }
        let unexpected = self.unexpected.load(Ordering::Relaxed);
        if unexpected > 0 {
            bail!("{unexpected} answers had an unexpected status");
        }
        Ok(Measured::from_histogram(self.clients, &merged, seconds))
    }
}

/// Loads for `warmup` uncounted, then `duration` counted.
pub async fn run(
    address: SocketAddr,
    clients: usize,
    expect: u16,
    warmup: Duration,
    duration: Duration,
    make: MakeCall,
) -> anyhow::Result<Measured> {
    let mut load = Load::start(address, clients, expect, make).await?;
    tokio::time::sleep(warmup).await;
    load.measure();
    tokio::time::sleep(duration).await;
    load.finish().await
}
