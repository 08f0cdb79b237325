//! Configuration: an optional TOML file, then `IAS_*` environment variables.
//!
//! Every problem is reported with the setting it concerns (the environment
//! variable, or `FILE:LINE: key`) and what to do, before the server binds.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use reqwest::Url;
use secrecy::SecretString;
use serde::Deserialize;
use toml::Spanned;

/// Where the server listens unless told otherwise.
pub const DEFAULT_BIND_ADDRESS: &str = "127.0.0.1:8080";
/// Where the admin listener (probes, metrics) listens unless told otherwise.
pub const DEFAULT_ADMIN_ADDRESS: &str = "127.0.0.1:9090";
/// GitHub's web host (the token endpoint is `{base}/login/oauth/access_token`).
pub const DEFAULT_GITHUB_BASE_URL: &str = "https://github.com";
/// How long one exchange with GitHub may take, in all.
pub const DEFAULT_UPSTREAM_TIMEOUT: Duration = Duration::from_secs(10);
/// The connect timeout is this, or the total timeout when that is shorter.
pub const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A connection with no request in progress is closed after this.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// A request's headers and body must arrive within this of its first byte.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Open client connections, at most (lowered at start to fit the open-file limit).
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// Exchanges in flight with GitHub, at most.
pub const DEFAULT_MAX_CONCURRENT_EXCHANGES: usize = 1024;
/// How long the server keeps serving after SIGTERM/SIGINT before it stops accepting.
pub const DEFAULT_SHUTDOWN_DELAY: Duration = Duration::ZERO;
/// How long requests in flight may take to finish once the server stops accepting.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(25);

/// The server's settings, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// `IAS_BIND_ADDRESS` / `bind_address`.
    pub bind_address: SocketAddr,
    /// `IAS_ADMIN_ADDRESS` / `admin_address`: the admin listener, or None (`off`).
    pub admin_address: Option<SocketAddr>,
    /// `IAS_LOG_LEVEL` / `log_level`: trace, debug, info, warn, error, critical.
    pub log_level: dropshot::ConfigLoggingLevel,
    /// `IAS_UPSTREAM_TIMEOUT` / `upstream_timeout`: total time for one GitHub exchange.
    pub upstream_timeout: Duration,
    /// `IAS_IDLE_TIMEOUT` / `idle_timeout`: a connection with no request in progress is closed after this.
    pub idle_timeout: Duration,
    /// `IAS_REQUEST_TIMEOUT` / `request_timeout`: a request's headers and body
    /// must arrive within this of its first byte.
    pub request_timeout: Duration,
    /// `IAS_MAX_CONNECTIONS` / `max_connections`: open client connections, at most.
    pub max_connections: usize,
    /// `IAS_MAX_CONCURRENT_EXCHANGES` / `max_concurrent_exchanges`: exchanges in flight with GitHub, at most.
    pub max_concurrent_exchanges: usize,
    /// `IAS_SHUTDOWN_DELAY` / `shutdown_delay`: serving goes on this long after SIGTERM/SIGINT.
    pub shutdown_delay: Duration,
    /// `IAS_SHUTDOWN_TIMEOUT` / `shutdown_timeout`: then requests in flight have this long to finish.
    pub shutdown_timeout: Duration,
    /// The GitHub OAuth app.
    pub github: GitHubConfig,
}

/// The GitHub OAuth app the server exchanges codes for.
#[derive(Debug, Clone)]
pub struct GitHubConfig {
    /// `IAS_GITHUB_CLIENT_ID` / `github.client_id`.
    pub client_id: String,
    /// `IAS_GITHUB_CLIENT_SECRET` / `github.client_secret`; never printed.
    pub client_secret: SecretString,
    /// `IAS_GITHUB_BASE_URL` / `github.base_url`, without a trailing slash.
    pub base_url: Url,
    /// `IAS_GITHUB_REDIRECT_URI` / `github.redirect_uri`: sent when set.
    pub redirect_uri: Option<String>,
}

impl Config {
    /// A configuration for tests and development: loopback, info logs, the
    /// default timeout, and this app.
    pub fn for_github(
        base_url: &str,
        client_id: &str,
        client_secret: &str,
    ) -> Result<Self, ConfigError> {
        let env = [
            ("IAS_BIND_ADDRESS", "127.0.0.1:0"),
            ("IAS_ADMIN_ADDRESS", "127.0.0.1:0"),
            ("IAS_GITHUB_BASE_URL", base_url),
            ("IAS_GITHUB_CLIENT_ID", client_id),
            ("IAS_GITHUB_CLIENT_SECRET", client_secret),
        ];
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
        let file_settings = match file {
            Some(path) => Some(FileSettings::read(path)?),
            None => None,
        };
        let lookup = |var: &'static str, key: &'static str| -> Option<Raw> {
            if let Some(v) = env(var) {
                return Some(Raw {
                    value: v,
                    origin: var.to_string(),
                });
            }
            let fs = file_settings.as_ref()?;
            let (value, at) = fs.get(key)?;
            Some(Raw {
                value,
                origin: format!("{}:{}: {key}", fs.path, fs.line_of(at)),
            })
        };

        let bind = lookup("IAS_BIND_ADDRESS", "bind_address");
        let bind_address = match &bind {
            None => DEFAULT_BIND_ADDRESS.parse().expect("default bind address"),
            Some(raw) => raw.value.parse().map_err(|_| {
                raw.invalid("is not a socket address; use HOST:PORT, such as 127.0.0.1:8080")
            })?,
        };

        let admin_address = match lookup("IAS_ADMIN_ADDRESS", "admin_address") {
            None => Some(
                DEFAULT_ADMIN_ADDRESS
                    .parse()
                    .expect("default admin address"),
            ),
            Some(raw) if raw.value.trim().eq_ignore_ascii_case("off") => None,
            Some(raw) => Some(raw.value.trim().parse().map_err(|_| {
                raw.invalid(
                    "is not a socket address; use HOST:PORT, such as 127.0.0.1:9090, or off",
                )
            })?),
        };

        let log_level = match lookup("IAS_LOG_LEVEL", "log_level") {
            None => dropshot::ConfigLoggingLevel::Info,
            Some(raw) => match raw.value.to_ascii_lowercase().as_str() {
                "trace" => dropshot::ConfigLoggingLevel::Trace,
                "debug" => dropshot::ConfigLoggingLevel::Debug,
                "info" => dropshot::ConfigLoggingLevel::Info,
                "warn" => dropshot::ConfigLoggingLevel::Warn,
                "error" => dropshot::ConfigLoggingLevel::Error,
                "critical" => dropshot::ConfigLoggingLevel::Critical,
                _ => {
                    return Err(raw.invalid(
                        "is not a log level; use trace, debug, info, warn, error or critical",
                    ))
                }
            },
        };

        let duration = |var, key, default, zero_ok, max_secs| -> Result<Duration, ConfigError> {
            match lookup(var, key) {
                None => Ok(default),
                Some(raw) => raw.duration(zero_ok, max_secs),
            }
        };
        let upstream_timeout = duration(
            "IAS_UPSTREAM_TIMEOUT",
            "upstream_timeout",
            DEFAULT_UPSTREAM_TIMEOUT,
            false,
            300,
        )?;
        let idle_timeout = duration(
            "IAS_IDLE_TIMEOUT",
            "idle_timeout",
            DEFAULT_IDLE_TIMEOUT,
            false,
            3600,
        )?;
        let request_timeout = duration(
            "IAS_REQUEST_TIMEOUT",
            "request_timeout",
            DEFAULT_REQUEST_TIMEOUT,
            false,
            300,
        )?;
        let shutdown_delay = duration(
            "IAS_SHUTDOWN_DELAY",
            "shutdown_delay",
            DEFAULT_SHUTDOWN_DELAY,
            true,
            300,
        )?;
        let shutdown_timeout = duration(
            "IAS_SHUTDOWN_TIMEOUT",
            "shutdown_timeout",
            DEFAULT_SHUTDOWN_TIMEOUT,
            true,
            3600,
        )?;
        let count = |var, key, default, max| -> Result<usize, ConfigError> {
            match lookup(var, key) {
                None => Ok(default),
                Some(raw) => raw.count(max),
            }
        };
        let max_connections = count(
            "IAS_MAX_CONNECTIONS",
            "max_connections",
            DEFAULT_MAX_CONNECTIONS,
            1_000_000,
        )?;
        let max_concurrent_exchanges = count(
            "IAS_MAX_CONCURRENT_EXCHANGES",
            "max_concurrent_exchanges",
            DEFAULT_MAX_CONCURRENT_EXCHANGES,
            100_000,
        )?;

        let client_id = required(
            lookup("IAS_GITHUB_CLIENT_ID", "github.client_id"),
            "IAS_GITHUB_CLIENT_ID",
            "github.client_id",
            "client id",
        )?;
        let secret = required(
            lookup("IAS_GITHUB_CLIENT_SECRET", "github.client_secret"),
            "IAS_GITHUB_CLIENT_SECRET",
            "github.client_secret",
            "client secret",
        )?;

        let base_url = match lookup("IAS_GITHUB_BASE_URL", "github.base_url") {
            None => Url::parse(DEFAULT_GITHUB_BASE_URL).expect("default base URL"),
            Some(raw) => {
                let url = http_url(&raw)?;
                if url.query().is_some() || url.fragment().is_some() {
                    return Err(raw.invalid("must not have a query or fragment; use the host's root, such as https://github.com"));
                }
                url
            }
        };
        let redirect_uri = match lookup("IAS_GITHUB_REDIRECT_URI", "github.redirect_uri") {
            None => None,
            Some(raw) if raw.value.is_empty() => None,
            Some(raw) => Some(http_url(&raw)?.to_string()),
        };

        Ok(Config {
            bind_address,
            admin_address,
            log_level,
            upstream_timeout,
            idle_timeout,
            request_timeout,
            max_connections,
            max_concurrent_exchanges,
            shutdown_delay,
            shutdown_timeout,
            github: GitHubConfig {
                client_id: client_id.value,
                client_secret: SecretString::from(secret.value),
                base_url,
                redirect_uri,
            },
        })
    }

    /// Every setting with its value in force, secrets as `[redacted]`
    /// (for `ias-server --check-config`).
    pub fn effective_settings(&self) -> Vec<(&'static str, String)> {
        let secs = |d: Duration| humantime::format_duration(d).to_string();
        vec![
            ("IAS_BIND_ADDRESS", self.bind_address.to_string()),
            (
                "IAS_ADMIN_ADDRESS",
                self.admin_address
                    .map_or_else(|| "off".to_string(), |a| a.to_string()),
            ),
            ("IAS_GITHUB_CLIENT_ID", self.github.client_id.clone()),
            ("IAS_GITHUB_CLIENT_SECRET", "[redacted]".to_string()),
            ("IAS_GITHUB_BASE_URL", self.github.base_url.to_string()),
            (
                "IAS_GITHUB_REDIRECT_URI",
                self.github
                    .redirect_uri
                    .clone()
                    .unwrap_or_else(|| "(not set)".to_string()),
            ),
            ("IAS_UPSTREAM_TIMEOUT", secs(self.upstream_timeout)),
            (
                "IAS_LOG_LEVEL",
                format!("{:?}", self.log_level).to_ascii_lowercase(),
            ),
            ("IAS_IDLE_TIMEOUT", secs(self.idle_timeout)),
            ("IAS_REQUEST_TIMEOUT", secs(self.request_timeout)),
            ("IAS_MAX_CONNECTIONS", self.max_connections.to_string()),
            (
                "IAS_MAX_CONCURRENT_EXCHANGES",
                self.max_concurrent_exchanges.to_string(),
            ),
            ("IAS_SHUTDOWN_DELAY", secs(self.shutdown_delay)),
            ("IAS_SHUTDOWN_TIMEOUT", secs(self.shutdown_timeout)),
        ]
    }

    /// The connect timeout used for GitHub.
    pub fn connect_timeout(&self) -> Duration {
        self.upstream_timeout.min(MAX_CONNECT_TIMEOUT)
    }
}

/// A configuration problem, with the setting it concerns; it never holds the
/// client secret's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// A value as given, and where it was given.
struct Raw {
    value: String,
    origin: String,
}

impl Raw {
    fn invalid(&self, why: &str) -> ConfigError {
        // Values of these settings are not secret, so they are echoed.
        ConfigError(format!("{} = {:?} {why}", self.origin, self.value))
    }

    /// A duration such as `10s` or `1500ms`, above 0 (or 0 when `zero_ok`)
    /// and at most `max_secs` seconds.
    fn duration(&self, zero_ok: bool, max_secs: u64) -> Result<Duration, ConfigError> {
        let d = humantime::parse_duration(self.value.trim()).map_err(|_| {
            self.invalid("is not a duration; use a number with a unit, such as 10s or 1500ms")
        })?;
        if (d.is_zero() && !zero_ok) || d > Duration::from_secs(max_secs) {
            let low = if zero_ok { "0s or more" } else { "above 0" };
            return Err(self.invalid(&format!(
                "is out of range; use a duration {low} and at most {max_secs}s"
            )));
        }
        Ok(d)
    }

    /// A whole number from 1 to `max`.
    fn count(&self, max: usize) -> Result<usize, ConfigError> {
        match self.value.trim().parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            Ok(_) => Err(self.invalid(&format!("is out of range; use a number from 1 to {max}"))),
            Err(_) => Err(self.invalid(&format!(
                "is not a whole number; use a number from 1 to {max}"
            ))),
        }
    }
}

fn required(raw: Option<Raw>, var: &str, key: &str, what: &str) -> Result<Raw, ConfigError> {
    match raw {
        Some(raw) if !raw.value.trim().is_empty() => Ok(raw),
        Some(raw) => Err(ConfigError(format!(
            "{} is empty: the GitHub OAuth app's {what} is required; set {var} (or {key} in the --config file)",
            raw.origin
        ))),
        None => Err(ConfigError(format!(
            "{var} is not set: the GitHub OAuth app's {what} is required; set {var} (or {key} in the --config file)"
        ))),
    }
}

fn http_url(raw: &Raw) -> Result<Url, ConfigError> {
    let url = Url::parse(raw.value.trim())
        .map_err(|e| raw.invalid(&format!("is not a URL ({e}); use an absolute http(s) URL")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(raw.invalid("is not an http(s) URL with a host"));
    }
    Ok(url)
}

/// The TOML file's shape; unknown keys are refused (they are usually typos).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileShape {
    bind_address: Option<Spanned<String>>,
    admin_address: Option<Spanned<String>>,
    log_level: Option<Spanned<String>>,
    upstream_timeout: Option<Spanned<String>>,
    idle_timeout: Option<Spanned<String>>,
    request_timeout: Option<Spanned<String>>,
    max_connections: Option<Spanned<Scalar>>,
    max_concurrent_exchanges: Option<Spanned<Scalar>>,
    shutdown_delay: Option<Spanned<String>>,
    shutdown_timeout: Option<Spanned<String>>,
    github: Option<GitHubShape>,
}

/// A number setting may be written as a TOML integer or a string.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Integer(i64),
    Text(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GitHubShape {
    client_id: Option<Spanned<String>>,
    client_secret: Option<Spanned<String>>,
    base_url: Option<Spanned<String>>,
    redirect_uri: Option<Spanned<String>>,
}

struct FileSettings {
    path: String,
    text: String,
    shape: FileShape,
}

impl FileSettings {
    fn read(path: &Path) -> Result<Self, ConfigError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("--config {name}: cannot read the file: {e}")))?;
        let shape: FileShape = toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start].lines().count().max(1));
            let at = line.map(|l| format!(":{l}")).unwrap_or_default();
            ConfigError(format!(
                "{name}{at}: invalid configuration: {}",
                e.message()
            ))
        })?;
        Ok(FileSettings {
            path: name,
            text,
            shape,
        })
    }

    /// The value of `key` as text, and where it starts in the file.
    fn get(&self, key: &str) -> Option<(String, usize)> {
        let text = |s: &Spanned<String>| (s.get_ref().clone(), s.span().start);
        let number = |s: &Spanned<Scalar>| {
            let value = match s.get_ref() {
                Scalar::Integer(n) => n.to_string(),
                Scalar::Text(t) => t.clone(),
            };
            (value, s.span().start)
        };
        match key {
            "max_connections" => return self.shape.max_connections.as_ref().map(number),
            "max_concurrent_exchanges" => {
                return self.shape.max_concurrent_exchanges.as_ref().map(number)
            }
            _ => {}
        }
        let g = self.shape.github.as_ref();
        let spanned = match key {
            "bind_address" => self.shape.bind_address.as_ref(),
            "admin_address" => self.shape.admin_address.as_ref(),
            "log_level" => self.shape.log_level.as_ref(),
            "upstream_timeout" => self.shape.upstream_timeout.as_ref(),
            "idle_timeout" => self.shape.idle_timeout.as_ref(),
            "request_timeout" => self.shape.request_timeout.as_ref(),
            "shutdown_delay" => self.shape.shutdown_delay.as_ref(),
            "shutdown_timeout" => self.shape.shutdown_timeout.as_ref(),
            "github.client_id" => g?.client_id.as_ref(),
            "github.client_secret" => g?.client_secret.as_ref(),
            "github.base_url" => g?.base_url.as_ref(),
            "github.redirect_uri" => g?.redirect_uri.as_ref(),
            _ => None,
        };
        spanned.map(text)
    }

    fn line_of(&self, at: usize) -> usize {
        self.text[..at].lines().count().max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    const CREDS: [(&str, &str); 2] = [
        ("IAS_GITHUB_CLIENT_ID", "id"),
        ("IAS_GITHUB_CLIENT_SECRET", "s3cret"),
    ];

    #[test]
    fn defaults() {
        let c = Config::load(None, env(&CREDS)).unwrap();
        assert_eq!(c.bind_address.to_string(), "127.0.0.1:8080");
        assert_eq!(c.admin_address.unwrap().to_string(), "127.0.0.1:9090");
        let off = Config::load(
            None,
            env(&[CREDS[0], CREDS[1], ("IAS_ADMIN_ADDRESS", "off")]),
        )
        .unwrap();
        assert_eq!(off.admin_address, None);
        assert_eq!(c.github.base_url.as_str(), "https://github.com/");
        assert_eq!(c.upstream_timeout, Duration::from_secs(10));
        assert_eq!(c.connect_timeout(), Duration::from_secs(5));
        assert_eq!(c.github.redirect_uri, None);
        assert_eq!(c.github.client_secret.expose_secret(), "s3cret");
        assert_eq!(c.idle_timeout, Duration::from_secs(60));
        assert_eq!(c.request_timeout, Duration::from_secs(10));
        assert_eq!(c.max_connections, 10_000);
        assert_eq!(c.max_concurrent_exchanges, 1024);
        assert_eq!(c.shutdown_delay, Duration::ZERO);
        assert_eq!(c.shutdown_timeout, Duration::from_secs(25));
        assert!(
            !format!("{c:?}").contains("s3cret"),
            "Debug must not print the secret"
        );
    }

    #[test]
    fn missing_credentials_name_the_variable() {
        let e = Config::load(None, env(&[("IAS_GITHUB_CLIENT_ID", "id")])).unwrap_err();
        assert!(
            e.0.starts_with("IAS_GITHUB_CLIENT_SECRET is not set"),
            "{e}"
        );
        let e = Config::load(None, env(&[("IAS_GITHUB_CLIENT_SECRET", "x")])).unwrap_err();
        assert!(e.0.starts_with("IAS_GITHUB_CLIENT_ID is not set"), "{e}");
        let e = Config::load(
            None,
            env(&[
                ("IAS_GITHUB_CLIENT_ID", "id"),
                ("IAS_GITHUB_CLIENT_SECRET", ""),
            ]),
        )
        .unwrap_err();
        assert!(e.0.starts_with("IAS_GITHUB_CLIENT_SECRET is empty"), "{e}");
    }

    #[test]
    fn invalid_values_name_the_setting() {
        let cases = [
            (
                "IAS_BIND_ADDRESS",
                "localhost",
                "IAS_BIND_ADDRESS = \"localhost\" is not a socket address",
            ),
            (
                "IAS_UPSTREAM_TIMEOUT",
                "10",
                "IAS_UPSTREAM_TIMEOUT = \"10\" is not a duration",
            ),
            (
                "IAS_UPSTREAM_TIMEOUT",
                "0s",
                "IAS_UPSTREAM_TIMEOUT = \"0s\" is out of range",
            ),
            (
                "IAS_ADMIN_ADDRESS",
                "9090",
                "IAS_ADMIN_ADDRESS = \"9090\" is not a socket address; use HOST:PORT, such as 127.0.0.1:9090, or off",
            ),
            (
                "IAS_IDLE_TIMEOUT",
                "0s",
                "IAS_IDLE_TIMEOUT = \"0s\" is out of range; use a duration above 0 and at most 3600s",
            ),
            (
                "IAS_REQUEST_TIMEOUT",
                "fast",
                "IAS_REQUEST_TIMEOUT = \"fast\" is not a duration",
            ),
            (
                "IAS_SHUTDOWN_DELAY",
                "301s",
                "IAS_SHUTDOWN_DELAY = \"301s\" is out of range; use a duration 0s or more and at most 300s",
            ),
            (
                "IAS_SHUTDOWN_TIMEOUT",
                "-1s",
                "IAS_SHUTDOWN_TIMEOUT = \"-1s\" is not a duration",
            ),
            (
                "IAS_MAX_CONNECTIONS",
                "0",
                "IAS_MAX_CONNECTIONS = \"0\" is out of range; use a number from 1 to 1000000",
            ),
            (
                "IAS_MAX_CONCURRENT_EXCHANGES",
                "many",
                "IAS_MAX_CONCURRENT_EXCHANGES = \"many\" is not a whole number; use a number from 1 to 100000",
            ),
            (
                "IAS_LOG_LEVEL",
                "loud",
                "IAS_LOG_LEVEL = \"loud\" is not a log level",
            ),
            (
                "IAS_GITHUB_BASE_URL",
                "github.com",
                "IAS_GITHUB_BASE_URL = \"github.com\" is not a URL",
            ),
            (
                "IAS_GITHUB_BASE_URL",
                "ftp://github.com",
                "IAS_GITHUB_BASE_URL = \"ftp://github.com\" is not an http(s) URL",
            ),
            (
                "IAS_GITHUB_BASE_URL",
                "https://github.com/?x=1",
                "must not have a query",
            ),
            (
                "IAS_GITHUB_REDIRECT_URI",
                "/callback",
                "IAS_GITHUB_REDIRECT_URI = \"/callback\" is not a URL",
            ),
        ];
        for (var, value, expect) in cases {
            let mut pairs = CREDS.to_vec();
            pairs.push((var, value));
            let e = Config::load(None, env(&pairs)).unwrap_err();
            assert!(e.0.contains(expect), "{var}={value}: {e}");
        }
    }

    #[test]
    fn file_then_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ias.toml");
        std::fs::write(
            &path,
            "bind_address = \"127.0.0.1:9000\"\nupstream_timeout = \"2s\"\nidle_timeout = \"90s\"\nshutdown_delay = \"5s\"\nmax_connections = 500\nmax_concurrent_exchanges = \"64\"\n\n[github]\nclient_id = \"file-id\"\nclient_secret = \"file-secret\"\nbase_url = \"https://ghe.example.com\"\nredirect_uri = \"https://console.example.com/cb\"\n",
        )
        .unwrap();
        let c = Config::load(Some(&path), env(&[("IAS_GITHUB_CLIENT_ID", "env-id")])).unwrap();
        assert_eq!(c.bind_address.port(), 9000);
        assert_eq!(c.upstream_timeout, Duration::from_secs(2));
        assert_eq!(c.idle_timeout, Duration::from_secs(90));
        assert_eq!(c.shutdown_delay, Duration::from_secs(5));
        assert_eq!(c.max_connections, 500, "a TOML integer");
        assert_eq!(c.max_concurrent_exchanges, 64, "or a string");
        assert_eq!(
            c.github.client_id, "env-id",
            "the environment overrides the file"
        );
        assert_eq!(c.github.client_secret.expose_secret(), "file-secret");
        assert_eq!(c.github.base_url.as_str(), "https://ghe.example.com/");
        assert_eq!(
            c.github.redirect_uri.as_deref(),
            Some("https://console.example.com/cb")
        );
    }

    #[test]
    fn file_errors_name_file_line_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ias.toml");
        std::fs::write(
            &path,
            "[github]\nclient_id = \"id\"\nclient_secret = \"s\"\nbase_url = \"nope\"\n",
        )
        .unwrap();
        let e = Config::load(Some(&path), env(&[])).unwrap_err();
        assert!(
            e.0.contains("ias.toml:4: github.base_url = \"nope\" is not a URL"),
            "{e}"
        );

        std::fs::write(&path, "bind_adress = \"127.0.0.1:1\"\n").unwrap();
        let e = Config::load(Some(&path), env(&[])).unwrap_err();
        assert!(
            e.0.contains("ias.toml:1: invalid configuration: unknown field `bind_adress`"),
            "{e}"
        );

        std::fs::write(&path, "\nmax_connections = -5\n").unwrap();
        let e = Config::load(Some(&path), env(&CREDS)).unwrap_err();
        assert!(
            e.0.contains("ias.toml:2: max_connections = \"-5\" is not a whole number"),
            "{e}"
        );

        let e = Config::load(Some(&dir.path().join("missing.toml")), env(&[])).unwrap_err();
        assert!(e.0.contains("missing.toml: cannot read the file"), "{e}");
    }
}
