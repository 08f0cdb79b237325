//! The public listener's connection limits, applied through the dropshot
//! patch's [`ConnectionPolicy`] hook (see `vendor/README.md`).
//!
//! - At most `max_connections` connections are open; one more is closed as
//!   soon as it is accepted.
//! - A connection with no request in progress is closed after `idle_timeout`:
//!   one that never sent a byte, an HTTP/1.1 connection between requests, an
//!   HTTP/2 connection with no open stream.
//! - From a request's first byte, its headers must arrive within
//!   `request_timeout` or the connection is closed; its body must arrive by the
//!   same deadline, which the request carries as an [`ias_api::BodyDeadline`]
//!   (the body reader answers `400 request/0` when it passes).
//! - Every response gets `Cache-Control: no-store` and `Pragma: no-cache`
//!   (RFC 6749 §5.1: responses carrying tokens must not be cached; no answer of
//!   this API is worth caching).
//!
//! Each connection has a supervising future (`supervise`) that dropshot races
//! against serving it; it ends — and so closes the connection — when a
//! deadline passes. It wakes once per the shorter of the two timeouts, never
//! per request, so a request costs a few uncontended lock operations here.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use dropshot::{Body, ConnectionPolicy, OnRequest, PolicedConnection, RequestObserver};
use http::header::{HeaderValue, CACHE_CONTROL, PRAGMA};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// The limits, and what the server's connections are doing now.
pub struct Connections {
    idle_timeout: Duration,
    request_timeout: Duration,
    max_connections: usize,
    /// Shared with each connection's stream, which gives its place back when closed.
    open: Arc<AtomicUsize>,
    refused: AtomicU64,
    /// When a refusal was last logged, in seconds since `started`.
    refusal_logged: AtomicU64,
    started: Instant,
    log: slog::Logger,
}

impl Connections {
    /// Limits for a server; `log` gets a line (at most one a second) when
    /// connections are refused.
    pub fn new(
        idle_timeout: Duration,
        request_timeout: Duration,
        max_connections: usize,
        log: slog::Logger,
    ) -> Arc<Self> {
        Arc::new(Connections {
            idle_timeout,
            request_timeout,
            max_connections,
            open: Arc::new(AtomicUsize::new(0)),
            refused: AtomicU64::new(0),
            refusal_logged: AtomicU64::new(0),
            started: Instant::now(),
            log,
        })
    }

    /// Client connections open now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Connections closed at once because `max_connections` were open.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    fn refuse(&self, remote_addr: SocketAddr) {
        let total = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
        let now = self.started.elapsed().as_secs() + 1;
        let last = self.refusal_logged.load(Ordering::Relaxed);
        if now > last
            && self
                .refusal_logged
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            slog::warn!(self.log, "connection refused: the server is at its connection limit";
                "remote_addr" => %remote_addr,
                "max_connections" => self.max_connections,
                "refused_total" => total,
                "hint" => "raise IAS_MAX_CONNECTIONS (and the open-file limit) or add instances");
        }
    }
}

impl ConnectionPolicy for Connections {
    fn accept(&self, stream: TcpStream, remote_addr: SocketAddr) -> Option<PolicedConnection> {
        if self.open.fetch_add(1, Ordering::Relaxed) >= self.max_connections {
            self.open.fetch_sub(1, Ordering::Relaxed);
            self.refuse(remote_addr);
            return None; // dropping the stream closes it
        }
        let conn = Arc::new(Conn {
            idle_timeout: self.idle_timeout,
            request_timeout: self.request_timeout,
            state: Mutex::new(ConnState {
                active: 0,
                idle_since: Instant::now(),
                receiving_since: None,
                protocol: Protocol::Unknown,
            }),
        });
        let on_request: OnRequest = {
            let conn = Arc::clone(&conn);
            Arc::new(move |request| conn.request_started(request))
        };
        Some(PolicedConnection {
            io: Box::new(WatchedIo {
                stream,
                conn: Arc::clone(&conn),
                open: Arc::clone(&self.open),
            }),
            on_request,
            closed: Box::pin(supervise(conn)),
        })
    }
}

/// What the connection's bytes say it speaks, from its first two bytes
/// (`PR`, of the HTTP/2 preface `PRI * HTTP/2.0`, or anything else).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Unknown,
    /// One byte seen, and it was `P`.
    FirstP,
    Http1,
    Http2,
}

struct ConnState {
    /// Requests whose response is not ready yet.
    active: u32,
    /// Since when no request has been in progress.
    idle_since: Instant,
    /// HTTP/1: the first byte of a request whose headers are not complete.
    receiving_since: Option<Instant>,
    protocol: Protocol,
}

/// One connection.
struct Conn {
    idle_timeout: Duration,
    request_timeout: Duration,
    state: Mutex<ConnState>,
}

impl Conn {
    fn state(&self) -> std::sync::MutexGuard<'_, ConnState> {
        // The state stays consistent whatever panicked while holding it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bytes arrived from the client.
    fn on_bytes(&self, bytes: &[u8]) {
        let mut s = self.state();
        s.protocol = match (s.protocol, bytes) {
            (Protocol::Unknown, [b'P']) => Protocol::FirstP,
            (Protocol::Unknown, [b'P', b'R', ..]) | (Protocol::FirstP, [b'R', ..]) => {
                Protocol::Http2
            }
            (Protocol::Unknown | Protocol::FirstP, _) => Protocol::Http1,
            (known, _) => known,
        };
        // HTTP/2 frames between streams (pings, settings) start no request.
        if s.protocol != Protocol::Http2 && s.active == 0 && s.receiving_since.is_none() {
            s.receiving_since = Some(Instant::now());
        }
    }

    /// A request's headers are complete: the request is in progress until its
    /// response is ready. Its body is due by the request's deadline.
    fn request_started(
        self: &Arc<Self>,
        request: &mut http::Request<hyper::body::Incoming>,
    ) -> Box<dyn RequestObserver> {
        let started = {
            let mut s = self.state();
            s.active += 1;
            s.receiving_since.take()
        }
        .unwrap_or_else(Instant::now);
        request.extensions_mut().insert(ias_api::BodyDeadline {
            at: started + self.request_timeout,
            timeout: self.request_timeout,
            setting: "IAS_REQUEST_TIMEOUT",
        });
        Box::new(InProgress(Arc::clone(self)))
    }

    /// When the connection must be closed if nothing changes: its headers
    /// are late, or it has been idle too long. None while a request is in
    /// progress (its body deadline is the body reader's).
    fn deadline(&self) -> Option<Instant> {
        let s = self.state();
        if s.active > 0 {
            None
        } else if let Some(first_byte) = s.receiving_since {
            Some(first_byte + self.request_timeout)
        } else {
            Some(s.idle_since + self.idle_timeout)
        }
    }
}

/// A request in progress on a connection.
struct InProgress(Arc<Conn>);

impl RequestObserver for InProgress {
    fn respond(self: Box<Self>, response: &mut http::Response<Body>) {
        let headers = response.headers_mut();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    }
}

/// Answered or cancelled: the connection is idle again once no other request
/// is in progress.
impl Drop for InProgress {
    fn drop(&mut self) {
        let mut s = self.0.state();
        s.active -= 1;
        if s.active == 0 {
            s.idle_since = Instant::now();
        }
    }
}

/// Ends when the connection must be closed (dropshot then drops it).
async fn supervise(conn: Arc<Conn>) {
    loop {
        let now = Instant::now();
        let deadline = conn.deadline();
        if deadline.is_some_and(|at| at <= now) {
            return;
        }
        // A request may start, or the one in progress end, at any moment;
        // either gives a deadline no earlier than `now` plus the shorter
        // timeout: look again by then.
        let wake = now + conn.request_timeout.min(conn.idle_timeout);
        tokio::time::sleep_until(deadline.map_or(wake, |at| at.min(wake))).await;
    }
}

/// The accepted stream, telling its connection when bytes arrive.
struct WatchedIo {
    stream: TcpStream,
    conn: Arc<Conn>,
    open: Arc<AtomicUsize>,
}

/// The stream is closed: its place is free.
impl Drop for WatchedIo {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl AsyncRead for WatchedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let new = &buf.filled()[before..];
            if !new.is_empty() {
                self.conn.on_bytes(new);
            }
        }
        polled
    }
}

impl AsyncWrite for WatchedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
