//! The closed-loop load generator: `clients` tasks, each sending one request
//! at a time (the next as soon as the answer is in), over a keep-alive
//! connection of its own or a new connection per request, until `requests`
//! have been sent or `time_bound` has passed. Latency goes to an HDR histogram
//! (µs, 3 significant digits).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

/// How a client reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Connection {
    /// One connection per client, reused.
    KeepAlive,
    /// A new connection for every request.
    PerRequest,
}

/// What to send, and how much.
#[derive(Clone)]
pub struct Load {
    pub addr: SocketAddr,
    pub body: Bytes,
    pub clients: usize,
    pub requests: u64,
    pub time_bound: Duration,
    pub connection: Connection,
}

/// What came back.
pub struct Outcome {
    pub completed: u64,
    pub elapsed: Duration,
    pub latency_us: Histogram<u64>,
    /// By HTTP status (other than 200) or transport error.
    pub errors: BTreeMap<String, u64>,
}

pub async fn run(load: Load) -> Outcome {
    let issued = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + load.time_bound;
    let tasks: Vec<_> = (0..load.clients)
        .map(|_| tokio::spawn(client(load.clone(), Arc::clone(&issued), deadline)))
        .collect();
    let mut outcome = Outcome {
        completed: 0,
        elapsed: Duration::ZERO,
        latency_us: new_histogram(),
        errors: BTreeMap::new(),
    };
    for task in tasks {
        let (histogram, errors) = task.await.expect("a load client panicked");
        outcome.completed += histogram.len();
        outcome
            .latency_us
            .add(&histogram)
            .expect("same histogram bounds");
        for (k, v) in errors {
            *outcome.errors.entry(k).or_default() += v;
        }
    }
    outcome.elapsed = started.elapsed();
    outcome
}

fn new_histogram() -> Histogram<u64> {
    // 1 µs to 100 s.
    Histogram::new_with_bounds(1, 100_000_000, 3).expect("valid histogram bounds")
}

async fn client(
    load: Load,
    issued: Arc<AtomicU64>,
    deadline: Instant,
) -> (Histogram<u64>, BTreeMap<String, u64>) {
    let mut histogram = new_histogram();
    let mut errors = BTreeMap::new();
    let mut sender: Option<SendRequest<Full<Bytes>>> = None;
    while issued.fetch_add(1, Ordering::Relaxed) < load.requests && Instant::now() < deadline {
        let started = Instant::now();
        if load.connection == Connection::PerRequest {
            sender = None;
        }
        let result = send(&load, &mut sender).await;
        let _ = histogram.record(started.elapsed().as_micros().max(1) as u64);
        match result {
            Ok(200) => {}
            Ok(status) => *errors.entry(format!("HTTP {status}")).or_default() += 1,
            Err(e) => {
                sender = None;
                *errors.entry(e).or_default() += 1;
            }
        }
    }
    (histogram, errors)
}

async fn send(load: &Load, sender: &mut Option<SendRequest<Full<Bytes>>>) -> Result<u16, String> {
    if sender.as_ref().is_none_or(|s| s.is_closed()) {
        let stream = tokio::net::TcpStream::connect(load.addr)
            .await
            .map_err(|e| format!("connect: {}", e.kind()))?;
        let _ = stream.set_nodelay(true);
        let (s, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        tokio::spawn(conn);
        *sender = Some(s);
    }
    let s = sender.as_mut().expect("connected above");
    s.ready().await.map_err(|e| format!("connection: {e}"))?;
    let request = hyper::Request::post("/oauth/token")
        .header(hyper::header::HOST, load.addr.to_string())
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(Full::new(load.body.clone()))
        .expect("a valid request");
    let response = s
        .send_request(request)
        .await
        .map_err(|e| format!("request: {e}"))?;
    let status = response.status().as_u16();
    response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("body: {e}"))?;
    Ok(status)
}
