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
//! - An incoming `X-Request-Id` of 1 to 128 visible ASCII characters becomes
//!   the request's id (logged, and echoed by dropshot) when the server trusts
//!   the gateway in front of it (`IAS_TRUST_REQUEST_ID`); otherwise the server
//!   uses its own id and logs the client's beside it.
//! - Only a request's canonical path reaches the router: one that normalises
//!   to a route but is not it (`//oauth//token/`, `/oauth/%74oken`, `./..`
//!   segments) is routed to no path, so it gets dropshot's 404 and counts as
//!   the route `other` (a gateway or WAF matching the literal path cannot be
//!   bypassed). Future operations get the same rule. So with methods (RFC
//!   9110 §9.1: case-sensitive): `post` or `Post` is not `POST`, whose route
//!   dropshot would find by upper-casing it, so it gets dropshot's 405; and
//!   with absolute-form targets (RFC 9112 §3.2.2): only `http`/`https` with a
//!   valid port reach the router (`ftp://x/oauth/token` gets 404); nor does
//!   an HTTP/1.1 request-target with a `#fragment`, which the `http` crate
//!   drops silently (found in the request line's bytes; not for HTTP/2's
//!   HPACK-encoded `:path`, nor a pipelined request).
//! - When given [`Observe`], each request is counted in the metrics
//!   (`http_server_active_requests`, `http_server_request_duration_seconds`).
//!
//! - hyper's own limits are set deliberately ([`Connections::configure_hyper`]):
//!   an HTTP/1.1 request head larger than [`HTTP1_MAX_HEAD_BYTES`] gets `431`
//!   and a close; HTTP/2 allows [`H2_MAX_CONCURRENT_STREAMS`] streams of at most
//!   [`H2_MAX_HEADER_LIST_BYTES`] of headers each, with small flow-control
//!   windows (bodies are at most 8 KiB); hyper's own 30 s header-read timeout
//!   is off, so `idle_timeout` and `request_timeout` alone apply.
//!
//! Each connection has a supervising future (`supervise`) that dropshot races
//! against serving it; it ends — and so closes the connection — when a
//! deadline passes. It wakes once per the shorter of the two timeouts, never
//! per request, so a request costs a few uncontended lock operations here.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use dropshot::{Body, ConnectionPolicy, OnRequest, PolicedConnection, RequestId, RequestObserver};
use http::header::{HeaderValue, CACHE_CONTROL, CONNECTION, PRAGMA};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::metrics::{self, Metrics};

/// The read buffer of an HTTP/1.1 connection, and so the largest request
/// head (hyper answers `431` past it); hyper's smallest allowed value is 8 KiB.
/// A request's head is a few hundred bytes.
pub const HTTP1_MAX_HEAD_BYTES: usize = 16 * 1024;
/// Header fields of an HTTP/1.1 request, at most (hyper answers `431`).
pub const HTTP1_MAX_HEADERS: usize = 64;
/// Streams open at once on an HTTP/2 connection (more are refused with
/// `REFUSED_STREAM`, which clients retry on another connection).
pub const H2_MAX_CONCURRENT_STREAMS: u32 = 4;
/// The decoded header list of one HTTP/2 request, at most.
pub const H2_MAX_HEADER_LIST_BYTES: u32 = 16 * 1024;
/// How much request body an HTTP/2 stream may send ahead of the server
/// reading it (bodies are at most 8 KiB). A connection's window is h2's
/// default, 65,535 bytes; the send buffer per stream is only ever as large as
/// an answer (well under 1 KiB).
pub const H2_STREAM_WINDOW_BYTES: u32 = 16 * 1024;

/// Where requests are counted: the metrics, and the API's routes (the
/// generated `ias_api::ROUTES`; any other path is the route `other`).
pub struct Observe {
    pub metrics: Arc<Metrics>,
    pub routes: &'static [ias_api::Route],
}

/// The route a request is counted under: one whose path template matches
/// `path` (a `{name}` matches one non-empty segment), the one of `method`
/// if there is one.
fn route_of(routes: &[ias_api::Route], method: &str, path: &str) -> Option<usize> {
    let matches = |template: &str| {
        let (mut t, mut p) = (template.split('/'), path.split('/'));
        loop {
            match (t.next(), p.next()) {
                (None, None) => return true,
                (Some(t), Some(p)) if t.starts_with('{') && t.ends_with('}') && !p.is_empty() => {}
                (Some(t), Some(p)) if t == p => {}
                _ => return false,
            }
        }
    };
    let mut found = None;
    for (i, route) in routes.iter().enumerate() {
        if matches(route.path) {
            if route.method == method {
                return Some(i);
            }
            found.get_or_insert(i);
        }
    }
    found
}

/// Open connections per peer address.
type Peers = Mutex<HashMap<IpAddr, usize>>;

/// Which listener a policy guards: its refusals say what to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    /// The public API (`IAS_BIND_ADDRESS`).
    Public,
    /// The admin listener (`IAS_ADMIN_ADDRESS`): probes and metrics.
    Admin,
}

/// The limits of one listener.
#[derive(Debug, Clone)]
pub struct Limits {
    pub listener: Listener,
    /// A connection with no request in progress is closed after this.
    pub idle_timeout: Duration,
    /// A request's head (and body) must arrive within this of its first byte.
    pub request_timeout: Duration,
    /// Open connections, at most.
    pub max_connections: usize,
    /// Open connections from one peer address, at most (None: no such cap).
    pub max_per_peer: Option<usize>,
    /// Whether a sane `X-Request-Id` becomes the request's id.
    pub trust_request_id: bool,
    /// At the cap, a new connection closes the oldest one that has not sent
    /// a byte yet rather than being refused: for a listener whose clients
    /// send at once (probes), so sockets that send nothing cannot starve
    /// them. Connections closing so are at most `max_connections` at a time,
    /// so the listener holds at most twice its cap of sockets, for an instant.
    pub evict_silent: bool,
}

/// The limits, and what the server's connections are doing now.
pub struct Connections {
    limits: Limits,
    /// Shared with each connection's stream, which gives its place back when closed.
    open: Arc<AtomicUsize>,
    /// Open connections per peer address (when `max_per_peer` is set).
    peers: Arc<Peers>,
    refused: AtomicU64,
    evicted: AtomicU64,
    /// When a refusal or eviction was last logged, in seconds since `started`.
    refusal_logged: AtomicU64,
    started: Instant,
    log: slog::Logger,
    observe: Option<Arc<Observe>>,
    /// Connections in the order they were accepted, for eviction (when
    /// `evict_silent`); entries that closed or have spoken are skipped.
    silent: Mutex<VecDeque<Weak<Conn>>>,
    /// Evicted connections not closed yet (shared with their streams).
    evicting: Arc<AtomicUsize>,
    /// Every connection, for [`Connections::drain`] (closed ones are
    /// forgotten when the list grows past twice the cap).
    all: Mutex<Vec<Weak<Conn>>>,
    /// Set by [`Connections::drain`]; shared with each connection.
    draining: Arc<AtomicBool>,
}

/// Why a connection was closed as soon as it was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// `max_connections` were open.
    Full,
    /// `max_per_peer` were open from its address.
    PeerFull,
}

impl Connections {
    /// A policy for one listener; `log` gets a line (at most one a second)
    /// when connections are refused.
    pub fn new(limits: Limits, log: slog::Logger, observe: Option<Observe>) -> Arc<Self> {
        Arc::new(Connections {
            limits,
            open: Arc::new(AtomicUsize::new(0)),
            peers: Arc::new(Mutex::new(HashMap::new())),
            refused: AtomicU64::new(0),
            evicted: AtomicU64::new(0),
            refusal_logged: AtomicU64::new(0),
            started: Instant::now(),
            log,
            observe: observe.map(Arc::new),
            silent: Mutex::new(VecDeque::new()),
            evicting: Arc::new(AtomicUsize::new(0)),
            all: Mutex::new(Vec::new()),
            draining: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The server is stopping (the listener closes later): from now on no
    /// connection is kept alive. Each that has spoken starts its graceful
    /// shutdown now (an idle HTTP/1.1 connection is closed, a busy one
    /// after its response, with `Connection: close`; HTTP/2 gets GOAWAY);
    /// one that has not spoken yet is answered once with `Connection: close`
    /// (HTTP/1.1), or gets GOAWAY as its first request starts (HTTP/2). So
    /// when the listener closes, no idle kept-alive connection is left for a
    /// client to send a request on.
    pub fn drain(&self) {
        self.draining.store(true, Ordering::Relaxed);
        let all = self.all.lock().unwrap_or_else(|e| e.into_inner());
        let conns: Vec<Arc<Conn>> = all.iter().filter_map(Weak::upgrade).collect();
        drop(all);
        for conn in conns {
            if conn.state().protocol != Protocol::Unknown {
                conn.drain.notify_one();
            }
        }
    }

    /// Client connections open now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    fn refuse(&self, remote_addr: SocketAddr, why: Refusal) {
        let total = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(observe) = &self.observe {
            observe.metrics.connection_refused(why == Refusal::PeerFull);
        }
        self.log_at_most_once_a_second(|| {
            let l = &self.limits;
            let (message, cap, hint) = match (l.listener, why) {
                (Listener::Public, Refusal::Full) => (
                    "connection refused: the server is at its connection limit",
                    l.max_connections,
                    "raise IAS_MAX_CONNECTIONS (and the open-file limit) or add instances",
                ),
                (Listener::Public, Refusal::PeerFull) => (
                    "connection refused: this client address is at its connection limit",
                    l.max_per_peer.unwrap_or_default(),
                    "one address holds IAS_MAX_CONNECTIONS_PER_CLIENT connections; behind a load balancer, turn the cap off",
                ),
                (Listener::Admin, _) => (
                    "admin connection refused: the admin listener is at its connection limit",
                    l.max_connections,
                    "something holds many idle connections to IAS_ADMIN_ADDRESS; they close after the admin idle timeout. Keep the admin port off the public network",
                ),
            };
            slog::warn!(self.log, "{message}";
                "remote_addr" => %remote_addr,
                "max_connections" => cap,
                "refused_total" => total,
                "hint" => hint);
        });
    }

    /// Runs `log` unless a refusal or eviction was logged this second.
    fn log_at_most_once_a_second(&self, log: impl FnOnce()) {
        let now = self.started.elapsed().as_secs() + 1;
        let last = self.refusal_logged.load(Ordering::Relaxed);
        if now > last
            && self
                .refusal_logged
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            log();
        }
    }

    /// Takes a place for a connection from `peer`, or says why not.
    fn admit(&self, peer: IpAddr) -> Result<(), Refusal> {
        if self.open.fetch_add(1, Ordering::Relaxed) >= self.limits.max_connections
            && !(self.limits.evict_silent && self.evict_oldest_silent())
        {
            self.open.fetch_sub(1, Ordering::Relaxed);
            return Err(Refusal::Full);
        }
        if let Some(cap) = self.limits.max_per_peer {
            let mut peers = self.peers.lock().unwrap_or_else(|e| e.into_inner());
            let n = peers.entry(peer).or_insert(0);
            if *n >= cap {
                drop(peers);
                self.open.fetch_sub(1, Ordering::Relaxed);
                return Err(Refusal::PeerFull);
            }
            *n += 1;
        }
        Ok(())
    }
}

impl Connections {
    /// Closes the oldest connection that has not sent a byte, so that a new
    /// one can take its place; whether there was one (and room for one more
    /// eviction in flight).
    fn evict_oldest_silent(&self) -> bool {
        if self.evicting.load(Ordering::Relaxed) >= self.limits.max_connections {
            return false;
        }
        let mut silent = self.silent.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(conn) = silent.pop_front() {
            let Some(conn) = conn.upgrade() else { continue };
            if conn.state().protocol == Protocol::Unknown
                && !conn.has_bytes_waiting()
                && !conn.evicted.swap(true, Ordering::Relaxed)
            {
                self.evicting.fetch_add(1, Ordering::Relaxed);
                conn.evict.notify_one();
                drop(silent);
                let total = self.evicted.fetch_add(1, Ordering::Relaxed) + 1;
                self.log_at_most_once_a_second(|| {
                    let hint = match self.limits.listener {
                        Listener::Admin => "something holds connections to IAS_ADMIN_ADDRESS that send nothing; keep the admin port off the public network",
                        Listener::Public => "something holds connections that send nothing",
                    };
                    slog::warn!(self.log, "connection closed to make room: the listener is at its connection limit, and the oldest connection had sent nothing";
                        "max_connections" => self.limits.max_connections,
                        "evicted_total" => total,
                        "hint" => hint);
                });
                return true;
            }
        }
        false
    }

    /// Remembers a new connection, for eviction; forgets closed and spoken
    /// ones when the list grows past twice the cap.
    fn remember(&self, conn: &Arc<Conn>) {
        let mut silent = self.silent.lock().unwrap_or_else(|e| e.into_inner());
        if silent.len() >= 2 * self.limits.max_connections {
            silent.retain(|c| {
                c.upgrade()
                    .is_some_and(|c| c.state().protocol == Protocol::Unknown)
            });
        }
        silent.push_back(Arc::downgrade(conn));
    }
}

impl ConnectionPolicy for Connections {
    /// The limits in this module's docs. Memory per connection is then
    /// bounded by the HTTP/1.1 head buffer, or by the HTTP/2 streams times
    /// their header list and window.
    fn configure_hyper(
        &self,
        builder: &mut hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>,
    ) {
        builder
            .http1()
            // Ours bound heads (request_timeout) and keep-alive (idle_timeout).
            .header_read_timeout(None)
            .max_buf_size(HTTP1_MAX_HEAD_BYTES)
            .max_headers(HTTP1_MAX_HEADERS);
        builder
            .http2()
            .max_concurrent_streams(H2_MAX_CONCURRENT_STREAMS)
            .max_header_list_size(H2_MAX_HEADER_LIST_BYTES)
            .initial_stream_window_size(H2_STREAM_WINDOW_BYTES);
    }

    fn accept(&self, stream: TcpStream, remote_addr: SocketAddr) -> Option<PolicedConnection> {
        if let Err(why) = self.admit(remote_addr.ip()) {
            self.refuse(remote_addr, why);
            return None; // dropping the stream closes it
        }
        let conn = Arc::new(Conn {
            observe: self.observe.clone(),
            idle_timeout: self.limits.idle_timeout,
            request_timeout: self.limits.request_timeout,
            trust_request_id: self.limits.trust_request_id,
            log: self.log.clone(),
            draining: Arc::clone(&self.draining),
            drain: tokio::sync::Notify::new(),
            evict: tokio::sync::Notify::new(),
            evicted: AtomicBool::new(false),
            fd: Mutex::new(
                self.limits
                    .evict_silent
                    .then(|| std::os::fd::AsRawFd::as_raw_fd(&stream)),
            ),
            state: Mutex::new(ConnState {
                active: 0,
                idle_since: Instant::now(),
                receiving_since: None,
                protocol: Protocol::Unknown,
                h2: H2Frames::new(),
                in_request_line: false,
                fragment: false,
            }),
        });
        if self.limits.evict_silent {
            self.remember(&conn);
        }
        {
            let mut all = self.all.lock().unwrap_or_else(|e| e.into_inner());
            if all.len() >= 2 * self.limits.max_connections {
                all.retain(|c| c.strong_count() > 0);
            }
            all.push(Arc::downgrade(&conn));
        }
        let on_request: OnRequest = {
            let conn = Arc::clone(&conn);
            Arc::new(move |request| conn.request_started(request))
        };
        Some(PolicedConnection {
            io: Box::new(WatchedIo {
                stream,
                conn: Arc::clone(&conn),
                open: Arc::clone(&self.open),
                evicting: Arc::clone(&self.evicting),
                peer: self
                    .limits
                    .max_per_peer
                    .map(|_| (Arc::clone(&self.peers), remote_addr.ip())),
            }),
            on_request,
            drain: {
                let conn = Arc::clone(&conn);
                Box::pin(async move { conn.drain.notified().await })
            },
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
    /// The first byte of a request head (HTTP/1), or of an HTTP/2 frame or
    /// header block, that is not complete yet.
    receiving_since: Option<Instant>,
    protocol: Protocol,
    /// HTTP/2: where the client is in its frames.
    h2: H2Frames,
    /// HTTP/1.1: the bytes read are a request line (up to its `\n`).
    in_request_line: bool,
    /// HTTP/1.1: the request line being read has a `#`.
    fragment: bool,
}

/// Just enough of HTTP/2's framing (RFC 9113 §4.1) to know whether the
/// client is in the middle of a frame, or of a header block (a HEADERS frame
/// and its CONTINUATIONs, up to END_HEADERS).
struct H2Frames {
    /// Bytes still to pass over: the connection preface, or a frame's payload.
    skip: usize,
    /// The frame header read so far.
    header: [u8; 9],
    have: usize,
    /// A header block has started and its END_HEADERS frame has not ended.
    in_header_block: bool,
    /// The frame whose payload is being passed over ends the header block.
    ends_header_block: bool,
}

impl H2Frames {
    const HEADERS: u8 = 0x1;
    const CONTINUATION: u8 = 0x9;
    const END_HEADERS: u8 = 0x4;

    fn new() -> Self {
        H2Frames {
            skip: 24, // "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
            header: [0; 9],
            have: 0,
            in_header_block: false,
            ends_header_block: false,
        }
    }

    /// Reads `bytes`; returns whether a frame or a header block is
    /// incomplete after them.
    fn feed(&mut self, mut bytes: &[u8]) -> bool {
        while !bytes.is_empty() {
            if self.skip > 0 {
                let n = self.skip.min(bytes.len());
                self.skip -= n;
                bytes = &bytes[n..];
                if self.skip == 0 {
                    self.end_of_frame();
                }
                continue;
            }
            let n = (9 - self.have).min(bytes.len());
            self.header[self.have..self.have + n].copy_from_slice(&bytes[..n]);
            self.have += n;
            bytes = &bytes[n..];
            if self.have == 9 {
                self.have = 0;
                let [l0, l1, l2, kind, flags, ..] = self.header;
                let length = u32::from_be_bytes([0, l0, l1, l2]) as usize;
                if matches!(kind, Self::HEADERS | Self::CONTINUATION) {
                    self.in_header_block = true;
                    self.ends_header_block = flags & Self::END_HEADERS != 0;
                } else {
                    self.ends_header_block = false;
                }
                self.skip = length;
                if length == 0 {
                    self.end_of_frame();
                }
            }
        }
        self.skip > 0 || self.have > 0 || self.in_header_block
    }

    fn end_of_frame(&mut self) {
        if self.ends_header_block {
            self.in_header_block = false;
            self.ends_header_block = false;
        }
    }
}

/// One connection.
struct Conn {
    observe: Option<Arc<Observe>>,
    idle_timeout: Duration,
    request_timeout: Duration,
    trust_request_id: bool,
    log: slog::Logger,
    /// The listener's [`Connections::drain`] flag.
    draining: Arc<AtomicBool>,
    /// Starts the connection's graceful shutdown (dropshot's `drain`).
    drain: tokio::sync::Notify,
    /// Wakes `supervise` to close the connection (an eviction).
    evict: tokio::sync::Notify,
    /// Whether it was chosen for eviction.
    evicted: AtomicBool,
    /// Its socket while the stream is open (kept when `evict_silent`, so
    /// that a connection whose request has arrived but not been read yet is
    /// not taken for silent).
    fd: Mutex<Option<std::os::fd::RawFd>>,
    state: Mutex<ConnState>,
}

impl Conn {
    fn state(&self) -> std::sync::MutexGuard<'_, ConnState> {
        // The state stays consistent whatever panicked while holding it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the client has sent bytes the server has not read yet (a
    /// peek at the socket): a busy server may read a probe's request only
    /// after the next connections arrive.
    fn has_bytes_waiting(&self) -> bool {
        let fd = self.fd.lock().unwrap_or_else(|e| e.into_inner());
        let Some(raw) = *fd else { return false };
        // SAFETY: `fd` is `Some` only while the connection's stream is open:
        // `WatchedIo::drop` sets it to `None`, under this lock, before the
        // stream's socket is closed; the lock is held for the whole peek, so
        // the descriptor cannot be closed (or reused) meanwhile.
        let socket = unsafe { std::os::fd::BorrowedFd::borrow_raw(raw) };
        let flags = rustix::net::RecvFlags::PEEK | rustix::net::RecvFlags::DONTWAIT;
        matches!(rustix::net::recv(socket, &mut [0u8; 1], flags), Ok((_, n)) if n > 0)
    }

    /// Bytes arrived from the client.
    fn on_bytes(&self, bytes: &[u8]) {
        let mut s = self.state();
        let before = s.protocol;
        s.protocol = match (before, bytes) {
            (Protocol::Unknown, [b'P']) => Protocol::FirstP,
            (Protocol::Unknown, [b'P', b'R', ..]) | (Protocol::FirstP, [b'R', ..]) => {
                Protocol::Http2
            }
            (Protocol::Unknown | Protocol::FirstP, _) => Protocol::Http1,
            (known, _) => known,
        };
        if s.protocol == Protocol::Http2 {
            if before == Protocol::FirstP {
                s.h2.skip -= 1; // the preface's `P` came alone
            }
            // Frames between streams (pings, settings) start no request, but
            // a frame or header block that does not complete is held to the
            // request timeout like an HTTP/1.1 head.
            let receiving = s.h2.feed(bytes);
            match (receiving, s.receiving_since) {
                (true, None) if s.active == 0 => s.receiving_since = Some(Instant::now()),
                (false, Some(_)) => s.receiving_since = None,
                _ => {}
            }
        } else {
            if s.active == 0 && s.receiving_since.is_none() {
                s.receiving_since = Some(Instant::now());
                s.in_request_line = true; // a request begins with its line
            }
            if s.in_request_line {
                // The http crate drops a `#fragment` from the request-target
                // without a word; the bytes still show it.
                let line = match bytes.iter().position(|b| *b == b'\n') {
                    Some(end) => {
                        s.in_request_line = false;
                        &bytes[..end]
                    }
                    None => bytes,
                };
                s.fragment |= line.contains(&b'#');
            }
        }
    }

    /// A request's headers are complete: the request is in progress until its
    /// response is ready. Its body is due by the request's deadline.
    fn request_started(
        self: &Arc<Self>,
        request: &mut http::Request<hyper::body::Incoming>,
    ) -> Box<dyn RequestObserver> {
        let (started, protocol, fragment) = {
            let mut s = self.state();
            s.active += 1;
            s.in_request_line = false;
            let fragment = std::mem::take(&mut s.fragment);
            (s.receiving_since.take(), s.protocol, fragment)
        };
        let started = started.unwrap_or_else(Instant::now);
        // Draining: an HTTP/2 connection that spoke only now gets GOAWAY
        // (this stream is served); HTTP/1.1's answer says `Connection: close`.
        if self.draining.load(Ordering::Relaxed) && protocol == Protocol::Http2 {
            self.drain.notify_one();
        }
        request.extensions_mut().insert(ias_api::BodyDeadline {
            at: started + self.request_timeout,
            timeout: self.request_timeout,
            setting: "IAS_REQUEST_TIMEOUT",
        });
        if let Some(id) = request
            .headers()
            .get("x-request-id")
            .and_then(|v| sane_request_id(v.as_bytes()))
        {
            if self.trust_request_id {
                request.extensions_mut().insert(RequestId(id));
            } else {
                let ours = uuid::Uuid::new_v4().to_string();
                slog::info!(self.log, "the client's X-Request-Id is logged, not used (IAS_TRUST_REQUEST_ID=false)";
                    "req_id" => &ours, "client_request_id" => id);
                request.extensions_mut().insert(RequestId(ours));
            }
        }
        if fragment {
            slog::info!(self.log, "a request-target with a #fragment is answered 404";
                "path" => request.uri().path().chars().take(256).collect::<String>());
            *request.uri_mut() = http::Uri::from_static(UNROUTABLE);
        } else if !is_canonical(request.uri().path()) {
            slog::info!(self.log, "a non-canonical path is answered 404";
                "path" => request.uri().path().chars().take(256).collect::<String>());
            *request.uri_mut() = http::Uri::from_static(UNROUTABLE);
        } else if !is_origin_or_http_target(request.uri()) {
            slog::info!(self.log, "an absolute-form target that is not http(s) with a valid port is answered 404";
                "scheme" => request.uri().scheme_str().unwrap_or_default().chars().take(32).collect::<String>());
            *request.uri_mut() = http::Uri::from_static(UNROUTABLE);
        }
        if request
            .method()
            .as_str()
            .bytes()
            .any(|b| b.is_ascii_lowercase())
        {
            slog::info!(self.log, "a method not spelled as registered is answered 405";
                "method" => request.method().as_str().chars().take(32).collect::<String>());
            *request.method_mut() =
                http::Method::from_bytes(NON_CANONICAL_METHOD).expect("a method token");
        }
        let counted = self.observe.as_ref().map(|observe| {
            observe.metrics.request_started();
            let method = metrics::method_label(request.method());
            Counted {
                method,
                route: route_of(observe.routes, method, request.uri().path()),
                started,
                answered: false,
            }
        });
        Box::new(InProgress {
            conn: Arc::clone(self),
            counted,
        })
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

/// Where a request with a non-canonical path is sent: no route has this path.
const UNROUTABLE: &str = "/-/non-canonical-path";
/// What a method with a lower-case letter becomes: no route has it (dropshot
/// looks routes up by the upper-cased method, so `post` would be `POST`).
const NON_CANONICAL_METHOD: &[u8] = b"NON-CANONICAL-METHOD";

/// Whether a request-target is origin-form (`/path`), or absolute-form with
/// an `http`/`https` scheme and, if any, a port that is a port (HTTP/2's
/// `:scheme` and `:authority` make every h2 request absolute-form).
fn is_origin_or_http_target(uri: &http::Uri) -> bool {
    let Some(scheme) = uri.scheme_str() else {
        return true;
    };
    // `Authority::port` is None for a port that does not parse, so the text
    // after the last `:` (outside an IPv6 literal's brackets) is read here.
    let port_ok = uri
        .authority()
        .is_none_or(|a| match a.as_str().rsplit_once(':') {
            Some((_, port)) if !port.contains(']') => {
                port.is_empty() || port.parse::<u16>().is_ok()
            }
            _ => true,
        });
    (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) && port_ok
}

/// Whether `path` is the one spelling of itself: no empty segment (`//`, a
/// trailing `/`), no `.` or `..` segment, no percent-escape of a character
/// that needs none (RFC 3986 §2.3: letters, digits, `-._~`), and every
/// segment UTF-8 once decoded (dropshot's router would answer any other in a
/// body of its own). Escapes of other characters are kept for path
/// parameters.
fn is_canonical(path: &str) -> bool {
    if path == "/" {
        return true;
    }
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    rest.split('/').all(|segment| {
        if !segment.contains('%') {
            // Text as sent (the hot path: no allocation).
            return !matches!(segment, "" | "." | "..");
        }
        let mut escaped = segment.split('%');
        let mut decoded: Vec<u8> = escaped.next().unwrap_or_default().into();
        !matches!(segment, "" | "." | "..")
            && escaped.all(|escape| {
                let hex = escape.get(..2).and_then(|h| u8::from_str_radix(h, 16).ok());
                // Not an unreserved character escaped, nor a broken escape.
                let kept = hex.filter(|b| !(b.is_ascii_alphanumeric() || b"-._~".contains(b)));
                decoded.extend(kept.into_iter().chain(escape.bytes().skip(2)));
                kept.is_some()
            })
            && std::str::from_utf8(&decoded).is_ok()
    })
}

/// `X-Request-Id` as sent, if it is 1 to 128 visible ASCII characters.
fn sane_request_id(value: &[u8]) -> Option<String> {
    let sane = (1..=128).contains(&value.len()) && value.iter().all(|b| b.is_ascii_graphic());
    sane.then(|| String::from_utf8_lossy(value).into_owned())
}

/// A request in progress on a connection.
struct InProgress {
    conn: Arc<Conn>,
    counted: Option<Counted>,
}

/// What the metrics need of a request.
struct Counted {
    method: &'static str,
    /// Index into `Observe::routes`; None is `other`.
    route: Option<usize>,
    /// The request's first byte.
    started: Instant,
    answered: bool,
}

impl RequestObserver for InProgress {
    fn respond(mut self: Box<Self>, response: &mut http::Response<Body>) {
        let headers = response.headers_mut();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
        if self.conn.draining.load(Ordering::Relaxed)
            && self.conn.state().protocol == Protocol::Http1
        {
            // hyper closes the connection once this answer is written.
            headers.insert(CONNECTION, HeaderValue::from_static("close"));
        }
        if let (Some(counted), Some(observe)) = (self.counted.as_mut(), self.conn.observe.as_ref())
        {
            counted.answered = true;
            let took = counted.started.elapsed();
            let route = counted.route.map(|i| (i, &observe.routes[i]));
            match route {
                Some((i, route))
                    if counted.method == route.method
                        && response.status().as_u16() == route.status =>
                {
                    observe.metrics.request_ok(i, took);
                }
                route => {
                    let labels = metrics::Labels {
                        method: counted.method,
                        route: route.map_or("other", |(_, r)| r.path),
                        status: response.status().as_u16().to_string(),
                        outcome: outcome(response),
                    };
                    observe.metrics.request_answered(&labels, took);
                }
            }
        }
    }
}

/// Answered or cancelled: the connection is idle again once no other request
/// is in progress.
impl Drop for InProgress {
    fn drop(&mut self) {
        if let (Some(counted), Some(observe)) = (&self.counted, &self.conn.observe) {
            if !counted.answered {
                observe.metrics.request_cancelled();
            }
        }
        let mut s = self.conn.state();
        s.active -= 1;
        if s.active == 0 {
            s.idle_since = Instant::now();
        }
    }
}

/// The `outcome` label: `ok` for a success, the `group/code` of an
/// `ApiError` answer (its [`ias_api::ErrorCode`], which the response carries
/// as an extension), `unrouted` for dropshot's own answers (404, 405).
fn outcome(response: &http::Response<Body>) -> String {
    if response.status().is_success() {
        return "ok".to_string();
    }
    response
        .extensions()
        .get::<ias_api::ErrorCode>()
        .map_or_else(
            || "unrouted".to_string(),
            |e| format!("{}/{}", e.group(), e.code()),
        )
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
        tokio::select! {
            () = tokio::time::sleep_until(deadline.map_or(wake, |at| at.min(wake))) => {}
            () = conn.evict.notified() => return,
        }
    }
}

/// The accepted stream, telling its connection when bytes arrive.
struct WatchedIo {
    stream: TcpStream,
    conn: Arc<Conn>,
    open: Arc<AtomicUsize>,
    /// The listener's evictions in flight (this one's ends when it drops).
    evicting: Arc<AtomicUsize>,
    /// Its peer's count, when connections are capped per peer.
    peer: Option<(Arc<Peers>, IpAddr)>,
}

/// The stream is closed: its place is free.
impl Drop for WatchedIo {
    fn drop(&mut self) {
        // Before the stream (a field) closes the socket: see `Conn::fd`.
        *self.conn.fd.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.open.fetch_sub(1, Ordering::Relaxed);
        if self.conn.evicted.load(Ordering::Relaxed) {
            self.evicting.fetch_sub(1, Ordering::Relaxed);
        }
        if let Some((peers, ip)) = &self.peer {
            let mut peers = peers.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(n) = peers.get_mut(ip) {
                *n -= 1;
                if *n == 0 {
                    peers.remove(ip);
                }
            }
        }
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

#[cfg(test)]
mod tests {
    use super::{is_canonical, route_of, Connections, H2Frames, Limits, Listener};

    /// At its cap, a listener that evicts closes the oldest connection that
    /// has sent nothing to admit a new one; one that has spoken stays; with
    /// as many closings pending as the cap, a new one is refused.
    #[tokio::test]
    async fn at_the_cap_the_oldest_silent_connection_makes_room() {
        use dropshot::{ConnectionPolicy as _, PolicedConnection};
        use std::io::Write as _;
        use std::time::Duration;
        use tokio::io::AsyncReadExt as _;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Connections::new(
            Limits {
                listener: Listener::Admin,
                idle_timeout: Duration::from_secs(30),
                request_timeout: Duration::from_secs(30),
                max_connections: 2,
                max_per_peer: None,
                trust_request_id: false,
                evict_silent: true,
            },
            slog::Logger::root(slog::Discard, slog::o!()),
            None,
        );
        let peers = std::cell::RefCell::new(Vec::new());
        let accept = async || -> Option<PolicedConnection> {
            peers
                .borrow_mut()
                .push(std::net::TcpStream::connect(addr).unwrap());
            let (stream, remote) = listener.accept().await.unwrap();
            connections.accept(stream, remote)
        };
        let mut a = accept().await.expect("a: room");
        let mut b = accept().await.expect("b: room");
        // b speaks: it is no longer silent.
        peers.borrow_mut()[1].write_all(b"G").unwrap();
        let mut byte = [0u8; 1];
        b.io.read_exact(&mut byte).await.unwrap();
        let c = accept().await.expect("c: a makes room");
        assert_eq!(connections.open(), 3, "a is closing, not closed yet");
        // a's supervisor ends (dropshot then drops it); b's and c's do not.
        tokio::time::timeout(Duration::from_secs(5), &mut a.closed)
            .await
            .expect("a is evicted");
        let b_open = tokio::time::timeout(Duration::from_millis(200), &mut b.closed).await;
        assert!(b_open.is_err(), "b has spoken: never evicted");
        drop(a);
        assert_eq!(connections.open(), 2);
        // c, silent, makes room for d; b never does.
        let d = accept().await.expect("d: c makes room");
        drop(c);
        // Evictions in flight are bounded by the cap: keep each evicted
        // connection open.
        let mut held = vec![d];
        for _ in 0..2 {
            held.push(accept().await.expect("room while evictions are few"));
        }
        assert!(
            accept().await.is_none(),
            "refused: too many evictions in flight"
        );
        drop(held);
        drop(b);
        assert_eq!(connections.open(), 0);
        // A connection whose request has arrived, not read yet, has spoken.
        let e = accept().await.expect("e: room");
        let f = accept().await.expect("f: room");
        let n = peers.borrow().len();
        for peer in &mut peers.borrow_mut()[n - 2..] {
            peer.write_all(b"GET").unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(accept().await.is_none(), "refused: no silent connection");
        drop((e, f));
    }

    /// To hyper the watched stream is the TCP stream: what it writes, plain
    /// or vectored, arrives whole, vectored writes stay vectored, and a
    /// shutdown ends the peer's read.
    #[tokio::test]
    async fn the_watched_stream_passes_writes_through() {
        use dropshot::ConnectionPolicy as _;
        use std::future::poll_fn;
        use std::io::{IoSlice, Read as _};
        use std::pin::Pin;
        use std::time::Duration;
        use tokio::io::AsyncWrite as _;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut peer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let (stream, remote) = listener.accept().await.unwrap();
        let limits = Limits {
            listener: Listener::Public,
            idle_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(5),
            max_connections: 1,
            max_per_peer: None,
            trust_request_id: false,
            evict_silent: false,
        };
        let log = slog::Logger::root(slog::Discard, slog::o!());
        let connections = Connections::new(limits, log, None);
        let mut io = connections.accept(stream, remote).expect("admitted").io;
        assert!(io.is_write_vectored());
        let plain = poll_fn(|cx| Pin::new(&mut *io).poll_write(cx, b"plain ")).await;
        let parts = [IoSlice::new(b"vec"), IoSlice::new(b"tored")];
        let vectored = poll_fn(|cx| Pin::new(&mut *io).poll_write_vectored(cx, &parts)).await;
        assert_eq!((plain.unwrap(), vectored.unwrap()), (6, 8));
        poll_fn(|cx| Pin::new(&mut *io).poll_flush(cx))
            .await
            .unwrap();
        poll_fn(|cx| Pin::new(&mut *io).poll_shutdown(cx))
            .await
            .unwrap();
        let mut received = String::new();
        peer.read_to_string(&mut received)
            .expect("the end, by the shutdown");
        assert_eq!(received, "plain vectored");
        drop(io);
    }

    /// A frame header: length, type, flags, stream 1.
    fn frame(length: usize, kind: u8, flags: u8) -> Vec<u8> {
        let l = length.to_be_bytes();
        vec![l[5], l[6], l[7], kind, flags, 0, 0, 0, 1]
    }

    #[test]
    fn http2_frames_and_header_blocks_are_followed_byte_by_byte() {
        let preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        let settings = frame(0, 0x4, 0);
        let ping = [frame(8, 0x6, 0), vec![0; 8]].concat();
        let headers_open = [frame(3, 0x1, 0), vec![1, 2, 3]].concat(); // no END_HEADERS
        let continuation_end = [frame(2, 0x9, 0x4), vec![4, 5]].concat();
        let headers_whole = [frame(3, 0x1, 0x4 | 0x1), vec![1, 2, 3]].concat();
        // A payload longer than 255 bytes: its length has more than one byte.
        let data_long = [frame(300, 0x0, 0), vec![7; 300]].concat();
        // (bytes, incomplete after them), fed in order to one connection
        let steps: Vec<(Vec<u8>, bool)> = vec![
            (preface[..10].to_vec(), true),
            (preface[10..].to_vec(), false),
            (settings.clone(), false),
            (ping[..5].to_vec(), true),
            (ping[5..].to_vec(), false),
            (headers_open[..1].to_vec(), true),
            (headers_open[1..].to_vec(), true), // the block goes on
            (ping.clone(), true),               // still inside it
            (continuation_end[..10].to_vec(), true),
            (continuation_end[10..].to_vec(), false),
            (headers_whole.clone(), false),
            ([settings, headers_whole].concat(), false),
            (data_long[..200].to_vec(), true),
            (data_long[200..].to_vec(), false),
            // A header block ended by an empty CONTINUATION.
            (headers_open.clone(), true),
            (frame(0, 0x9, 0x4), false),
        ];
        let mut frames = H2Frames::new();
        for (i, (bytes, incomplete)) in steps.into_iter().enumerate() {
            assert_eq!(frames.feed(&bytes), incomplete, "step {i}");
        }
    }

    #[test]
    fn only_http_targets_with_a_real_port_reach_the_router() {
        use super::is_origin_or_http_target as ok;
        #[rustfmt::skip]
        let cases = [
            ("/oauth/token", true), ("http://x/oauth/token", true), ("https://x:443/oauth/token", true),
            ("HTTP://x/oauth/token", true), ("http://127.0.0.1:65535/a", true),
            ("ftp://x/oauth/token", false), ("http://x:99999/oauth/token", false),
            ("http://x:65536/a", false), ("gopher://x/a", false),
            ("http://[::1]:8080/a", true), ("http://[::1]/a", true), ("http://u:p@x/a", false),
        ];
        for (target, expected) in cases {
            let uri: http::Uri = target.parse().unwrap();
            assert_eq!(ok(&uri), expected, "{target}");
        }
    }

    #[test]
    fn a_request_is_counted_under_its_route_template() {
        let route = |method, path| ias_api::Route {
            operation_id: "op",
            method,
            path,
            status: 200,
            security: &[],
        };
        let routes = [
            route("POST", "/oauth/token"),
            route("GET", "/users/{id}"),
            route("DELETE", "/users/{id}"),
            route("GET", "/users/{id}/keys/{key}"),
        ];
        let cases = [
            ("POST", "/oauth/token", Some(0)),
            ("GET", "/oauth/token", Some(0)),
            ("GET", "/users/42", Some(1)),
            ("DELETE", "/users/42", Some(2)),
            ("PUT", "/users/42", Some(1)),
            ("GET", "/users/42/keys/k", Some(3)),
            ("GET", "/users/", None),
            ("GET", "/users", None),
            ("GET", "/users/42/keys", None),
            ("GET", "/users/42/x/k", None),
            ("GET", "/oauth/token/x", None),
            ("GET", "/", None),
        ];
        for (method, path, expected) in cases {
            assert_eq!(route_of(&routes, method, path), expected, "{method} {path}");
        }
    }

    #[test]
    fn only_the_one_spelling_of_a_path_is_canonical() {
        let cases = [
            ("/", true),
            ("/oauth/token", true),
            ("/items/a%2Fb", true), // an escaped reserved character: a parameter's
            ("/items/caf%C3%A9", true), // a non-ASCII byte
            ("//oauth//token/", false),
            ("/oauth/token/", false),
            ("/oauth//token", false),
            ("/oauth/%74oken", false),
            ("/%6Fauth/token", false),
            ("/oauth/%7etoken", false),
            ("/oauth/./token", false),
            ("/x/../oauth/token", false),
            ("/oauth/tok%", false),
            ("/oauth/tok%zz", false),
            ("/items/%FF", false),          // not UTF-8 once decoded
            ("/items/caf%C3", false),       // a sequence cut short
            ("/items/%E2%82%AC%20x", true), // "€ x"
            ("/items/a%2F%C3%A9", true),
            ("*", false),
            ("", false),
        ];
        for (path, canonical) in cases {
            assert_eq!(is_canonical(path), canonical, "{path}");
        }
    }
}
