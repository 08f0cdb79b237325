//! The server's Prometheus metrics, served on the admin listener (`admin.rs`).
//!
//! Names follow the OpenTelemetry HTTP semantic conventions where they apply.
//! Every label value comes from a closed set: a route template or `other`, a
//! known method or `_OTHER`, a status code, an outcome this file names, the
//! build's version. None carries a code, a token, a secret or a client-chosen
//! string.

use std::time::Duration;

use prometheus::{
    core::Collector as _, Encoder as _, Histogram, HistogramOpts, HistogramVec, IntCounter,
    IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::github::ExchangeError;

/// Buckets of both duration histograms, in seconds: from 1 ms to 30 s, which
/// covers a loopback answer and an `IAS_UPSTREAM_TIMEOUT` of up to 30 s.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The metrics of one server.
pub struct Metrics {
    registry: Registry,
    requests: HistogramVec,
    /// The hot series, resolved once: `{method} {route} {success status}
    /// ok`, by route index (only each route's own method).
    route_ok: Vec<Histogram>,
    /// One series per `ExchangeOutcome`, resolved once.
    exchanges: ExchangeSeries,
    active_requests: IntGauge,
    connections_open: IntGauge,
    exchanges_in_flight: IntGauge,
    /// `ias_connections_refused_total`, by reason: `[limit, per_client]`.
    connections_refused: [IntCounter; 2],
}

/// `ias_log_records_dropped_total`: the log writer's own count, read at each
/// scrape (so there is one count, not a counter kept in step with it).
const LOG_RECORDS_DROPPED: (&str, &str) = (
    "ias_log_records_dropped_total",
    "Log records dropped because the process reading stderr did not keep up.",
);

/// The exchange histogram's series, one per [`ExchangeOutcome`].
struct ExchangeSeries {
    token: Histogram,
    bad_verification_code: Histogram,
    unverified_user_email: Histogram,
    error: Histogram,
    rejected: Histogram,
}

impl ExchangeSeries {
    fn new(histogram: &HistogramVec) -> Self {
        let series = |o: ExchangeOutcome| histogram.with_label_values(&[o.label()]);
        ExchangeSeries {
            token: series(ExchangeOutcome::Token),
            bad_verification_code: series(ExchangeOutcome::BadVerificationCode),
            unverified_user_email: series(ExchangeOutcome::UnverifiedUserEmail),
            error: series(ExchangeOutcome::Error),
            rejected: series(ExchangeOutcome::Rejected),
        }
    }

    fn of(&self, outcome: ExchangeOutcome) -> &Histogram {
        match outcome {
            ExchangeOutcome::Token => &self.token,
            ExchangeOutcome::BadVerificationCode => &self.bad_verification_code,
            ExchangeOutcome::UnverifiedUserEmail => &self.unverified_user_email,
            ExchangeOutcome::Error => &self.error,
            ExchangeOutcome::Rejected => &self.rejected,
        }
    }
}

/// How an exchange with GitHub ended (`ias_github_exchange_duration_seconds`'s `outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeOutcome {
    Token,
    BadVerificationCode,
    UnverifiedUserEmail,
    /// Any other failure: transport, timeout, an unexpected answer.
    Error,
    /// Refused before reaching GitHub: `IAS_MAX_CONCURRENT_EXCHANGES` in flight.
    Rejected,
}

impl ExchangeOutcome {
    fn label(self) -> &'static str {
        match self {
            ExchangeOutcome::Token => "token",
            ExchangeOutcome::BadVerificationCode => "bad_verification_code",
            ExchangeOutcome::UnverifiedUserEmail => "unverified_user_email",
            ExchangeOutcome::Error => "error",
            ExchangeOutcome::Rejected => "rejected",
        }
    }

    /// The outcome of an exchange's result.
    pub fn of<T>(result: &Result<T, ExchangeError>) -> Self {
        match result {
            Ok(_) => ExchangeOutcome::Token,
            Err(ExchangeError::BadVerificationCode) => ExchangeOutcome::BadVerificationCode,
            Err(ExchangeError::UnverifiedUserEmail) => ExchangeOutcome::UnverifiedUserEmail,
            Err(ExchangeError::Upstream(_)) => ExchangeOutcome::Error,
        }
    }
}

/// What the gauges read at each scrape.
pub struct Readings {
    pub connections_open: usize,
    pub exchanges_in_flight: usize,
    pub log_records_dropped: u64,
}

impl Metrics {
    /// Registers every metric for an API with these routes (each route's
    /// success series is registered, and no other method's); `ias_build_info`
    /// is set here, once.
    pub fn new(routes: &[ias_api::Route]) -> Self {
        let registry = Registry::new();
        let requests = HistogramVec::new(
            HistogramOpts::new(
                "http_server_request_duration_seconds",
                "Duration of HTTP server requests on the public listener, from the request's \
                 first byte to its response being ready (body reading and the exchange included).",
            )
            .buckets(BUCKETS.to_vec()),
            &[
                "http_request_method",
                "http_route",
                "http_response_status_code",
                "outcome",
            ],
        )
        .expect("valid histogram");
        let exchanges = HistogramVec::new(
            HistogramOpts::new(
                "ias_github_exchange_duration_seconds",
                "Duration of authorization-code exchanges with GitHub, by outcome.",
            )
            .buckets(BUCKETS.to_vec()),
            &["outcome"],
        )
        .expect("valid histogram");
        let active_requests = IntGauge::new(
            "http_server_active_requests",
            "Requests on the public listener whose response is not ready yet.",
        )
        .expect("valid gauge");
        let connections_open = IntGauge::new(
            "ias_connections_open",
            "Client connections open on the public listener (at most IAS_MAX_CONNECTIONS).",
        )
        .expect("valid gauge");
        let exchanges_in_flight = IntGauge::new(
            "ias_exchanges_in_flight",
            "Exchanges with GitHub in flight (at most IAS_MAX_CONCURRENT_EXCHANGES).",
        )
        .expect("valid gauge");
        let connections_refused = IntCounterVec::new(
            Opts::new(
                "ias_connections_refused_total",
                "Connections to the public listener closed as soon as they were accepted: \
                 IAS_MAX_CONNECTIONS (reason limit) or IAS_MAX_CONNECTIONS_PER_CLIENT \
                 (reason per_client) were open.",
            ),
            &["reason"],
        )
        .expect("valid counter");
        let build_info = IntGaugeVec::new(
            Opts::new(
                "ias_build_info",
                "The server's version and the API version it serves; always 1.",
            ),
            &["version", "api_version"],
        )
        .expect("valid gauge");
        build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION"), ias_api::API_VERSION])
            .set(1);
        for metric in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(exchanges.clone()),
            Box::new(active_requests.clone()),
            Box::new(connections_open.clone()),
            Box::new(exchanges_in_flight.clone()),
            Box::new(connections_refused.clone()),
            Box::new(build_info),
        ] {
            registry.register(metric).expect("metric names are unique");
        }
        let route_ok = routes
            .iter()
            .map(|route| {
                let status = route.status.to_string();
                requests.with_label_values(&[route.method, route.path, status.as_str(), "ok"])
            })
            .collect();
        let exchanges = ExchangeSeries::new(&exchanges);
        Metrics {
            registry,
            requests,
            route_ok,
            exchanges,
            active_requests,
            connections_open,
            exchanges_in_flight,
            connections_refused: ["limit", "per_client"]
                .map(|reason| connections_refused.with_label_values(&[reason])),
        }
    }

    /// A request started (its headers are in).
    pub fn request_started(&self) {
        self.active_requests.inc();
    }

    /// A request was cancelled before its response was ready.
    pub fn request_cancelled(&self) {
        self.active_requests.dec();
    }

    /// A request to route `route` (an index of the routes given to
    /// [`Metrics::new`]) with its method was answered with its success
    /// status: the hot path, no label lookup.
    pub fn request_ok(&self, route: usize, took: Duration) {
        self.active_requests.dec();
        self.route_ok[route].observe(took.as_secs_f64());
    }

    /// Any other answer.
    pub fn request_answered(&self, labels: &Labels<'_>, took: Duration) {
        self.active_requests.dec();
        self.requests
            .with_label_values(&[
                labels.method,
                labels.route,
                labels.status.as_str(),
                labels.outcome.as_str(),
            ])
            .observe(took.as_secs_f64());
    }

    /// A connection was closed as soon as it was accepted; `per_client`: by
    /// `IAS_MAX_CONNECTIONS_PER_CLIENT`, else by `IAS_MAX_CONNECTIONS`.
    pub fn connection_refused(&self, per_client: bool) {
        self.connections_refused[usize::from(per_client)].inc();
    }

    /// An exchange ended (or was refused at capacity).
    pub fn exchange(&self, outcome: ExchangeOutcome, took: Duration) {
        self.exchanges.of(outcome).observe(took.as_secs_f64());
    }

    /// The text exposition, with the gauges read now.
    pub fn render(&self, now: &Readings) -> String {
        self.connections_open
            .set(i64::try_from(now.connections_open).unwrap_or(i64::MAX));
        self.exchanges_in_flight
            .set(i64::try_from(now.exchanges_in_flight).unwrap_or(i64::MAX));
        let mut families = self.registry.gather();
        let (name, help) = LOG_RECORDS_DROPPED;
        let dropped = IntCounter::new(name, help).expect("valid counter");
        dropped.inc_by(now.log_records_dropped);
        families.extend(dropped.collect());
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&families, &mut out)
            .expect("the text encoding of gathered metrics cannot fail");
        String::from_utf8(out).expect("the text encoding is UTF-8")
    }
}

/// The labels of one answered request.
pub struct Labels<'a> {
    /// A known method, or `_OTHER`.
    pub method: &'static str,
    /// A route template of the API, or `other`.
    pub route: &'a str,
    pub status: String,
    /// `ok`, the error's `group/code`, or `unrouted` for dropshot's own
    /// answers (404, 405) that have no group/code.
    pub outcome: String,
}

/// The method as a label: one of the standard methods, or `_OTHER` (so a
/// client cannot mint label values).
pub fn method_label(method: &http::Method) -> &'static str {
    use http::Method as M;
    match *method {
        M::GET => "GET",
        M::POST => "POST",
        M::PUT => "PUT",
        M::DELETE => "DELETE",
        M::HEAD => "HEAD",
        M::OPTIONS => "OPTIONS",
        M::PATCH => "PATCH",
        M::TRACE => "TRACE",
        M::CONNECT => "CONNECT",
        _ => "_OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The standard methods are their own label; any other is `_OTHER`, so
    /// a client cannot mint label values.
    #[test]
    fn methods_are_labelled_from_a_closed_set() {
        use http::Method as M;
        let standard = [
            (M::GET, "GET"),
            (M::POST, "POST"),
            (M::PUT, "PUT"),
            (M::DELETE, "DELETE"),
            (M::HEAD, "HEAD"),
            (M::OPTIONS, "OPTIONS"),
            (M::PATCH, "PATCH"),
            (M::TRACE, "TRACE"),
            (M::CONNECT, "CONNECT"),
        ];
        for (method, label) in standard {
            assert_eq!(method_label(&method), label);
        }
        for custom in ["PURGE", "get", "X-ANYTHING"] {
            assert_eq!(
                method_label(&M::from_bytes(custom.as_bytes()).unwrap()),
                "_OTHER"
            );
        }
    }

    #[test]
    fn each_exchange_outcome_has_its_own_series() {
        let metrics = Metrics::new(&ias_api::ROUTES);
        let outcomes = [
            (ExchangeOutcome::Token, "token", 1),
            (
                ExchangeOutcome::BadVerificationCode,
                "bad_verification_code",
                2,
            ),
            (
                ExchangeOutcome::UnverifiedUserEmail,
                "unverified_user_email",
                3,
            ),
            (ExchangeOutcome::Error, "error", 4),
            (ExchangeOutcome::Rejected, "rejected", 5),
        ];
        for (outcome, _, n) in outcomes {
            for _ in 0..n {
                metrics.exchange(outcome, Duration::ZERO);
            }
        }
        metrics.request_started();
        metrics.request_ok(0, Duration::from_millis(3));
        let readings = Readings {
            connections_open: 2,
            exchanges_in_flight: 1,
            log_records_dropped: 7,
        };
        let text = metrics.render(&readings);
        let route = &ias_api::ROUTES[0];
        let hot = format!(
            "http_server_request_duration_seconds_count{{http_request_method=\"{}\",http_response_status_code=\"{}\",http_route=\"{}\",outcome=\"ok\"}} 1",
            route.method, route.status, route.path
        );
        let mut expected: Vec<String> = outcomes
            .iter()
            .map(|(_, label, n)| {
                format!("ias_github_exchange_duration_seconds_count{{outcome=\"{label}\"}} {n}")
            })
            .collect();
        expected.extend(
            [
                hot.as_str(),
                "http_server_active_requests 0",
                "ias_connections_open 2",
                "ias_exchanges_in_flight 1",
                "# TYPE ias_log_records_dropped_total counter",
                "ias_log_records_dropped_total 7",
            ]
            .map(String::from),
        );
        for line in &expected {
            assert!(text.lines().any(|l| l == line), "{line:?} in\n{text}");
        }
        // Only each route's own success series is registered up front.
        let registered: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("http_server_request_duration_seconds_count"))
            .collect();
        assert_eq!(registered.len(), ias_api::ROUTES.len(), "{registered:?}");
        // The drop count is read, not added: the same reading scrapes the same.
        assert_eq!(metrics.render(&readings), text);
    }
}
