//! THE YARDSTICK — a minimal exchange server written for the bench only, as
//! the measure of what an exchange costs without a framework. It is not
//! shipped and serves nothing but `cargo xtask bench`.
//!
//! hyper 1 (HTTP/1.1, keep-alive) + one pooled reqwest client: it reads the
//! JSON body (at most 8 KiB), checks `provider` and `code`, posts the same form
//! to the same token endpoint as ias-server, reads GitHub's JSON answer, and
//! answers `200 {"accessToken": ...}` or a 400/500 JSON error; one JSON log
//! line per request, written to stderr with one `write(2)`.

use std::convert::Infallible;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Deserialize;

/// The yardstick's settings (`ias-bench yardstick --help`).
#[derive(clap::Args)]
pub struct Args {
    /// The GitHub (stand-in) base URL.
    #[arg(long)]
    github: String,
    #[arg(long)]
    client_id: String,
    #[arg(long)]
    client_secret: String,
}

struct App {
    http: reqwest::Client,
    token_url: String,
    client_id: String,
    client_secret: String,
    next_id: AtomicU64,
}

#[derive(Deserialize)]
struct ExchangeRequest {
    provider: Option<String>,
    code: Option<String>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    error: Option<String>,
}

pub async fn serve(args: Args) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let app = Arc::new(App {
        http: reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()?,
        token_url: format!(
            "{}/login/oauth/access_token",
            args.github.trim_end_matches('/')
        ),
        client_id: args.client_id,
        client_secret: args.client_secret,
        next_id: AtomicU64::new(0),
    });
    log_line(&format!(
        "{{\"msg\":\"listening\",\"local_addr\":\"{}\"}}\n",
        listener.local_addr()?
    ));
    loop {
        let (stream, _) = listener.accept().await?;
        let app = Arc::clone(&app);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let app = Arc::clone(&app);
                async move { Ok::<_, Infallible>(app.handle(req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

impl App {
    async fn handle(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let started = Instant::now();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let method = req.method().clone();
        let path = req.uri().path().to_string();
        let (status, body) = if method != hyper::Method::POST || path != "/oauth/token" {
            (StatusCode::NOT_FOUND, error("request", 0, "Not Found"))
        } else {
            self.exchange(req).await
        };
        log_line(&format!(
            "{{\"msg\":\"request completed\",\"time\":{},\"req_id\":{id},\"method\":\"{method}\",\"uri\":{},\"response_code\":{},\"latency_us\":{}}}\n",
            SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis(),
            serde_json::Value::from(path),
            status.as_u16(),
            started.elapsed().as_micros()
        ));
        Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .header("cache-control", "no-store")
            .body(Full::new(body))
            .unwrap_or_default()
    }

    async fn exchange(&self, req: Request<Incoming>) -> (StatusCode, Bytes) {
        let Ok(body) = Limited::new(req.into_body(), 8 * 1024).collect().await else {
            return (
                StatusCode::BAD_REQUEST,
                error("request", 0, "body too large"),
            );
        };
        let parsed: ExchangeRequest = match serde_json::from_slice(&body.to_bytes()) {
            Ok(p) => p,
            Err(_) => return (StatusCode::BAD_REQUEST, error("request", 0, "invalid body")),
        };
        let (Some(provider), Some(code)) = (parsed.provider, parsed.code) else {
            return (
                StatusCode::BAD_REQUEST,
                error("request", 0, "missing field"),
            );
        };
        if provider != "github" {
            return (
                StatusCode::BAD_REQUEST,
                error("oauth", 0, "unsupported provider"),
            );
        }
        let answer = self
            .http
            .post(&self.token_url)
            .header("accept", "application/json")
            .form(&[
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.client_secret.as_str()),
                ("code", code.as_str()),
            ])
            .send()
            .await;
        let answer = match answer {
            Ok(r) => r.bytes().await,
            Err(e) => Err(e),
        };
        let Ok(answer) = answer else {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                error("oauth", 1200, "exchange failed"),
            );
        };
        match serde_json::from_slice::<TokenAnswer>(&answer) {
            Ok(TokenAnswer {
                access_token: Some(token),
                error: None,
            }) => (
                StatusCode::OK,
                Bytes::from(serde_json::json!({ "accessToken": token }).to_string()),
            ),
            Ok(_) => (StatusCode::BAD_REQUEST, error("oauth", 2, "invalid code")),
            Err(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                error("oauth", 1200, "bad answer"),
            ),
        }
    }
}

fn error(group: &str, code: i64, message: &str) -> Bytes {
    Bytes::from(serde_json::json!({"group": group, "code": code, "message": message}).to_string())
}

/// One `write(2)` per line, like a lean server's logger.
fn log_line(line: &str) {
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}
