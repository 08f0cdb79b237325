//! The development console behind a local gateway that mirrors production:
//! one origin serves the console page and forwards `/api/v1/*` to
//! ias-server (the spec's `servers` URL, `https://console.gmicloud.ai/api/v1`),
//! so the page calls the API same-origin and no CORS is involved, as in
//! production. `ias-dev` (`cargo xtask serve`) runs it; the browser tests
//! (`npm run browser` in `crates/ias-client/typescript`) drive it.
//!
//! What it serves, from the TypeScript package ([`Site::package`]):
//!
//! | path | what |
//! |---|---|
//! | `/` | `console/index.html`, the page |
//! | `/console.css` | `console/console.css` |
//! | `/console.json` | [`Site`]'s settings for the page: the authorize URL, the client id, the redirect URI |
//! | `/app/…​.js` | the page's script and the TypeScript client, as `tsc` built them into `dist/` (`npm run build`) |
//! | `/vendor/openapi-fetch.mjs` | openapi-fetch from `node_modules` (the page's import map names it) |
//! | `/api/v1/…` | forwarded to ias-server without the prefix, headers and body as sent (hop-by-hop headers dropped) |
//!
//! The gateway logs nothing and keeps no bodies: what crosses it (codes,
//! verifiers, tokens) is seen only by the page and the server.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use sha2::Digest as _;
use tokio::net::TcpListener;

/// Where the API is on the console's origin (the path of the spec's `servers` URL).
pub const API_PREFIX: &str = "/api/v1";
/// The largest request body the gateway forwards (the server's own limit is smaller).
pub const MAX_FORWARDED_BODY: usize = 64 * 1024;
/// How long the gateway waits for ias-server's answer.
pub const FORWARD_TIMEOUT: Duration = Duration::from_secs(30);

/// What the console needs to know, and where its files are.
#[derive(Debug, Clone)]
pub struct Site {
    /// The TypeScript package (`crates/ias-client/typescript`): `console/`,
    /// `dist/` and `node_modules/` under it.
    pub package: PathBuf,
    /// ias-server's root, `http://127.0.0.1:PORT`.
    pub api: String,
    /// GitHub's (the stand-in's) authorize page.
    pub authorize_url: String,
    /// The OAuth app's client id.
    pub client_id: String,
}

impl Site {
    /// The built script the page loads, or `None` with what to run when the
    /// package is not built.
    pub fn missing_build(&self) -> Option<String> {
        let script = self.package.join("dist/console/app.js");
        let fetch = self
            .package
            .join("node_modules/openapi-fetch/dist/index.mjs");
        if script.is_file() && fetch.is_file() {
            return None;
        }
        Some(format!(
            "the console page is not built ({} or {} is missing): run `npm ci && npm run build` in {} (Node.js 20 and npm; `cargo xtask serve` does it)",
            script.display(),
            fetch.display(),
            self.package.display()
        ))
    }
}

/// The gateway's listener, bound but not yet serving: its URL is the
/// console's origin, which the OAuth app registers as its redirect URI
/// before anything else starts.
pub struct GatewayListener(TcpListener);

impl GatewayListener {
    /// Binds `addr` (`127.0.0.1:0` for an ephemeral port).
    pub async fn bind(addr: SocketAddr) -> std::io::Result<Self> {
        TcpListener::bind(addr).await.map(GatewayListener)
    }

    /// `http://HOST:PORT/`, the console page and its redirect URI.
    pub fn url(&self) -> String {
        let addr = self
            .0
            .local_addr()
            .expect("a bound listener has an address");
        format!("http://{addr}/")
    }

    /// Serves `site` until the returned [`Gateway`] is dropped.
    pub fn serve(self, site: Site) -> Gateway {
        let url = self.url();
        let state = Arc::new(Shared {
            redirect_uri: url.clone(),
            site,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(FORWARD_TIMEOUT)
                .build()
                .expect("a reqwest client without TLS settings builds"),
        });
        let task = tokio::spawn(accept_loop(self.0, state));
        Gateway { url, task }
    }
}

/// A serving gateway; dropping it stops it.
pub struct Gateway {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Gateway {
    /// `http://HOST:PORT/`, the console page.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What every connection of the gateway shares.
struct Shared {
    site: Site,
    redirect_uri: String,
    http: reqwest::Client,
}

async fn accept_loop(listener: TcpListener, state: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors, say: try again shortly.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let state = Arc::clone(&state);
                async move { Ok::<_, Infallible>(answer(req, &state).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

type Answer = Response<Full<Bytes>>;

async fn answer(req: Request<Incoming>, state: &Shared) -> Answer {
    let path = req.uri().path();
    if path
        .strip_prefix(API_PREFIX)
        .is_some_and(|rest| rest.starts_with('/'))
    {
        return forward(req, state).await;
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return text(
            StatusCode::METHOD_NOT_ALLOWED,
            "The console's files are read with GET.\n",
        );
    }
    let package = &state.site.package;
    match path {
        "/" => page(&package.join("console/index.html")),
        "/console.css" => file(&package.join("console/console.css"), "text/css"),
        "/console.json" => {
            let settings = serde_json::json!({
                "authorizeUrl": state.site.authorize_url,
                "clientId": state.site.client_id,
                "redirectUri": state.redirect_uri,
            });
            with_static_headers(
                Response::new(Full::from(settings.to_string())),
                "application/json",
            )
        }
        "/vendor/openapi-fetch.mjs" => file(
            &package.join("node_modules/openapi-fetch/dist/index.mjs"),
            "text/javascript",
        ),
        _ => match path.strip_prefix("/app/").filter(|p| is_script_path(p)) {
            Some(script) => file(&package.join("dist").join(script), "text/javascript"),
            None => text(StatusCode::NOT_FOUND, "No such page on the console.\n"),
        },
    }
}

/// A path below `dist/` the page may load: `.js` files, plain names, no `..`.
fn is_script_path(path: &str) -> bool {
    path.ends_with(".js")
        && path.split('/').all(|segment| {
            !segment.is_empty()
                && !segment.starts_with('.')
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        })
}

/// The page, with a Content-Security-Policy that allows its own origin's
/// scripts and its inline import map (by hash) and nothing else.
fn page(path: &Path) -> Answer {
    let html = match std::fs::read_to_string(path) {
        Ok(html) => html,
        Err(e) => return unreadable(path, &e),
    };
    let import_map = html
        .split_once("<script type=\"importmap\">")
        .and_then(|(_, rest)| rest.split_once("</script>"))
        .map(|(map, _)| {
            use base64::Engine as _;
            let digest = sha2::Sha256::digest(map.as_bytes());
            format!(
                " 'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .unwrap_or_default();
    let policy = format!(
        "default-src 'none'; script-src 'self'{import_map}; style-src 'self'; connect-src 'self'; \
         img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    );
    let mut answer =
        with_static_headers(Response::new(Full::from(html)), "text/html; charset=utf-8");
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        answer
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    answer
}

fn file(path: &Path, content_type: &'static str) -> Answer {
    match std::fs::read(path) {
        Ok(bytes) => with_static_headers(Response::new(Full::from(bytes)), content_type),
        Err(e) => unreadable(path, &e),
    }
}

fn unreadable(path: &Path, e: &std::io::Error) -> Answer {
    text(
        StatusCode::NOT_FOUND,
        &format!(
            "{} cannot be read ({e}). Build the console: `npm ci && npm run build` in the TypeScript package (`cargo xtask serve` does it).\n",
            path.display()
        ),
    )
}

fn text(status: StatusCode, body: &str) -> Answer {
    let mut answer = with_static_headers(
        Response::new(Full::from(body.to_string())),
        "text/plain; charset=utf-8",
    );
    *answer.status_mut() = status;
    answer
}

/// Never cached (the files change as you edit them), never sniffed, and the
/// page's address (which holds `?code=` for a moment) never sent as a referrer.
fn with_static_headers(mut answer: Answer, content_type: &'static str) -> Answer {
    let headers = answer.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    answer
}

/// Headers that belong to one connection, not to the request (RFC 9110 §7.6.1),
/// and those the forwarded request gets anew.
fn is_hop_by_hop(name: &HeaderName) -> bool {
    [
        header::CONNECTION,
        header::TE,
        header::TRAILER,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
        header::PROXY_AUTHORIZATION,
        header::PROXY_AUTHENTICATE,
        header::HOST,
        header::CONTENT_LENGTH,
    ]
    .contains(name)
        || name.as_str() == "keep-alive"
}

/// `/api/v1/REST` → ias-server's `/REST`, query kept.
async fn forward(req: Request<Incoming>, state: &Shared) -> Answer {
    let (parts, body) = req.into_parts();
    let rest = &parts.uri.path()[API_PREFIX.len()..];
    let query = parts
        .uri
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let target = format!("{}{rest}{query}", state.site.api);
    let body = match Limited::new(body, MAX_FORWARDED_BODY).collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            return text(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("The gateway forwards bodies of at most {MAX_FORWARDED_BODY} bytes.\n"),
            )
        }
    };
    let mut request = state.http.request(parts.method, &target).body(body);
    for (name, value) in &parts.headers {
        if !is_hop_by_hop(name) {
            request = request.header(name, value);
        }
    }
    let upstream = match request.send().await {
        Ok(upstream) => upstream,
        Err(e) => {
            return text(
                StatusCode::BAD_GATEWAY,
                &format!(
                    "The gateway cannot reach ias-server at {}: {}.\n",
                    state.site.api,
                    error_chain(&e)
                ),
            )
        }
    };
    let status = upstream.status();
    let headers = upstream.headers().clone();
    let body = match upstream.bytes().await {
        Ok(body) => body,
        Err(e) => {
            return text(
                StatusCode::BAD_GATEWAY,
                &format!("ias-server's answer broke off: {}.\n", error_chain(&e)),
            )
        }
    };
    let mut answer = Response::new(Full::new(body));
    *answer.status_mut() = status;
    for (name, value) in &headers {
        if !is_hop_by_hop(name) {
            answer.headers_mut().append(name, value.clone());
        }
    }
    answer
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::is_script_path;

    #[test]
    fn scripts_are_plain_js_paths_below_dist() {
        for (path, allowed) in [
            ("console/app.js", true),
            ("src/index.js", true),
            ("src/errors.js", true),
            ("console/app.js.map", false),
            ("../package.json", false),
            ("console/../../secret.js", false),
            ("console//app.js", false),
            (".hidden/app.js", false),
            ("console/a%2e.js", false),
            ("", false),
        ] {
            assert_eq!(is_script_path(path), allowed, "{path}");
        }
    }
}
