//! `ias-server`: the IAS public API served with dropshot.
//!
//! - [`config`]: settings from a TOML file and `IAS_*` variables;
//! - [`github`]: the one place that talks to GitHub;
//! - [`connections`]: the public listener's connection limits and timeouts;
//! - [`logging`]: the JSON log, written off the request path;
//! - this file: the [`IasApi`] implementation, [`logger`] and [`start`].
//!
//! The request body is judged by `ias-api` (the contract); the handler only
//! exchanges the code. Errors are `ias_api::ApiError`, so every answer is one
//! the spec documents.

pub mod config;
pub mod connections;
pub mod github;
pub mod logging;

use std::sync::Arc;
use std::time::Duration;

use dropshot::{ConfigDropshot, ConfigLogging, HttpResponseOk, RequestContext, ServerBuilder};
use ias_api::{
    ApiError, ExchangeAuthorizationCodeRequest, ExchangeAuthorizationCodeResponse, IasApi,
    JsonBody, OAuthProvider,
};
use tokio::sync::Semaphore;

pub use config::{Config, ConfigError};
pub use dropshot::HttpServer;

/// What every request can use.
pub struct ServerContext {
    github: github::GitHub,
    /// One permit per exchange in flight with GitHub.
    exchanges: Semaphore,
    max_exchanges: usize,
}

impl ServerContext {
    /// Builds the context (the GitHub client and its connection pool), with
    /// room for `max_exchanges` exchanges in flight.
    pub fn new(config: &Config, max_exchanges: usize) -> anyhow::Result<Self> {
        Ok(ServerContext {
            github: github::GitHub::new(config)?,
            exchanges: Semaphore::new(max_exchanges),
            max_exchanges,
        })
    }

    /// Exchanges with GitHub in flight now.
    pub fn exchanges_in_flight(&self) -> usize {
        self.max_exchanges - self.exchanges.available_permits()
    }
}

/// The implementation of [`IasApi`].
pub enum IasServer {}

impl IasApi for IasServer {
    type Context = ServerContext;

    async fn exchange_authorization_code(
        rqctx: RequestContext<ServerContext>,
        body: JsonBody<ExchangeAuthorizationCodeRequest>,
    ) -> Result<HttpResponseOk<ExchangeAuthorizationCodeResponse>, ApiError> {
        let request = body.into_inner()?;
        let context = rqctx.context();
        // At capacity, answer at once rather than queue (no socket is opened).
        let Ok(_permit) = context.exchanges.try_acquire() else {
            return Err(ApiError::exchange_failed(vec![format!(
                "the server is at capacity: {} exchanges with GitHub are in flight \
                 (IAS_MAX_CONCURRENT_EXCHANGES); retry shortly",
                context.max_exchanges
            )]));
        };
        let token = match request.provider {
            OAuthProvider::Github => context.github.exchange(&request.code).await?,
        };
        Ok(HttpResponseOk(ExchangeAuthorizationCodeResponse {
            access_token: token,
        }))
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
/// path ([`logging`]), or a terminal format when stderr is a terminal.
/// dropshot's per-connection `accepted connection` lines are kept for `debug`
/// and `trace`, so that at `info` there is one line per request.
pub fn logger(config: &Config) -> anyhow::Result<ServerLog> {
    use slog::Drain as _;
    use std::io::IsTerminal;
    let level = config.log_level.clone();
    let connections = matches!(
        level,
        dropshot::ConfigLoggingLevel::Trace | dropshot::ConfigLoggingLevel::Debug
    );
    let keep = move |record: &slog::Record<'_>| {
        connections || record.msg().as_str() != Some("accepted connection")
    };
    if std::io::stderr().is_terminal() {
        let base = ConfigLogging::StderrTerminal { level }
            .to_logger("ias-server")
            .map_err(|e| anyhow::anyhow!("cannot set up logging: {e}"))?;
        return Ok(ServerLog {
            log: slog::Logger::root(base.filter(keep).fuse(), slog::o!()),
            writer: None,
        });
    }
    let (json, writer) =
        logging::json_drain("ias-server", slog::Level::from(&level), std::io::stderr())
            .map_err(|e| anyhow::anyhow!("cannot start the log writer thread: {e}"))?;
    Ok(ServerLog {
        log: slog::Logger::root(json.filter(keep).fuse(), slog::o!()),
        writer: Some(writer),
    })
}

/// A running server: the dropshot server and its connection limits.
pub struct Server {
    http: HttpServer<ServerContext>,
    connections: Arc<connections::Connections>,
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

    /// The request handlers' shared state.
    pub fn context(&self) -> &ServerContext {
        self.http.app_private()
    }

    /// Completes if the server stops by itself (an error).
    pub fn wait_for_shutdown(&self) -> dropshot::ShutdownWaitFuture {
        self.http.wait_for_shutdown()
    }

    /// Closes the listening socket at once (new connections are refused), then
    /// waits for requests in flight to finish.
    pub async fn close(self) -> Result<(), String> {
        self.http.close().await
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
/// sockets: the listeners, the runtime, stdio, the admin side.
pub const RESERVED_FDS: u64 = 64;

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
    // SAFETY: getrlimit/setrlimit only read and write the struct given.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
        (limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur)
    }
}

/// The soft `RLIMIT_NOFILE` now.
pub fn nofile_limit() -> Option<u64> {
    // SAFETY: getrlimit only writes the struct given.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        (libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0
            && limit.rlim_cur != libc::RLIM_INFINITY)
            .then_some(limit.rlim_cur)
    }
}

/// Binds `config.bind_address` and starts serving. dropshot logs the bound
/// address, and one `request completed` line per request (request id, status,
/// latency; for errors the outcome, from `ApiError`'s `Display`). The caps
/// on connections and exchanges are the configured ones lowered to fit the
/// open-file limit ([`FdBudget`]); the choice is logged.
pub fn start(config: &Config, log: slog::Logger) -> anyhow::Result<Server> {
    if config.github.base_url.scheme() == "http"
        && !config
            .github
            .base_url
            .host_str()
            .is_some_and(|h| h == "localhost" || h.starts_with("127.") || h == "[::1]")
    {
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
    let context = ServerContext::new(config, budget.max_exchanges)?;
    let connections = connections::Connections::new(
        config.idle_timeout,
        config.request_timeout,
        budget.max_connections,
        log.clone(),
    );
    let http = ServerBuilder::new(api, context, log)
        .connection_policy(connections.clone())
        .config(ConfigDropshot {
            bind_address: config.bind_address,
            default_request_body_max_bytes: ias_api::REQUEST_BODY_MAX_BYTES,
            ..Default::default()
        })
        .start()
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot listen on {} (IAS_BIND_ADDRESS): {e}",
                config.bind_address
            )
        })?;
    Ok(Server { http, connections })
}
