//! `ias-server`: the IAS public API served with dropshot.
//!
//! - [`config`]: settings from a TOML file and `IAS_*` variables;
//! - [`github`]: the one place that talks to GitHub;
//! - [`connections`]: the public listener's connection limits and timeouts;
//! - [`logging`]: the JSON log, written off the request path;
//! - [`admin`] and [`metrics`]: probes and Prometheus metrics on the admin listener;
//! - this file: the [`IasApi`] implementation, [`logger`] and [`start`].
//!
//! The request body is judged by `ias-api` (the contract); the handler only
//! exchanges the code. Errors are `ias_api::ApiError`, so every answer is one
//! the spec documents.

pub mod admin;
pub mod config;
pub mod connections;
pub mod github;
pub mod logging;
pub mod metrics;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use dropshot::{ConfigDropshot, HttpResponseOk, RequestContext, ServerBuilder};
use ias_api::operations::ExchangeAuthorizationCode;
use ias_api::{
    ApiError, Credential, ErrorCode, ExchangeAuthorizationCodeRequest,
    ExchangeAuthorizationCodeRequestProvider, ExchangeAuthorizationCodeResponse, IasApi, JsonBody,
};
use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;

pub use config::{Config, ConfigError};
pub use dropshot::HttpServer;

/// What every request can use.
pub struct ServerContext {
    github: Arc<github::GitHub>,
    exchanges: ExchangeSlots,
    /// Exchanges whose client went away, finishing on their own.
    orphans: TaskTracker,
    metrics: Arc<metrics::Metrics>,
}

impl ServerContext {
    /// Builds the context (the GitHub client and its connection pool), with
    /// room for `max_exchanges` exchanges in flight.
    pub fn new(
        config: &Config,
        max_exchanges: usize,
        metrics: Arc<metrics::Metrics>,
    ) -> anyhow::Result<Self> {
        Ok(ServerContext {
            github: Arc::new(github::GitHub::new(config)?),
            exchanges: ExchangeSlots {
                permits: Arc::new(Semaphore::new(max_exchanges)),
                max: max_exchanges,
            },
            orphans: TaskTracker::new(),
            metrics,
        })
    }
}

/// `IAS_MAX_CONCURRENT_EXCHANGES` permits, one per exchange in flight.
#[derive(Clone)]
pub struct ExchangeSlots {
    permits: Arc<Semaphore>,
    max: usize,
}

impl ExchangeSlots {
    /// Exchanges in flight now.
    pub fn in_flight(&self) -> usize {
        self.max - self.permits.available_permits()
    }
}

/// The implementation of [`IasApi`].
pub enum IasServer {}

impl IasApi for IasServer {
    type Context = ServerContext;

    async fn exchange_authorization_code(
        rqctx: RequestContext<ServerContext>,
        body: JsonBody<ExchangeAuthorizationCodeRequest>,
    ) -> Result<
        HttpResponseOk<ExchangeAuthorizationCodeResponse>,
        ApiError<ExchangeAuthorizationCode>,
    > {
        let request = body.into_inner()?;
        let context = rqctx.context();
        // At capacity, answer at once rather than queue (no socket is opened).
        let Ok(permit) = Arc::clone(&context.exchanges.permits).try_acquire_owned() else {
            context
                .metrics
                .exchange(metrics::ExchangeOutcome::Rejected, Duration::ZERO);
            return Err(
                ApiError::new(ErrorCode::ExchangeAuthorizationCodeEncounteredError).with_trace(
                    format!(
                        "the server is at capacity: {} exchanges with GitHub are in flight \
                         (IAS_MAX_CONCURRENT_EXCHANGES); retry shortly",
                        context.exchanges.max
                    ),
                ),
            );
        };
        let token = match request.provider {
            ExchangeAuthorizationCodeRequestProvider::Github => {
                let github = Arc::clone(&context.github);
                let metrics = Arc::clone(&context.metrics);
                let (code, verifier) = (request.code, request.code_verifier);
                FinishIfDropped {
                    exchange: Some(Box::pin(async move {
                        let _permit = permit;
                        let started = std::time::Instant::now();
                        let result = github.exchange(&code, verifier.as_ref()).await;
                        metrics.exchange(metrics::ExchangeOutcome::of(&result), started.elapsed());
                        result
                    })),
                    orphans: &context.orphans,
                    log: &rqctx.log,
                }
                .await
                .inspect_err(|e| log_upstream_detail(&rqctx.log, e))?
            }
        };
        Ok(HttpResponseOk(ExchangeAuthorizationCodeResponse::new(
            token,
        )))
    }
}

/// An upstream failure's full cause (the client's trace says less), on the
/// request's log (so with its `req_id`).
fn log_upstream_detail(log: &slog::Logger, e: &github::ExchangeError) {
    if let Some(detail) = e.log_detail() {
        slog::warn!(log, "exchange with GitHub failed"; "detail" => detail);
    }
}

/// An exchange, run as part of its request. Handlers run with dropshot's
/// `CancelOnDisconnect` (no task and channel per request), so a client that
/// goes away drops the request; an exchange already under way is then handed
/// to a task of its own (tracked, so that shutdown waits for it), finishes —
/// GitHub may already have used the code — and its outcome is logged.
struct FinishIfDropped<'a, F>
where
    F: Future<Output = Result<Credential, github::ExchangeError>> + Send + 'static,
{
    exchange: Option<Pin<Box<F>>>,
    orphans: &'a TaskTracker,
    log: &'a slog::Logger,
}

impl<F> Future for FinishIfDropped<'_, F>
where
    F: Future<Output = Result<Credential, github::ExchangeError>> + Send + 'static,
{
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let exchange = self
            .exchange
            .as_mut()
            .expect("FinishIfDropped polled after completion");
        let outcome = std::task::ready!(exchange.as_mut().poll(cx));
        self.exchange = None;
        Poll::Ready(outcome)
    }
}

impl<F> Drop for FinishIfDropped<'_, F>
where
    F: Future<Output = Result<Credential, github::ExchangeError>> + Send + 'static,
{
    fn drop(&mut self) {
        let Some(exchange) = self.exchange.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return; // the runtime, and the process, are going away
        };
        let log = self.log.clone();
        self.orphans.spawn_on(
            async move {
                let outcome = match exchange.await {
                    Ok(_) => "ok".to_string(),
                    Err(e) => {
                        log_upstream_detail(&log, &e);
                        ApiError::<ExchangeAuthorizationCode>::from(e).to_string()
                    }
                };
                slog::info!(log, "exchange finished after the client went away";
                    "outcome" => outcome);
            },
            &runtime,
        );
    }
}

/// The server's log and, for JSON logs, its writer.
#[derive(Clone)]
pub struct ServerLog {
    /// The logger to hand out.
    pub log: slog::Logger,
    writer: Option<logging::LogHandle>,
}

impl ServerLog {
    /// A log without a writer of ours (tests, or a drain that writes itself).
    pub fn from_logger(log: slog::Logger) -> Self {
        ServerLog { log, writer: None }
    }

    /// Writes what is queued, for at most `timeout` (call before exit).
    pub fn flush(&self, timeout: Duration) -> bool {
        self.writer.as_ref().is_none_or(|w| w.flush(timeout))
    }

    /// Records dropped because stderr's reader was behind.
    pub fn dropped(&self) -> u64 {
        self.writer.as_ref().map_or(0, logging::LogHandle::dropped)
    }
}

/// The server's logger: JSON (bunyan) lines on stderr, written off the request
/// path ([`logging`]), whatever stderr is (a terminal too). At `info` there is
/// one line per request: dropshot's per-connection line is `debug` when a
/// connection policy is set (the dropshot patch).
pub fn logger(config: &Config) -> anyhow::Result<ServerLog> {
    logger_to(config, std::io::stderr())
}

/// [`logger`], writing to `out` (tests keep the lines).
pub fn logger_to(
    config: &Config,
    out: impl std::io::Write + Send + 'static,
) -> anyhow::Result<ServerLog> {
    use slog::Drain as _;
    // One pipeline whatever stderr is (a terminal too: `docker run -t`,
    // `tty: true`): the JSON drain is where query strings are stripped and
    // long fields cut, so no other drain may bypass it.
    let (json, writer) =
        logging::json_drain("ias-server", slog::Level::from(&config.log_level), out)
            .map_err(|e| anyhow::anyhow!("cannot start the log writer thread: {e}"))?;
    Ok(ServerLog {
        log: slog::Logger::root(json.fuse(), slog::o!()),
        writer: Some(writer),
    })
}

/// A running server: the public dropshot server and its connection limits,
/// and the admin server when there is one.
pub struct Server {
    http: HttpServer<ServerContext>,
    connections: Arc<connections::Connections>,
    admin: Option<HttpServer<admin::AdminContext>>,
    health: Arc<admin::Health>,
}

impl Server {
    /// Where it listens.
    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.http.local_addr()
    }

    /// The connections and their limits.
    pub fn connections(&self) -> &Arc<connections::Connections> {
        &self.connections
    }

    /// Where the admin listener listens, if there is one.
    pub fn admin_addr(&self) -> Option<std::net::SocketAddr> {
        self.admin.as_ref().map(HttpServer::local_addr)
    }

    /// Completes if the server stops by itself (an error).
    pub fn wait_for_shutdown(&self) -> dropshot::ShutdownWaitFuture {
        self.http.wait_for_shutdown()
    }

    /// `/readyz` answers 503 from now on; serving goes on.
    pub fn start_draining(&self) {
        self.health.start_draining();
    }

    /// Closes the listening socket at once (new connections are refused), then
    /// waits for requests in flight, and exchanges whose client went away, to
    /// finish; the admin listener closes last.
    pub async fn close(self) -> Result<(), String> {
        self.health.start_draining();
        let orphans = self.http.app_private().orphans.clone();
        self.http.close().await?;
        orphans.close();
        orphans.wait().await;
        if let Some(admin) = self.admin {
            admin.close().await?;
        }
        Ok(())
    }
}

/// How many connections and exchanges fit in the open-file limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdBudget {
    /// The soft `RLIMIT_NOFILE`, when known.
    pub nofile: Option<u64>,
    /// Client connections allowed.
    pub max_connections: usize,
    /// Exchanges with GitHub allowed in flight (one socket each, at most).
    pub max_exchanges: usize,
}

/// File descriptors kept for everything but client connections and GitHub
/// sockets: the listeners, the runtime, stdio, and the admin listener's
/// connections.
pub const RESERVED_FDS: u64 = 64 + ADMIN_MAX_CONNECTIONS as u64;

impl FdBudget {
    /// The configured caps, lowered to fit `nofile`: `RESERVED_FDS` kept aside,
    /// up to a quarter of the rest for GitHub, the remainder for clients.
    pub fn new(config: &Config, nofile: Option<u64>) -> FdBudget {
        let (mut max_connections, mut max_exchanges) =
            (config.max_connections, config.max_concurrent_exchanges);
        if let Some(n) = nofile {
            let usable = n.saturating_sub(RESERVED_FDS).max(2);
            max_exchanges =
                max_exchanges.min(usize::try_from(usable / 4).unwrap_or(usize::MAX).max(1));
            let left = usize::try_from(usable).unwrap_or(usize::MAX) - max_exchanges;
            max_connections = max_connections.min(left.max(1));
        }
        FdBudget {
            nofile,
            max_connections,
            max_exchanges,
        }
    }
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit, and returns the soft
/// limit then in force (None when it cannot be read).
pub fn raise_nofile_limit() -> Option<u64> {
    let limit = nofile_rlimit()?;
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit only reads the struct given.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) };
    }
    nofile_limit()
}

/// No core dump, and no ptrace or `/proc/PID/{environ,mem}` for other users:
/// the process holds the client secret and tokens in memory. `RLIMIT_CORE`
/// goes to 0 (soft and hard) and the process is marked not dumpable. Returns
/// what could not be done, if anything.
pub fn disable_core_dumps() -> Result<(), std::io::Error> {
    let none = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: setrlimit only reads the struct given.
    if unsafe { libc::setrlimit(libc::RLIMIT_CORE, &none) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: PR_SET_DUMPABLE takes one integer argument and touches no memory of ours.
    if unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// The soft `RLIMIT_NOFILE` now (None when unlimited or unreadable).
pub fn nofile_limit() -> Option<u64> {
    nofile_rlimit()
        .map(|limit| limit.rlim_cur)
        .filter(|&soft| soft != libc::RLIM_INFINITY)
}

fn nofile_rlimit() -> Option<libc::rlimit> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct given.
    (unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0).then_some(limit)
}

/// Binds `config.bind_address` and starts serving. dropshot logs the bound
/// address, and one `request completed` line per request (request id, status,
/// latency; for errors the outcome, from `ApiError`'s `Display`). The caps
/// on connections and exchanges are the configured ones lowered to fit the
/// open-file limit ([`FdBudget`]); the choice is logged.
pub fn start(config: &Config, server_log: &ServerLog) -> anyhow::Result<Server> {
    let log = server_log.log.clone();
    if config.github.base_url.scheme() == "http" && !config::is_loopback(&config.github.base_url) {
        slog::warn!(log, "the GitHub base URL uses plain http: the client secret crosses the network unencrypted";
            "github_base_url" => config.github.base_url.as_str());
    }
    let api = ias_api::ias_api_mod::api_description::<IasServer>()
        .map_err(|e| anyhow::anyhow!("invalid API description: {e}"))?;
    let budget = FdBudget::new(config, nofile_limit());
    let lowered = budget.max_connections < config.max_connections
        || budget.max_exchanges < config.max_concurrent_exchanges;
    let message = "file descriptor budget";
    let kv = slog::o!(
        "rlimit_nofile" => budget.nofile.map_or_else(|| "unlimited".to_string(), |n| n.to_string()),
        "max_connections" => budget.max_connections,
        "max_concurrent_exchanges" => budget.max_exchanges,
        "reserved_fds" => RESERVED_FDS,
    );
    if lowered {
        slog::warn!(log.new(kv), "{message}: caps lowered to fit the open-file limit";
            "hint" => "raise the hard RLIMIT_NOFILE (ulimit -Hn, LimitNOFILE=) to allow IAS_MAX_CONNECTIONS and IAS_MAX_CONCURRENT_EXCHANGES");
    } else {
        slog::info!(log.new(kv), "{message}");
    }
    let routes = routes();
    let metrics = Arc::new(metrics::Metrics::new(&routes));
    let context = ServerContext::new(config, budget.max_exchanges, Arc::clone(&metrics))?;
    let connections = connections::Connections::new(
        connections::Limits {
            listener: connections::Listener::Public,
            idle_timeout: config.idle_timeout,
            request_timeout: config.request_timeout,
            max_connections: budget.max_connections,
            max_per_peer: config.max_connections_per_client,
            trust_request_id: config.trust_request_id,
        },
        log.clone(),
        Some(connections::Observe {
            metrics: Arc::clone(&metrics),
            routes,
        }),
    );
    let http = ServerBuilder::new(api, context, log.clone())
        .connection_policy(connections.clone())
        .config(ConfigDropshot {
            bind_address: config.bind_address,
            default_request_body_max_bytes: ias_api::REQUEST_BODY_MAX_BYTES,
            // No task and channel per request; see `FinishIfDropped`.
            default_handler_task_mode: dropshot::HandlerTaskMode::CancelOnDisconnect,
            ..Default::default()
        })
        .start()
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot listen on {} (IAS_BIND_ADDRESS): {e}",
                config.bind_address
            )
        })?;
    let health = Arc::new(admin::Health::default());
    let admin = match config.admin_address {
        None => None,
        Some(address) => Some(start_admin(
            address,
            config,
            admin::AdminContext {
                health: Arc::clone(&health),
                metrics,
                connections: Arc::clone(&connections),
                exchanges_in_flight: {
                    let exchanges = http.app_private().exchanges.clone();
                    Box::new(move || exchanges.in_flight())
                },
                log_records_dropped: {
                    let server_log = server_log.clone();
                    Box::new(move || server_log.dropped())
                },
            },
            &log,
        )?),
    };
    Ok(Server {
        http,
        connections,
        admin,
        health,
    })
}

/// The API's route templates, from its description (for the `http_route` label).
fn routes() -> Vec<String> {
    ias_api::openapi_document()["paths"]
        .as_object()
        .map(|paths| paths.keys().cloned().collect())
        .unwrap_or_default()
}

/// The admin listener's own limits. Its clients are probes and scrapers, one
/// short request each: room for a flood of idle sockets beside them, and
/// short timeouts so that such sockets leave soon.
pub const ADMIN_MAX_CONNECTIONS: usize = 256;
/// An idle admin connection is closed after this (or `IAS_IDLE_TIMEOUT`, if shorter).
pub const ADMIN_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// An admin request must arrive within this (or `IAS_REQUEST_TIMEOUT`, if shorter).
pub const ADMIN_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

fn start_admin(
    address: std::net::SocketAddr,
    config: &Config,
    context: admin::AdminContext,
    log: &slog::Logger,
) -> anyhow::Result<HttpServer<admin::AdminContext>> {
    let api = admin::admin_api_mod::api_description::<admin::Admin>()
        .map_err(|e| anyhow::anyhow!("invalid admin API description: {e}"))?;
    // Each probe and scrape would be an `info` line: the admin listener's
    // dropshot logs warnings and errors only (the `admin listener` line below
    // says where it is).
    let admin_log = slog::Logger::root(
        slog::Drain::fuse(slog::LevelFilter::new(log.clone(), slog::Level::Warning)),
        slog::o!("listener" => "admin"),
    );
    let connections = connections::Connections::new(
        connections::Limits {
            listener: connections::Listener::Admin,
            idle_timeout: config.idle_timeout.min(ADMIN_IDLE_TIMEOUT),
            request_timeout: config.request_timeout.min(ADMIN_REQUEST_TIMEOUT),
            max_connections: ADMIN_MAX_CONNECTIONS,
            max_per_peer: None,
            trust_request_id: config.trust_request_id,
        },
        log.clone(),
        None,
    );
    let admin = ServerBuilder::new(api, context, admin_log)
        .connection_policy(connections)
        .config(ConfigDropshot {
            bind_address: address,
            default_handler_task_mode: dropshot::HandlerTaskMode::CancelOnDisconnect,
            ..Default::default()
        })
        .start()
        .map_err(|e| anyhow::anyhow!("cannot listen on {address} (IAS_ADMIN_ADDRESS): {e}"))?;
    slog::info!(log, "admin listener: /livez, /readyz, /metrics"; "admin_addr" => %admin.local_addr());
    Ok(admin)
}
