//! Integration-test harness for the IAS API: `ias-server` plus a local GitHub
//! stand-in, started in one call.
//!
//! [`TestEnv::start`] binds a [`GitHubStandIn`] and an in-process `ias-server`
//! on ephemeral loopback ports, points the server at the stand-in, and hands
//! back a ready [`ias_client::Client`]. Program the stand-in per code, call the
//! API, then read what GitHub received and what the server logged.
//!
//! Use it from another crate's integration tests with
//! `ias-testing = { path = ".../tests" }` under `[dev-dependencies]`:
//!
//! ```
//! use ias_client::types::{ExchangeAuthorizationCodeRequest, ExchangeAuthorizationCodeRequestProvider};
//! use ias_testing::{Behavior, TestEnv};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let env = TestEnv::start().await;
//! env.github.on_code("code-1", Behavior::token("gho_test_token"));
//! // A code issued to a PKCE flow needs its verifier:
//! // env.github.on_code_with_challenge("code-2", ias_testing::s256_challenge(VERIFIER), ...)
//!
//! let body = ExchangeAuthorizationCodeRequest {
//!     provider: ExchangeAuthorizationCodeRequestProvider::Github,
//!     code: "code-1".into(),
//!     code_verifier: None,
//! };
//! let response = env.client.exchange_authorization_code(&body).await.unwrap();
//! assert_eq!(response.into_inner().access_token.expose_secret(), "gho_test_token");
//!
//! // GitHub received the app's credentials in the body.
//! let received = env.github.received();
//! assert_eq!(received[0].body_params["client_id"], ias_testing::CLIENT_ID);
//! env.stop().await;
//! # }
//! ```

pub mod console;
pub mod process;

use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use github_standin::{
    s256_challenge, Behavior, GitHubError, GitHubStandIn, ReceivedRequest, StandInConfig,
    AUTHORIZE_PATH, TOKEN_PATH,
};
use ias_server::{Config, Server};

/// The OAuth app's client id the harness configures on both sides.
pub const CLIENT_ID: &str = "Iv1.ias-testing-client";
/// The OAuth app's client secret the harness configures on both sides.
pub const CLIENT_SECRET: &str = "ias-testing-secret-7d1b2c9e4f";

/// A loopback address whose port was free a moment ago: nothing listens
/// there (a "connection refused" target), or an address for a server to bind.
pub fn free_loopback_address() -> std::net::SocketAddr {
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port to bind");
    free.local_addr().expect("a bound listener's address")
}

/// How to start a [`TestEnv`]; `Default` is what [`TestEnv::start`] uses.
#[derive(Debug, Clone)]
pub struct TestEnvOptions {
    /// The app the stand-in accepts (default: [`CLIENT_ID`], [`CLIENT_SECRET`]).
    pub github_app: StandInConfig,
    /// The secret the server sends (default: [`CLIENT_SECRET`]); set another
    /// to test `incorrect_client_credentials`.
    pub server_client_secret: String,
    /// `redirect_uri` the server sends (default: none).
    pub redirect_uri: Option<String>,
    /// The server's total upstream timeout (default: 2 s, to keep tests short).
    pub upstream_timeout: Duration,
    /// Point the server somewhere other than the stand-in (e.g. a closed port,
    /// to test "connection refused"). Default: the stand-in.
    pub github_base_url: Option<String>,
    /// Where the server listens (default: `127.0.0.1:0`, an ephemeral port).
    pub bind_address: Option<std::net::SocketAddr>,
    /// Write the server's logs to stderr as well as keeping them for
    /// [`TestEnv::logs`] (default: keep only).
    pub log_to_stderr: bool,
}

impl Default for TestEnvOptions {
    fn default() -> Self {
        TestEnvOptions {
            github_app: StandInConfig::new(CLIENT_ID, CLIENT_SECRET),
            server_client_secret: CLIENT_SECRET.to_string(),
            redirect_uri: None,
            upstream_timeout: Duration::from_secs(2),
            github_base_url: None,
            bind_address: None,
            log_to_stderr: false,
        }
    }
}

/// A running server, its GitHub stand-in and a client for it.
pub struct TestEnv {
    /// The generated client, pointed at the server.
    pub client: ias_client::Client,
    /// The GitHub stand-in: program it with `on_code`, inspect `received()`.
    pub github: GitHubStandIn,
    /// The server's configuration.
    pub config: Config,
    server: Server,
    log: ias_server::ServerLog,
    logs: Arc<Mutex<Vec<u8>>>,
}

impl TestEnv {
    /// Starts with the default options; panics (with the reason) if it cannot.
    pub async fn start() -> TestEnv {
        Self::start_with(TestEnvOptions::default())
            .await
            .expect("start the IAS test environment")
    }

    /// Starts the stand-in, then the server pointed at it.
    pub async fn start_with(options: TestEnvOptions) -> anyhow::Result<TestEnv> {
        let github = GitHubStandIn::start(options.github_app).await?;
        let base_url = options.github_base_url.unwrap_or_else(|| github.base_url());
        let mut config = Config::for_github(&base_url, CLIENT_ID, &options.server_client_secret)?;
        config.github.redirect_uri = options.redirect_uri;
        config.upstream_timeout = options.upstream_timeout;
        if let Some(addr) = options.bind_address {
            config.bind_address = addr;
        }
        // The server's own log pipeline (level, query stripping, field
        // cuts, JSON), written here instead of to stderr.
        let logs = Arc::new(Mutex::new(Vec::new()));
        let capture = Capture {
            lines: Arc::clone(&logs),
            stderr: options.log_to_stderr,
        };
        let log = ias_server::logger_to(&config, capture)?;
        let server = ias_server::start(&config, &log)?;
        let client = ias_client::Client::new(&format!("http://{}", server.local_addr()));
        Ok(TestEnv {
            client,
            github,
            config,
            server,
            log,
            logs,
        })
    }

    /// `http://127.0.0.1:PORT` of the server.
    pub fn server_url(&self) -> String {
        format!("http://{}", self.server.local_addr())
    }

    /// `http://127.0.0.1:PORT` of the admin listener (probes, `/metrics`).
    pub fn admin_url(&self) -> String {
        let addr = self
            .server
            .admin_addr()
            .expect("the harness starts the admin listener");
        format!("http://{addr}")
    }

    /// Every log line the server wrote so far, each a JSON object as the
    /// server writes it (bunyan: `msg`, `level`, `req_id`, ...).
    pub fn logs(&self) -> Vec<serde_json::Value> {
        // Lines are written off the request path; wait for those queued.
        self.log.flush(Duration::from_secs(5));
        let bytes = self.logs.lock().unwrap_or_else(|e| e.into_inner()).clone();
        String::from_utf8(bytes)
            .expect("the log is UTF-8")
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    /// The log lines whose `msg` is `msg`.
    pub fn log_lines(&self, msg: &str) -> Vec<serde_json::Value> {
        self.logs()
            .into_iter()
            .filter(|l| l["msg"] == msg)
            .collect()
    }

    /// Sends `POST /oauth/token` with a raw body, for requests the typed
    /// client cannot make. `content_type: None` sends no `Content-Type`.
    pub async fn post_raw(
        &self,
        body: impl Into<reqwest::Body>,
        content_type: Option<&str>,
    ) -> RawResponse {
        let mut request = reqwest::Client::new()
            .post(format!("{}/oauth/token", self.server_url()))
            .body(body);
        if let Some(ct) = content_type {
            request = request.header(reqwest::header::CONTENT_TYPE, ct);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response.text().await.expect("the answer has a body");
        RawResponse {
            status,
            content_type,
            body,
        }
    }

    /// Sends `POST /oauth/token` with a JSON body in HTTP/1.1 chunks
    /// (`Transfer-Encoding: chunked`, no `Content-Length`): the body limit
    /// then holds on the bytes as they arrive, not on an announced length.
    pub async fn post_chunked(&self, chunks: Vec<Vec<u8>>) -> RawResponse {
        use std::io::{Read, Write};
        let addr = self.server.local_addr();
        let exchange = move || {
            let mut request = b"POST /oauth/token HTTP/1.1\r\nHost: ias\r\n\
                Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\
                Connection: close\r\n\r\n"
                .to_vec();
            for chunk in chunks.iter().chain([&Vec::new()]) {
                request.extend(format!("{:x}\r\n", chunk.len()).bytes());
                request.extend(chunk);
                request.extend(b"\r\n");
            }
            let mut stream = std::net::TcpStream::connect(addr)?;
            stream.set_read_timeout(Some(Duration::from_secs(10)))?;
            stream.write_all(&request)?;
            let mut answer = Vec::new();
            stream.read_to_end(&mut answer)?;
            std::io::Result::Ok(answer)
        };
        // Blocking I/O off the runtime, which also serves the server.
        let answer = tokio::task::spawn_blocking(exchange)
            .await
            .expect("the exchange thread ends")
            .expect("the server answers");
        let text = String::from_utf8(answer).expect("the answer is text");
        let (head, body) = text.split_once("\r\n\r\n").expect("a complete answer");
        let header = |name: &str| {
            head.lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_string())
        };
        assert_eq!(
            header("content-length").map(|n| n.parse::<usize>()),
            Some(Ok(body.len())),
            "the answer has a Content-Length and that many bytes: {text}"
        );
        RawResponse {
            status: head[9..12].parse().expect("a status line"),
            content_type: header("content-type"),
            body: body.to_string(),
        }
    }

    /// Stops the server gracefully (requests in flight finish), then the stand-in.
    pub async fn stop(self) {
        self.server.close().await.expect("the server stops cleanly");
    }
}

/// An answer to [`TestEnv::post_raw`].
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The body text.
    pub body: String,
}

impl RawResponse {
    /// The body decoded as the generated client's `ErrStatusMsg`; panics with
    /// the body when it is not one.
    pub fn error(&self) -> ias_client::types::ErrStatusMsg {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not an ErrStatusMsg ({e}): {}", self.body))
    }
}

/// Where the harness's server writes its log: kept, and copied to stderr
/// when asked.
struct Capture {
    lines: Arc<Mutex<Vec<u8>>>,
    stderr: bool,
}

impl std::io::Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        if self.stderr {
            let _ = std::io::stderr().write_all(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
