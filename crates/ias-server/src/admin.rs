//! The admin listener (`IAS_ADMIN_ADDRESS`): liveness, readiness and
//! Prometheus metrics, apart from the public API so that its contract stays
//! one operation. Its own dropshot API trait gives it an OpenAPI document
//! ([`openapi_document`]), and limits of its own ([`MAX_CONNECTIONS`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use dropshot::{
    Body, ConfigDropshot, HttpError, HttpResponseOk, HttpServer, RequestContext, ServerBuilder,
};
use schemars::JsonSchema;
use serde::Serialize;

use crate::connections::{self, Connections};
use crate::handler::ExchangeSlots;
use crate::logging::LogHandle;
use crate::metrics::{Metrics, Readings};
use crate::Config;

/// Whether the public listener should get traffic.
#[derive(Default)]
pub struct Health {
    draining: AtomicBool,
}

impl Health {
    /// From now on `/readyz` answers 503 (SIGTERM/SIGINT arrived).
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    /// Whether draining has started.
    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }
}

/// What the admin endpoints read.
pub struct AdminContext {
    pub health: Arc<Health>,
    pub metrics: Arc<Metrics>,
    pub connections: Arc<Connections>,
    /// The public handler's exchange permits (for exchanges in flight).
    pub exchanges: ExchangeSlots,
    /// The log writer (for its drop count).
    pub log: LogHandle,
}

/// The body of `/livez` and `/readyz`.
#[derive(Serialize, JsonSchema)]
pub struct Status {
    /// `ok`.
    pub status: &'static str,
}

/// Probes and metrics of ias-server.
#[dropshot::api_description]
pub trait AdminApi {
    type Context;

    /// Liveness: 200 while the process serves.
    #[endpoint { method = GET, path = "/livez" }]
    async fn livez(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<Status>, HttpError>;

    /// Readiness: 200 while the public listener takes traffic; 503 from the
    /// moment SIGTERM/SIGINT arrives (through the shutdown delay and the
    /// drain). It does not depend on GitHub.
    #[endpoint { method = GET, path = "/readyz" }]
    async fn readyz(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<Status>, HttpError>;

    /// Prometheus text exposition (`text/plain; version=0.0.4`).
    #[endpoint { method = GET, path = "/metrics" }]
    async fn metrics(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<http::Response<Body>, HttpError>;
}

/// The implementation of [`AdminApi`].
pub enum Admin {}

impl AdminApi for Admin {
    type Context = AdminContext;

    async fn livez(
        _rqctx: RequestContext<AdminContext>,
    ) -> Result<HttpResponseOk<Status>, HttpError> {
        Ok(HttpResponseOk(Status { status: "ok" }))
    }

    async fn readyz(
        rqctx: RequestContext<AdminContext>,
    ) -> Result<HttpResponseOk<Status>, HttpError> {
        if rqctx.context().health.draining() {
            return Err(HttpError::for_unavail(
                None,
                "draining: the server is shutting down and takes no new traffic".into(),
            ));
        }
        Ok(HttpResponseOk(Status { status: "ok" }))
    }

    async fn metrics(
        rqctx: RequestContext<AdminContext>,
    ) -> Result<http::Response<Body>, HttpError> {
        let context = rqctx.context();
        let text = context.metrics.render(&Readings {
            connections_open: context.connections.open(),
            exchanges_in_flight: context.exchanges.in_flight(),
            log_records_dropped: context.log.dropped(),
        });
        http::Response::builder()
            .header(http::header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)
            .body(Body::from(text))
            .map_err(|e| HttpError::for_internal_error(e.to_string()))
    }
}

/// The admin listener's own limits. Its clients are probes and scrapers, one
/// short request each: room for a flood of idle sockets beside them, and
/// short timeouts so that such sockets leave soon.
pub const MAX_CONNECTIONS: usize = 256;
/// An idle admin connection is closed after this (or `IAS_IDLE_TIMEOUT`, if shorter).
pub const IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// An admin request must arrive within this (or `IAS_REQUEST_TIMEOUT`, if shorter).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Binds `address` and serves [`AdminApi`] with its own connection limits.
pub fn start(
    address: std::net::SocketAddr,
    config: &Config,
    context: AdminContext,
    log: &slog::Logger,
) -> anyhow::Result<HttpServer<AdminContext>> {
    let api = admin_api_mod::api_description::<Admin>()
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
            idle_timeout: config.idle_timeout.min(IDLE_TIMEOUT),
            request_timeout: config.request_timeout.min(REQUEST_TIMEOUT),
            max_connections: MAX_CONNECTIONS,
            max_per_peer: None,
            trust_request_id: config.trust_request_id,
            evict_silent: true,
        },
        log.clone(),
        None,
    );
    let admin = ServerBuilder::new(api, context, admin_log)
        .connection_policy(connections)
        .config(ConfigDropshot {
            bind_address: address,
            ..Default::default()
        })
        .start()
        .map_err(|e| anyhow::anyhow!("cannot listen on {address} (IAS_ADMIN_ADDRESS): {e}"))?;
    slog::info!(log, "admin listener: /livez, /readyz, /metrics"; "admin_addr" => %admin.local_addr());
    Ok(admin)
}

/// The admin listener's OpenAPI document.
pub fn openapi_document() -> serde_json::Value {
    let api = admin_api_mod::stub_api_description().expect("the AdminApi trait is valid");
    let version = "1.0.0".parse().expect("a semver version");
    api.openapi("ias-server admin", version)
        .json()
        .expect("the admin OpenAPI document serializes")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_admin_api_has_its_own_openapi_document() {
        let doc = super::openapi_document();
        let paths: Vec<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(paths, ["/livez", "/metrics", "/readyz"]);
        assert!(doc["paths"]["/readyz"]["get"]["responses"]["200"].is_object());
    }
}
