//! `ias-server`: the IAS public API served with dropshot.
//!
//! - [`config`]: settings from a TOML file and `IAS_*` variables;
//! - [`github`]: the one place that talks to GitHub;
//! - this file: the [`IasApi`] implementation and [`start`].
//!
//! The request body is judged by `ias-api` (the contract); the handler only
//! exchanges the code. Errors are `ias_api::ApiError`, so every answer is one
//! the spec documents.

pub mod config;
pub mod github;

use dropshot::{ConfigDropshot, ConfigLogging, HttpResponseOk, RequestContext, ServerBuilder};
use ias_api::{
    ApiError, ExchangeAuthorizationCodeRequest, ExchangeAuthorizationCodeResponse, IasApi,
    JsonBody, OAuthProvider,
};

pub use config::{Config, ConfigError};
pub use dropshot::HttpServer;

/// What every request can use.
pub struct ServerContext {
    github: github::GitHub,
}

impl ServerContext {
    /// Builds the context (the GitHub client and its connection pool).
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        Ok(ServerContext {
            github: github::GitHub::new(config)?,
        })
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
        let token = match request.provider {
            OAuthProvider::Github => rqctx.context().github.exchange(&request.code).await?,
        };
        Ok(HttpResponseOk(ExchangeAuthorizationCodeResponse {
            access_token: token,
        }))
    }
}

/// The server's logger: JSON (bunyan) lines on stderr, or a terminal format
/// when stderr is a terminal. dropshot's per-connection `accepted connection`
/// lines are kept for `debug` and `trace`, so that at `info` there is one line
/// per request.
pub fn logger(config: &Config) -> anyhow::Result<slog::Logger> {
    use slog::Drain as _;
    use std::io::IsTerminal;
    let level = config.log_level.clone();
    let connections = matches!(
        level,
        dropshot::ConfigLoggingLevel::Trace | dropshot::ConfigLoggingLevel::Debug
    );
    let base = if std::io::stderr().is_terminal() {
        ConfigLogging::StderrTerminal { level }
            .to_logger("ias-server")
            .map_err(|e| anyhow::anyhow!("cannot set up logging: {e}"))?
    } else {
        // Bunyan JSON, one line per record, written synchronously so that the
        // last lines before exit are never lost.
        let json = slog_bunyan::with_name("ias-server", std::io::stderr()).build();
        let filtered = slog::LevelFilter::new(json, slog::Level::from(&level));
        slog::Logger::root(std::sync::Mutex::new(filtered).fuse(), slog::o!())
    };
    let drain = base
        .filter(move |record| connections || record.msg().as_str() != Some("accepted connection"));
    Ok(slog::Logger::root(drain.fuse(), slog::o!()))
}

/// Binds `config.bind_address` and starts serving. dropshot logs the bound
/// address, and one `request completed` line per request (request id, status,
/// latency; for errors the outcome, from `ApiError`'s `Display`).
pub fn start(config: &Config, log: slog::Logger) -> anyhow::Result<HttpServer<ServerContext>> {
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
    let context = ServerContext::new(config)?;
    let server = ServerBuilder::new(api, context, log)
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
    Ok(server)
}
