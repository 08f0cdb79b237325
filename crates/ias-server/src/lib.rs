//! `ias-server`: the IAS public API served with dropshot. This file is
//! [`start`] and the [`Server`] it returns; each concern has a module:
//!
//! - [`handler`]: the [`ias_api::IasApi`] implementation (the exchange handler and its context);
//! - [`github`]: the one place that talks to GitHub;
//! - [`config`]: settings from a TOML file and `IAS_*` variables;
//! - [`connections`]: the connection policy (limits, timeouts, request metrics);
//! - [`logging`]: the JSON log, written off the request path;
//! - [`admin`] and [`metrics`]: probes and Prometheus metrics on the admin listener;
//! - [`process`]: the open-file budget and no core dumps.

pub mod admin;
pub mod config;
pub mod connections;
pub mod github;
pub mod handler;
pub mod logging;
pub mod metrics;
pub mod process;

use std::sync::Arc;

use dropshot::{ConfigDropshot, ServerBuilder};

pub use config::{Config, ConfigError};
pub use dropshot::HttpServer;
pub use logging::{logger, logger_to, ServerLog};

use handler::{IasServer, ServerContext};
use process::{FdBudget, RESERVED_FDS};

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

    /// `/readyz` answers 503 from now on, and no public connection is kept
    /// alive ([`connections::Connections::drain`]: idle ones are closed,
    /// answers say `Connection: close`, HTTP/2 gets GOAWAY); serving goes on,
    /// new connections included, until [`Server::close`].
    pub fn start_draining(&self) {
        self.health.start_draining();
        self.connections.drain();
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
    let budget = FdBudget::new(config, process::nofile_limit());
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
    let routes = &ias_api::ROUTES[..];
    let metrics = Arc::new(metrics::Metrics::new(routes));
    let context = ServerContext::new(config, budget.max_exchanges, Arc::clone(&metrics))?;
    let connections = connections::Connections::new(
        connections::Limits {
            listener: connections::Listener::Public,
            idle_timeout: config.idle_timeout,
            request_timeout: config.request_timeout,
            max_connections: budget.max_connections,
            max_per_peer: config.max_connections_per_client,
            trust_request_id: config.trust_request_id,
            evict_silent: false,
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
        Some(address) => Some(admin::start(
            address,
            config,
            admin::AdminContext {
                health: Arc::clone(&health),
                metrics,
                connections: Arc::clone(&connections),
                exchanges: http.app_private().exchanges.clone(),
                log: server_log.handle().clone(),
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
