//! A local stand-in for GitHub's OAuth token endpoint, for tests and development.
//!
//! [`GitHubStandIn::start`] serves `POST /login/oauth/access_token` on
//! `127.0.0.1` (an ephemeral port) and behaves as GitHub documents in
//! "Authorizing OAuth apps" and "Troubleshooting OAuth app access token request
//! errors":
//!
//! - parameters come from the body (form-encoded or JSON) or the query string;
//! - the answer is JSON when `Accept` asks for `application/json`, XML for
//!   `application/xml`, and form-encoded otherwise;
//! - failures are HTTP 200 with an `error` field;
//! - a wrong `client_id`/`client_secret` gives `incorrect_client_credentials`,
//!   a `redirect_uri` other than the configured one `redirect_uri_mismatch`,
//!   an unknown or already used code `bad_verification_code` (codes are
//!   single-use);
//! - PKCE (RFC 7636, S256 only, as GitHub supports it): a code issued for a
//!   challenge ([`GitHubStandIn::on_code_with_challenge`]) exchanges only with
//!   the `code_verifier` whose [`s256_challenge`] it is; a missing or wrong
//!   verifier gives `bad_verification_code`.
//!
//! The browser half of the web flow is there too: `GET` [`AUTHORIZE_PATH`]
//! answers a consent page (Authorize / Cancel) that redirects to the app's
//! `redirect_uri` with a fresh code and the `state`, or with
//! `error=access_denied`; the code remembers the flow's PKCE challenge.
//!
//! Each code can be programmed ([`Behavior`]): a token, any GitHub error,
//! latency, an HTTP status, a malformed body, a connection reset. Every request
//! is recorded ([`GitHubStandIn::received`]) so tests can check what reached it.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use github_standin::{Behavior, GitHubStandIn, StandInConfig};
//!
//! let github = GitHubStandIn::start(StandInConfig::new("my-client-id", "my-secret")).await?;
//! github.on_code("good-code", Behavior::token("gho_token"));
//! // point the server at github.base_url(), then exchange "good-code" ...
//! assert_eq!(github.received().len(), 0);
//! # Ok(()) }
//! ```

mod authorize;

pub use authorize::AUTHORIZE_PATH;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The OAuth app the stand-in accepts.
#[derive(Clone)]
pub struct StandInConfig {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: String,
    /// When set, a request whose `redirect_uri` differs gets `redirect_uri_mismatch`.
    pub redirect_uri: Option<String>,
}

impl StandInConfig {
    /// An app with these credentials and no redirect URI check.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        StandInConfig {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            redirect_uri: None,
        }
    }

    /// Also require this `redirect_uri`.
    pub fn with_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = Some(uri.into());
        self
    }
}

impl std::fmt::Debug for StandInConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StandInConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

/// The errors GitHub's token endpoint documents (HTTP 200 + `error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitHubError {
    /// The code is wrong, expired or used.
    BadVerificationCode,
    /// `client_id` or `client_secret` is wrong.
    IncorrectClientCredentials,
    /// `redirect_uri` does not match the app's.
    RedirectUriMismatch,
    /// The user's primary email is not verified.
    UnverifiedUserEmail,
    /// Any other `error` value (e.g. `application_suspended`).
    Other(String),
}

impl GitHubError {
    /// The `error` field's value.
    pub fn code(&self) -> &str {
        match self {
            GitHubError::BadVerificationCode => "bad_verification_code",
            GitHubError::IncorrectClientCredentials => "incorrect_client_credentials",
            GitHubError::RedirectUriMismatch => "redirect_uri_mismatch",
            GitHubError::UnverifiedUserEmail => "unverified_user_email",
            GitHubError::Other(code) => code,
        }
    }

    /// GitHub's `error_description` for it.
    pub fn description(&self) -> &str {
        match self {
            GitHubError::BadVerificationCode => "The code passed is incorrect or expired.",
            GitHubError::IncorrectClientCredentials => {
                "The client_id and/or client_secret passed are incorrect."
            }
            GitHubError::RedirectUriMismatch => {
                "The redirect_uri MUST match the registered callback URL for this application."
            }
            GitHubError::UnverifiedUserEmail => "The user must have a verified primary email.",
            GitHubError::Other(_) => "An error occurred.",
        }
    }
}

/// What the stand-in does for one authorization code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behavior {
    /// Success, once: `access_token` is this token; the code is then used up.
    Token(String),
    /// Success every time (GitHub's codes work once; this is for development
    /// servers, where a demo request should keep working).
    ReusableToken(String),
    /// HTTP 200 with this `error`.
    Error(GitHubError),
    /// This HTTP status with a short JSON body, as a failing gateway would send.
    Status(u16),
    /// HTTP 200 with a body that is not what `Accept` asked for and does not parse.
    MalformedBody,
    /// HTTP 200, valid JSON, but neither `access_token` nor `error`.
    EmptyJson,
    /// HTTP 200 with this `Content-Type` and body, as they are.
    Body {
        /// The `Content-Type` header's value.
        content_type: String,
        /// The body.
        body: String,
    },
    /// The TCP connection is reset (RST) without an answer.
    ResetConnection,
    /// Wait, then do the inner behavior.
    Delay(Duration, Box<Behavior>),
}

impl Behavior {
    /// Success with this token.
    pub fn token(token: impl Into<String>) -> Self {
        Behavior::Token(token.into())
    }

    /// Whether the code is used up afterwards (a success, delayed or not).
    fn is_single_use(&self) -> bool {
        match self {
            Behavior::Token(_) => true,
            Behavior::Delay(_, inner) => inner.is_single_use(),
            _ => false,
        }
    }

    /// Wait `delay`, then behave as `then`.
    pub fn delayed(delay: Duration, then: Behavior) -> Self {
        Behavior::Delay(delay, Box::new(then))
    }
}

/// One request the stand-in received.
#[derive(Debug, Clone)]
pub struct ReceivedRequest {
    /// `POST`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string, if any (credentials must not be here).
    pub query: Option<String>,
    /// The `Accept` header.
    pub accept: Option<String>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The parameters found in the body (form-encoded or JSON).
    pub body_params: HashMap<String, String>,
}

struct State {
    connections: usize,
    config: StandInConfig,
    codes: HashMap<String, Behavior>,
    /// PKCE: the S256 challenge each code was issued for.
    challenges: HashMap<String, String>,
    received: Vec<ReceivedRequest>,
    /// The consent page's authorizations awaiting a decision, by id.
    pending: HashMap<String, authorize::Pending>,
    /// Numbers the page's authorizations and the codes it issues.
    authorizations: u64,
    /// What a code the consent page issues does (default: a fresh token).
    on_authorize: Option<Behavior>,
}

/// PKCE's S256 challenge of a verifier: `BASE64URL(SHA-256(verifier))`,
/// without padding (RFC 7636 §4.2).
pub fn s256_challenge(verifier: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

/// A running stand-in; it stops when dropped.
pub struct GitHubStandIn {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for GitHubStandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The path GitHub serves the token exchange at.
pub const TOKEN_PATH: &str = "/login/oauth/access_token";

impl GitHubStandIn {
    /// Binds `127.0.0.1:0` and starts serving.
    pub async fn start(config: StandInConfig) -> std::io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
    }

    /// Binds `addr` (keep it on loopback) and starts serving.
    pub async fn start_on(addr: SocketAddr, config: StandInConfig) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            connections: 0,
            config,
            codes: HashMap::new(),
            challenges: HashMap::new(),
            received: Vec::new(),
            pending: HashMap::new(),
            authorizations: 0,
            on_authorize: None,
        }));
        let task = tokio::spawn(accept_loop(listener, state.clone()));
        Ok(GitHubStandIn { addr, state, task })
    }

    /// `http://127.0.0.1:PORT`: the server's `github_base_url`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Programs what happens when `code` is exchanged (replacing any earlier program).
    pub fn on_code(&self, code: impl Into<String>, behavior: Behavior) {
        let code = code.into();
        let mut st = self.lock();
        st.challenges.remove(&code);
        st.codes.insert(code, behavior);
    }

    /// As [`GitHubStandIn::on_code`], for a code issued to a flow started with
    /// PKCE's `code_challenge` (S256): the exchange must send the verifier
    /// whose [`s256_challenge`] is `challenge`, else `bad_verification_code`.
    pub fn on_code_with_challenge(
        &self,
        code: impl Into<String>,
        challenge: impl Into<String>,
        behavior: Behavior,
    ) {
        let code = code.into();
        let mut st = self.lock();
        st.challenges.insert(code.clone(), challenge.into());
        st.codes.insert(code, behavior);
    }

    /// What each code the consent page ([`AUTHORIZE_PATH`]) issues from now
    /// on does when exchanged (by default a fresh single-use token
    /// `gho_standin_N`); the code keeps the flow's PKCE challenge either way.
    pub fn on_authorize(&self, behavior: Behavior) {
        self.lock().on_authorize = Some(behavior);
    }

    /// The requests received so far, oldest first.
    pub fn received(&self) -> Vec<ReceivedRequest> {
        self.lock().received.clone()
    }

    /// How many TCP connections were accepted (a pooling client reuses one).
    pub fn connections(&self) -> usize {
        self.lock().connections
    }

    /// The app configuration in force.
    pub fn config(&self) -> StandInConfig {
        self.lock().config.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<Mutex<State>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        state.lock().unwrap_or_else(|e| e.into_inner()).connections += 1;
        let state = state.clone();
        tokio::spawn(async move {
            // A second handle on the socket, to set SO_LINGER=0 (so closing
            // sends RST) when a behavior asks for a reset.
            let Ok(handle) = stream.into_std().and_then(|s| Ok((s.try_clone()?, s))) else {
                return;
            };
            let (linger_handle, std_stream) = handle;
            let Ok(stream) = tokio::net::TcpStream::from_std(std_stream) else {
                return;
            };
            let (reset_tx, reset_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
            let service = hyper::service::service_fn(move |req| {
                let state = state.clone();
                let reset_tx = reset_tx.clone();
                async move { Ok::<_, Infallible>(handle_request(req, state, reset_tx).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            let mut reset_rx = reset_rx;
            tokio::select! {
                _ = &mut conn => {}
                Some(()) = reset_rx.recv() => {
                    let _ = socket2::SockRef::from(&linger_handle).set_linger(Some(Duration::ZERO));
                    // Returning drops `conn` (and the stream): the close sends RST.
                }
            }
        });
    }
}

type Answer = Response<Full<Bytes>>;

async fn handle_request(
    req: Request<Incoming>,
    state: Arc<Mutex<State>>,
    reset: tokio::sync::mpsc::UnboundedSender<()>,
) -> Answer {
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let header = |name: hyper::header::HeaderName| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let accept = header(hyper::header::ACCEPT);
    let content_type = header(hyper::header::CONTENT_TYPE);
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let body_params = parse_params(content_type.as_deref(), &body);
    let mut params = query.as_deref().map(parse_form).unwrap_or_default();
    params.extend(body_params.clone());

    let behavior = {
        let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
        st.received.push(ReceivedRequest {
            method: method.clone(),
            path: path.clone(),
            query,
            accept: accept.clone(),
            content_type,
            body_params,
        });
        match (path.as_str(), method.as_str()) {
            (TOKEN_PATH, "POST") => {}
            (AUTHORIZE_PATH, "GET") => return authorize::page(&params, &mut st),
            (AUTHORIZE_PATH, "POST") => return authorize::decide(&params, &mut st),
            _ => return plain(StatusCode::NOT_FOUND, "Not Found"),
        }
        let param = |k: &str| params.get(k).map(String::as_str);
        if param("client_id") != Some(st.config.client_id.as_str())
            || param("client_secret") != Some(st.config.client_secret.as_str())
        {
            Behavior::Error(GitHubError::IncorrectClientCredentials)
        } else if st.config.redirect_uri.is_some()
            && param("redirect_uri").is_some_and(|r| Some(r) != st.config.redirect_uri.as_deref())
        {
            Behavior::Error(GitHubError::RedirectUriMismatch)
        } else {
            let code = param("code").unwrap_or_default().to_string();
            let unknown = Behavior::Error(GitHubError::BadVerificationCode);
            let verified = match st.challenges.get(&code) {
                None => true,
                Some(challenge) => {
                    param("code_verifier").is_some_and(|v| s256_challenge(v) == *challenge)
                }
            };
            let behavior = match st.codes.get(&code) {
                Some(behavior) if verified => behavior.clone(),
                _ => unknown.clone(),
            };
            if behavior.is_single_use() {
                // A code works once, as on GitHub.
                st.codes.insert(code, unknown);
            }
            behavior
        }
    };
    answer(behavior, accept.as_deref(), reset).await
}

async fn answer(
    mut behavior: Behavior,
    accept: Option<&str>,
    reset: tokio::sync::mpsc::UnboundedSender<()>,
) -> Answer {
    while let Behavior::Delay(d, inner) = behavior {
        tokio::time::sleep(d).await;
        behavior = *inner;
    }
    let fields: Vec<(&str, String)> = match &behavior {
        Behavior::Token(token) | Behavior::ReusableToken(token) => vec![
            ("access_token", token.clone()),
            ("scope", String::new()),
            ("token_type", "bearer".to_string()),
        ],
        Behavior::Error(e) => vec![
            ("error", e.code().to_string()),
            ("error_description", e.description().to_string()),
            (
                "error_uri",
                "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors"
                    .to_string(),
            ),
        ],
        Behavior::Status(status) => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return typed(status, "application/json", r#"{"message":"Server Error"}"#.into());
        }
        Behavior::MalformedBody => {
            return typed(StatusCode::OK, "application/json", "<html><body>Unicorn! Something went wrong</body>".into());
        }
        Behavior::EmptyJson => return typed(StatusCode::OK, "application/json", "{}".into()),
        Behavior::Body { content_type, body } => {
            return typed(StatusCode::OK, content_type, body.clone())
        }
        Behavior::ResetConnection => {
            let _ = reset.send(());
            // Never answer: the connection task resets the connection.
            std::future::pending::<()>().await;
            unreachable!()
        }
        Behavior::Delay(..) => unreachable!("delays were unwrapped above"),
    };
    let accept = accept.unwrap_or_default().to_ascii_lowercase();
    if accept.contains("application/json") {
        let object: serde_json::Map<String, serde_json::Value> = fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::String(v)))
            .collect();
        typed(
            StatusCode::OK,
            "application/json; charset=utf-8",
            serde_json::Value::Object(object).to_string(),
        )
    } else if accept.contains("application/xml") {
        let inner: String = fields
            .iter()
            .map(|(k, v)| format!("<{k}>{}</{k}>", markup_escape(v)))
            .collect();
        typed(
            StatusCode::OK,
            "application/xml; charset=utf-8",
            format!("<OAuth>{inner}</OAuth>"),
        )
    } else {
        let form = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        typed(
            StatusCode::OK,
            "application/x-www-form-urlencoded; charset=utf-8",
            form,
        )
    }
}

fn typed(status: StatusCode, content_type: &str, body: String) -> Answer {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_str(content_type).expect("static content type"),
    );
    r
}

fn plain(status: StatusCode, text: &str) -> Answer {
    typed(status, "text/plain", text.to_string())
}

fn parse_params(content_type: Option<&str>, body: &[u8]) -> HashMap<String, String> {
    if content_type.is_some_and(|c| ias_api::is_media_type(c, "application/json")) {
        match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body) {
            Ok(map) => map
                .into_iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
                .collect(),
            Err(_) => HashMap::new(),
        }
    } else {
        parse_form(&String::from_utf8_lossy(body))
    }
}

fn parse_form(text: &str) -> HashMap<String, String> {
    form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

/// Text made safe for XML and HTML, in element content and in quoted
/// attribute values alike.
fn markup_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod pkce_tests {
    /// RFC 7636 Appendix B.
    #[test]
    fn s256_challenge_is_the_rfc_example() {
        assert_eq!(
            super::s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
