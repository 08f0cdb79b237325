//! Configuration: an optional TOML file, then `IAS_*` environment variables.
//!
//! Each setting is one row of [`SETTINGS`]: its variable, its TOML key, what
//! applies when it is not set, its help line, how it is parsed into
//! [`Config`] and how it is shown. The environment lookup, the TOML lookup,
//! `--help`'s list and `--check-config`'s output all come from that table.
//!
//! Every problem is reported with the setting it concerns (the environment
//! variable, or `FILE:LINE: key`) and what to do, before the server binds.

mod error;
mod file;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use reqwest::Url;
use secrecy::SecretString;
use serde::Deserialize;
use WhenUnset::{Nothing, Required, Use};

pub use error::{ConfigError, Origin};

/// The connect timeout is this, or the total timeout when that is shorter.
pub const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The server's settings, validated. Each field's variable and TOML key are
/// in [`SETTINGS`].
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the public API listens.
    pub bind_address: SocketAddr,
    /// The admin listener (probes, metrics), or None (`off`).
    pub admin_address: Option<SocketAddr>,
    /// trace, debug, info, warn, error, critical.
    pub log_level: dropshot::ConfigLoggingLevel,
    /// Total time for one GitHub exchange.
    pub upstream_timeout: Duration,
    /// A connection with no request in progress is closed after this.
    pub idle_timeout: Duration,
    /// A request's headers and body must arrive within this of its first byte.
    pub request_timeout: Duration,
    /// Open client connections, at most.
    pub max_connections: usize,
    /// Open connections from one client address, at most (None: no such cap).
    pub max_connections_per_client: Option<usize>,
    /// Exchanges in flight with GitHub, at most.
    pub max_concurrent_exchanges: usize,
    /// Serving goes on this long after SIGTERM/SIGINT.
    pub shutdown_delay: Duration,
    /// Then requests in flight have this long to finish.
    pub shutdown_timeout: Duration,
    /// Whether a client's `X-Request-Id` becomes the request's id (behind a
    /// gateway that sets it); otherwise the server's own id is used.
    pub trust_request_id: bool,
    /// The GitHub OAuth app.
    pub github: GitHubConfig,
    /// What is allowed but unwise (a secret file others can read), for the log
    /// and `--check-config`.
    pub warnings: Vec<String>,
}

/// The GitHub OAuth app the server exchanges codes for. `Debug` shows no
/// secret and no proxy password.
#[derive(Clone)]
pub struct GitHubConfig {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret; never printed.
    pub client_secret: SecretString,
    /// Where the secret was read from, when it came from a file.
    pub client_secret_file: Option<std::path::PathBuf>,
    /// GitHub's web host (the token endpoint is `{base}/login/oauth/access_token`).
    pub base_url: Url,
    /// Sent with every exchange when set, byte for byte as configured.
    pub redirect_uri: Option<String>,
    /// The proxy GitHub is reached through, if any (proxy variables such as
    /// `HTTPS_PROXY` are ignored).
    pub proxy: Option<Url>,
}

impl std::fmt::Debug for GitHubConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("client_secret_file", &self.client_secret_file)
            .field("base_url", &self.base_url.as_str())
            .field("redirect_uri", &self.redirect_uri)
            .field(
                "proxy",
                &self.proxy.as_ref().map(|p| without_userinfo(p.as_str())),
            )
            .finish()
    }
}

/// One setting: everything about it, in one place.
pub struct Setting {
    /// The environment variable (it overrides the file).
    pub var: &'static str,
    /// The key in the `--config` file (`github.` keys are in its `[github]` table).
    pub key: &'static str,
    /// What applies when neither gives a value.
    pub when_unset: WhenUnset,
    /// What it does, for `--help`.
    pub help: &'static str,
    /// Parses a value into the config, or says what is wrong with it and
    /// what to do (completing "`SETTING = "value"` ...").
    parse: fn(&str, &mut Config) -> Result<(), String>,
    /// The value in force, for `--check-config` (never a secret).
    show: fn(&Config) -> String,
}

/// What applies to a setting nobody set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenUnset {
    /// This value, parsed like a given one.
    Use(&'static str),
    /// Nothing: the setting is optional.
    Nothing,
    /// Nothing will do: the server does not start. Says what is missing.
    Required(&'static str),
}

/// The two ways to give the client secret; exactly one must be set.
const SECRET_SETTINGS: [&str; 2] = ["IAS_GITHUB_CLIENT_SECRET", "IAS_GITHUB_CLIENT_SECRET_FILE"];

/// Every setting, in `--help`'s order.
#[rustfmt::skip]
pub static SETTINGS: &[Setting] = &[
    Setting { var: "IAS_BIND_ADDRESS", key: "bind_address", when_unset: Use("127.0.0.1:8080"),
        help: "HOST:PORT to listen on",
        parse: |v, c| address(v, "127.0.0.1:8080").map(|a| c.bind_address = a),
        show: |c| c.bind_address.to_string() },
    Setting { var: "IAS_ADMIN_ADDRESS", key: "admin_address", when_unset: Use("127.0.0.1:9090"),
        help: "HOST:PORT of the admin listener (/livez, /readyz, /metrics), or off",
        parse: |v, c| {
            let off = v.trim().eq_ignore_ascii_case("off");
            c.admin_address = if off { None } else { Some(address(v, "127.0.0.1:9090, or off")?) };
            Ok(())
        },
        show: |c| c.admin_address.map_or_else(|| "off".into(), |a| a.to_string()) },
    Setting { var: "IAS_GITHUB_CLIENT_ID", key: "github.client_id", when_unset: Required("client id"),
        help: "the GitHub OAuth app's client id",
        parse: |v, c| { c.github.client_id = v.into(); Ok(()) },
        show: |c| c.github.client_id.clone() },
    // One of the two secret rows is required (checked in `Config::load`).
    Setting { var: "IAS_GITHUB_CLIENT_SECRET", key: "github.client_secret", when_unset: Nothing,
        help: "the app's client secret (or IAS_GITHUB_CLIENT_SECRET_FILE); never logged",
        parse: |v, c| {
            if v.trim().is_empty() {
                return Err("is empty: the GitHub OAuth app's client secret is required".into());
            }
            c.github.client_secret = v.into();
            Ok(())
        },
        show: |c| match c.github.client_secret_file {
            None => "[redacted]".into(),
            Some(_) => "(from IAS_GITHUB_CLIENT_SECRET_FILE)".into(),
        } },
    Setting { var: "IAS_GITHUB_CLIENT_SECRET_FILE", key: "github.client_secret_file", when_unset: Nothing,
        help: "a file holding the client secret (a mounted secret; one trailing newline is ignored)",
        parse: |v, c| {
            let path = Path::new(v.trim());
            let text = read_small_file(path, SECRET_FILE_MAX_BYTES)
                .map_err(|why| format!("{why}; give a readable file holding the client secret alone"))?;
            let secret = text.strip_suffix('\n').map_or(text.as_str(), |t| t.strip_suffix('\r').unwrap_or(t));
            if secret.trim().is_empty() {
                return Err("is an empty file: it must hold the GitHub OAuth app's client secret".into());
            }
            c.github.client_secret = secret.into();
            c.github.client_secret_file = Some(path.to_path_buf());
            c.warnings.extend(readable_by_others("IAS_GITHUB_CLIENT_SECRET_FILE", path));
            Ok(())
        },
        show: |c| c.github.client_secret_file.as_ref()
            .map_or_else(|| "(not set)".into(), |p| format!("{} ([redacted])", p.display())) },
    Setting { var: "IAS_GITHUB_BASE_URL", key: "github.base_url", when_unset: Use("https://github.com"),
        help: "GitHub's web host; a GitHub Enterprise Server host works the same",
        parse: |v, c| {
            let url = http_url(v)?;
            if url.query().is_some() || url.fragment().is_some() {
                return Err("must not have a query or fragment; use the host's root, such as https://github.com".into());
            }
            c.github.base_url = url;
            Ok(())
        },
        show: |c| c.github.base_url.to_string() },
    Setting { var: "IAS_GITHUB_PROXY", key: "github.proxy", when_unset: Nothing,
        help: "an http:// or https:// proxy to reach GitHub through (HTTP_PROXY and the like are ignored)",
        parse: |v, c| {
            let url = Url::parse(v.trim())
                .map_err(|e| format!("is not a URL ({e}); use http://HOST:PORT or https://HOST:PORT"))?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err("is not an http:// or https:// proxy URL with a host; use http://HOST:PORT".into());
            }
            c.github.proxy = Some(url);
            Ok(())
        },
        show: |c| c.github.proxy.as_ref().map_or_else(|| "(none: direct)".into(), |u| without_userinfo(u.as_str())) },
    Setting { var: "IAS_GITHUB_REDIRECT_URI", key: "github.redirect_uri", when_unset: Nothing,
        help: "sent with every exchange, byte for byte, when set (empty: not set); https, or http on loopback",
        parse: |v, c| {
            c.github.redirect_uri = if v.is_empty() { None } else { Some(redirect_uri(v)?) };
            Ok(())
        },
        show: |c| c.github.redirect_uri.clone().unwrap_or_else(|| "(not set)".into()) },
    Setting { var: "IAS_UPSTREAM_TIMEOUT", key: "upstream_timeout", when_unset: Use("10s"),
        help: "total time for one GitHub exchange, e.g. 10s, 1500ms (the connect timeout is at most 5s)",
        parse: |v, c| duration(v, false, 300).map(|d| c.upstream_timeout = d),
        show: |c| human(c.upstream_timeout) },
    Setting { var: "IAS_LOG_LEVEL", key: "log_level", when_unset: Use("info"),
        help: "trace, debug (adds a line per connection), info (one line per request), warn, error or critical",
        parse: |v, c| log_level(v).map(|l| c.log_level = l),
        show: |c| format!("{:?}", c.log_level).to_ascii_lowercase() },
    Setting { var: "IAS_IDLE_TIMEOUT", key: "idle_timeout", when_unset: Use("60s"),
        help: "a connection with no request in progress is closed after this",
        parse: |v, c| duration(v, false, 3600).map(|d| c.idle_timeout = d),
        show: |c| human(c.idle_timeout) },
    Setting { var: "IAS_REQUEST_TIMEOUT", key: "request_timeout", when_unset: Use("10s"),
        help: "a request's headers and body must arrive within this of its first byte, else 400 request/0",
        parse: |v, c| duration(v, false, 300).map(|d| c.request_timeout = d),
        show: |c| human(c.request_timeout) },
    // 4096: the worst case, each holding HTTP/2 streams, fits a pod (docs/operating.md).
    Setting { var: "IAS_MAX_CONNECTIONS", key: "max_connections", when_unset: Use("4096"),
        help: "open client connections; more are closed at once (lowered at start to fit RLIMIT_NOFILE)",
        parse: |v, c| count(v, 1_000_000).map(|n| c.max_connections = n),
        show: |c| c.max_connections.to_string() },
    Setting { var: "IAS_MAX_CONNECTIONS_PER_CLIENT", key: "max_connections_per_client", when_unset: Use("off"),
        help: "open connections from one client address, or off; only when exposed directly (behind a load balancer every client has its address)",
        parse: |v, c| {
            let off = v.trim().eq_ignore_ascii_case("off");
            c.max_connections_per_client = if off { None } else { Some(count(v, 1_000_000).map_err(|e| format!("{e}, or off"))?) };
            Ok(())
        },
        show: |c| c.max_connections_per_client.map_or_else(|| "off".into(), |n| n.to_string()) },
    Setting { var: "IAS_MAX_CONCURRENT_EXCHANGES", key: "max_concurrent_exchanges", when_unset: Use("1024"),
        help: "exchanges in flight with GitHub; more are answered 500 oauth/1200 at once",
        parse: |v, c| count(v, 100_000).map(|n| c.max_concurrent_exchanges = n),
        show: |c| c.max_concurrent_exchanges.to_string() },
    Setting { var: "IAS_SHUTDOWN_DELAY", key: "shutdown_delay", when_unset: Use("0s"),
        help: "after SIGTERM/SIGINT, keep serving this long (for a load balancer to notice)",
        parse: |v, c| duration(v, true, 300).map(|d| c.shutdown_delay = d),
        show: |c| human(c.shutdown_delay) },
    Setting { var: "IAS_SHUTDOWN_TIMEOUT", key: "shutdown_timeout", when_unset: Use("25s"),
        help: "then stop accepting and give requests in flight at most this long to finish",
        parse: |v, c| duration(v, true, 3600).map(|d| c.shutdown_timeout = d),
        show: |c| human(c.shutdown_timeout) },
    Setting { var: "IAS_TRUST_REQUEST_ID", key: "trust_request_id", when_unset: Use("false"),
        help: "true behind a gateway that sets X-Request-Id: it becomes the request's id (otherwise it is only logged beside the server's)",
        parse: |v, c| boolean(v).map(|b| c.trust_request_id = b),
        show: |c| c.trust_request_id.to_string() },
];

fn human(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// The settings of a server for tests, development and benchmarks: both
/// listeners on loopback ephemeral ports, GitHub at `base_url`, and this app
/// (what [`Config::for_github`] loads, and what a test or the bench gives the
/// binary as its environment).
pub fn loopback_env<'a>(
    base_url: &'a str,
    client_id: &'a str,
    client_secret: &'a str,
) -> [(&'static str, &'a str); 5] {
    [
        ("IAS_BIND_ADDRESS", "127.0.0.1:0"),
        ("IAS_ADMIN_ADDRESS", "127.0.0.1:0"),
        ("IAS_GITHUB_BASE_URL", base_url),
        ("IAS_GITHUB_CLIENT_ID", client_id),
        ("IAS_GITHUB_CLIENT_SECRET", client_secret),
    ]
}

impl Config {
    /// A configuration for tests and development: loopback on ephemeral
    /// ports, and this app; every other setting at its default.
    pub fn for_github(
        base_url: &str,
        client_id: &str,
        client_secret: &str,
    ) -> Result<Self, ConfigError> {
        let env = loopback_env(base_url, client_id, client_secret);
        Config::load(None, |k| {
            env.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        })
    }

    /// Reads `file` (when given), then applies the environment (`env` looks a
    /// variable up; pass `|k| std::env::var(k).ok()`).
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut config = Config::unset();
        if let Some(path) = file {
            config.warnings.extend(readable_by_others("--config", path));
        }
        let mut file = file.map(file::read).transpose()?.unwrap_or_default();
        let mut given_secrets = Vec::new();
        for setting in SETTINGS {
            let (var, key) = (setting.var, setting.key);
            let given = match env(var) {
                Some(value) => Some((value, Origin::Env(var))),
                None => file.remove(key),
            };
            if SECRET_SETTINGS.contains(&var) {
                if let Some((_, origin)) = &given {
                    given_secrets.push(origin.clone());
                }
            }
            let required = match setting.when_unset {
                Required(what) => Some(what),
                _ if SECRET_SETTINGS.contains(&var) => Some("client secret"),
                _ => None,
            };
            let (value, origin) = match (given, required) {
                (Some((v, origin)), Some(what)) if v.trim().is_empty() => {
                    return Err(ConfigError::Empty {
                        origin,
                        var,
                        key,
                        what,
                    });
                }
                (Some(given), _) => given,
                (None, _) => match setting.when_unset {
                    Use(value) => (value.into(), Origin::Default(var)),
                    Nothing => continue,
                    Required(what) => return Err(ConfigError::Missing { var, key, what }),
                },
            };
            (setting.parse)(&value, &mut config).map_err(|why| ConfigError::Invalid {
                origin,
                // A URL's user:password is never echoed, even where it
                // broke the parsing.
                value: without_anything_before_at(&value),
                why,
            })?;
        }
        match given_secrets.as_slice() {
            [_] => Ok(config),
            [] => Err(ConfigError::Missing {
                var: SECRET_SETTINGS[0],
                key: "github.client_secret",
                what: "client secret",
            }),
            [first, second, ..] => Err(ConfigError::Conflict {
                first: first.clone(),
                second: second.clone(),
            }),
        }
    }

    /// What every setting starts from before [`SETTINGS`] are applied; each
    /// value here is replaced (by a default, or by an error when required).
    fn unset() -> Self {
        Config {
            bind_address: SocketAddr::from(([127, 0, 0, 1], 0)),
            admin_address: None,
            log_level: dropshot::ConfigLoggingLevel::Info,
            upstream_timeout: Duration::ZERO,
            idle_timeout: Duration::ZERO,
            request_timeout: Duration::ZERO,
            max_connections: 0,
            max_connections_per_client: None,
            max_concurrent_exchanges: 0,
            shutdown_delay: Duration::ZERO,
            shutdown_timeout: Duration::ZERO,
            trust_request_id: false,
            github: GitHubConfig {
                client_id: String::new(),
                client_secret: SecretString::from(""),
                client_secret_file: None,
                base_url: Url::parse("https://github.com").expect("a URL"),
                redirect_uri: None,
                proxy: None,
            },
            warnings: Vec::new(),
        }
    }

    /// Every setting with its value in force, secrets as `[redacted]`
    /// (for `ias-server --check-config`).
    pub fn effective_settings(&self) -> Vec<(&'static str, String)> {
        SETTINGS.iter().map(|s| (s.var, (s.show)(self))).collect()
    }

    /// The connect timeout used for GitHub.
    pub fn connect_timeout(&self) -> Duration {
        self.upstream_timeout.min(MAX_CONNECT_TIMEOUT)
    }
}

/// The settings for `--help`: variable, TOML key, what it does, and the
/// default or "(required)".
pub fn settings_help() -> String {
    let mut out = String::from("SETTINGS (environment variables override the --config file):\n");
    for s in SETTINGS {
        let unset = match s.when_unset {
            Use(value) => format!(" [default: {value}]"),
            Nothing => String::new(),
            Required(_) => " (required)".into(),
        };
        out += &format!("  {:<29} {}\n      {}{unset}\n", s.var, s.key, s.help);
    }
    out
}

/// HOST:PORT; `example` completes "such as ...".
fn address(v: &str, example: &str) -> Result<SocketAddr, String> {
    v.trim()
        .parse()
        .map_err(|_| format!("is not a socket address; use HOST:PORT, such as {example}"))
}

/// A duration such as `10s` or `1500ms`, above 0 (or 0 when `zero_ok`) and
/// at most `max_secs` seconds.
fn duration(v: &str, zero_ok: bool, max_secs: u64) -> Result<Duration, String> {
    let d = humantime::parse_duration(v.trim())
        .map_err(|_| "is not a duration; use a number with a unit, such as 10s or 1500ms")?;
    if (d.is_zero() && !zero_ok) || d > Duration::from_secs(max_secs) {
        let low = if zero_ok { "0s or more" } else { "above 0" };
        return Err(format!(
            "is out of range; use a duration {low} and at most {max_secs}s"
        ));
    }
    Ok(d)
}

/// A whole number from 1 to `max`.
fn count(v: &str, max: usize) -> Result<usize, String> {
    match v.trim().parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        Ok(_) => Err(format!("is out of range; use a number from 1 to {max}")),
        Err(_) => Err(format!(
            "is not a whole number; use a number from 1 to {max}"
        )),
    }
}

/// One of dropshot's level names, in any case.
fn log_level(v: &str) -> Result<dropshot::ConfigLoggingLevel, String> {
    use serde::de::{value::Error, IntoDeserializer};
    let lower = v.trim().to_ascii_lowercase();
    dropshot::ConfigLoggingLevel::deserialize(lower.into_deserializer()).map_err(|_: Error| {
        "is not a log level; use trace, debug, info, warn, error or critical".into()
    })
}

/// An absolute http(s) URL with a host.
fn http_url(v: &str) -> Result<Url, String> {
    let url = Url::parse(v.trim())
        .map_err(|e| format!("is not a URL ({e}); use an absolute http(s) URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("is not an http(s) URL with a host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("has a user:password part, which would be sent and logged; give the host alone (the app signs in with its client id and secret)".into());
    }
    Ok(url)
}

/// `true` or `false`, in any case.
fn boolean(v: &str) -> Result<bool, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("is not a boolean; use true or false".into()),
    }
}

/// `IAS_GITHUB_REDIRECT_URI`: GitHub compares it with the app's as a string,
/// so it is kept exactly as given (no normalisation): an absolute https URL,
/// or http on loopback (development), without a fragment or user:password.
fn redirect_uri(v: &str) -> Result<String, String> {
    if v.trim() != v {
        return Err("has white space around it; give the URI alone".into());
    }
    if v.contains('#') {
        return Err(
            "has a fragment (#...), which a redirect URI must not have (RFC 6749 §3.1.2)".into(),
        );
    }
    let url = Url::parse(v).map_err(|e| format!("is not an absolute URL ({e}); give the app's callback URL, such as https://console.example.com/callback"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("has a user:password part; give the app's callback URL without it".into());
    }
    match url.scheme() {
        "https" => Ok(v.to_string()), // the URL parser refuses an https URL without a host
        "http" if is_loopback(&url) => Ok(v.to_string()),
        _ => Err("must be an https:// URL (or http:// on localhost for development)".into()),
    }
}

/// Whether a URL's host is this machine: `localhost`, or a loopback address
/// (all of 127.0.0.0/8, `::1`) parsed as an address, so `127.example.com` is
/// not.
pub fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A value that did not parse, as it may be shown: everything between the
/// scheme (or the start) and the last `@` is `[redacted]`. A password with an
/// unencoded `/`, `?`, `#` or `@`, or a URL without a scheme, breaks the
/// parsing, so no URL parser can say where its user:password ends; this rule
/// never prints it, at the cost of hiding a host when an `@` is elsewhere.
pub fn without_anything_before_at(text: &str) -> String {
    let Some(at) = text.rfind('@') else {
        return text.to_string();
    };
    let start = text.find("://").map_or(0, |i| i + 3).min(at);
    format!("{}[redacted]{}", &text[..start], &text[at..])
}

/// A parsed URL's text with its `user:password@` replaced by `[redacted]@`
/// (in a parsed URL, userinfo is only ever in the authority).
pub fn without_userinfo(text: &str) -> String {
    let Some(scheme_end) = text.find("://") else {
        return text.to_string();
    };
    let rest = &text[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}[redacted]{}", &text[..scheme_end + 3], &rest[at..]),
        None => text.to_string(),
    }
}

/// A warning when `path` can be read by its group or by others.
fn readable_by_others(setting: &str, path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o077 != 0).then(|| {
        format!(
            "{setting} {}: the file is readable by group or others (mode {:o}); it holds a secret: \
             chmod 600 it (or 640 with a dedicated group)",
            path.display(),
            mode & 0o777
        )
    })
}

/// The most a client secret file may hold (GitHub's secrets are 40 characters).
pub const SECRET_FILE_MAX_BYTES: u64 = 4 * 1024;
/// The most a `--config` file may hold.
pub const CONFIG_FILE_MAX_BYTES: u64 = 4 * 1024 * 1024;

/// Reads a settings file: a regular file of at most `max` bytes, as text.
/// A FIFO, a device (`/dev/zero`) or a directory is refused at once (it is
/// opened without waiting for a writer), and so is a larger file; the reason
/// is said in words for the caller's message.
pub(crate) fn read_small_file(path: &Path, max: u64) -> Result<String, String> {
    use std::io::Read as _;
    use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
    let unreadable = |e: std::io::Error| format!("cannot be read ({})", io_reason(&e));
    let file = std::fs::OpenOptions::new()
        .read(true)
        // A FIFO without a writer would block the open.
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
        .map_err(unreadable)?;
    let meta = file.metadata().map_err(unreadable)?;
    let kind = meta.file_type();
    let not_regular = [
        (kind.is_dir(), "a directory"),
        (kind.is_fifo(), "a FIFO"),
        (kind.is_char_device(), "a character device"),
        (kind.is_block_device(), "a block device"),
        (kind.is_socket(), "a socket"),
    ];
    if let Some((_, what)) = not_regular.iter().find(|(is, _)| *is) {
        return Err(format!("is not a regular file (it is {what})"));
    }
    // One byte more than allowed is enough to know it is too large.
    let mut text = String::new();
    file.take(max + 1)
        .read_to_string(&mut text)
        .map_err(unreadable)?;
    if text.len() as u64 > max {
        return Err(format!("is larger than the {max} bytes it may be"));
    }
    Ok(text)
}

/// An I/O error's reason, without the OS's error number.
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        kind => kind.to_string(), // "permission denied", ...
    }
}
