//! Configuration: an optional TOML file, then `IAS_*` environment variables.
//!
//! Each setting is one row of [`SETTINGS`]: its variable, its TOML key, what
//! applies when it is not set, its help line, how it is parsed into
//! [`Config`] and how it is shown. The environment lookup, the TOML lookup,
//! `--help`'s list and `--check-config`'s output all come from that table.
//!
//! Every problem is reported with the setting it concerns (the environment
//! variable, or `FILE:LINE: key`) and what to do, before the server binds.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use reqwest::Url;
use secrecy::SecretString;
use serde::Deserialize;
use toml::de::{DeTable, DeValue};
use WhenUnset::{Nothing, Required, Use};

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
    /// Exchanges in flight with GitHub, at most.
    pub max_concurrent_exchanges: usize,
    /// Serving goes on this long after SIGTERM/SIGINT.
    pub shutdown_delay: Duration,
    /// Then requests in flight have this long to finish.
    pub shutdown_timeout: Duration,
    /// The GitHub OAuth app.
    pub github: GitHubConfig,
}

/// The GitHub OAuth app the server exchanges codes for.
#[derive(Debug, Clone)]
pub struct GitHubConfig {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret; never printed.
    pub client_secret: SecretString,
    /// GitHub's web host (the token endpoint is `{base}/login/oauth/access_token`).
    pub base_url: Url,
    /// Sent with every exchange when set.
    pub redirect_uri: Option<String>,
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
    Setting { var: "IAS_GITHUB_CLIENT_SECRET", key: "github.client_secret", when_unset: Required("client secret"),
        help: "the app's client secret; never logged",
        parse: |v, c| { c.github.client_secret = v.into(); Ok(()) },
        show: |_| "[redacted]".into() },
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
    Setting { var: "IAS_GITHUB_REDIRECT_URI", key: "github.redirect_uri", when_unset: Nothing,
        help: "sent with every exchange when set (empty: not set)",
        parse: |v, c| {
            c.github.redirect_uri = if v.is_empty() { None } else { Some(http_url(v)?.to_string()) };
            Ok(())
        },
        show: |c| c.github.redirect_uri.clone().unwrap_or_else(|| "(not set)".into()) },
    Setting { var: "IAS_UPSTREAM_TIMEOUT", key: "upstream_timeout", when_unset: Use("10s"),
        help: "total time for one GitHub exchange, e.g. 10s, 1500ms (the connect timeout is at most 5s)",
        parse: |v, c| duration(v, false, 300).map(|d| c.upstream_timeout = d),
        show: |c| human(c.upstream_timeout) },
    Setting { var: "IAS_LOG_LEVEL", key: "log_level", when_unset: Use("info"),
        help: "trace, debug, info, warn, error or critical",
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
    Setting { var: "IAS_MAX_CONNECTIONS", key: "max_connections", when_unset: Use("10000"),
        help: "open client connections; more are closed at once (lowered at start to fit RLIMIT_NOFILE)",
        parse: |v, c| count(v, 1_000_000).map(|n| c.max_connections = n),
        show: |c| c.max_connections.to_string() },
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
];

fn human(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

impl Config {
    /// A configuration for tests and development: loopback on ephemeral
    /// ports, and this app; every other setting at its default.
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
        let mut file = file.map(read_file).transpose()?.unwrap_or_default();
        let mut config = Config::unset();
        for setting in SETTINGS {
            let (var, key) = (setting.var, setting.key);
            let given = match env(var) {
                Some(value) => Some((value, Origin::Env(var))),
                None => file.remove(key),
            };
            let (value, origin) = match (given, setting.when_unset) {
                (Some((v, origin)), Required(what)) if v.trim().is_empty() => {
                    return Err(ConfigError::Empty {
                        origin,
                        var,
                        key,
                        what,
                    });
                }
                (Some(given), _) => given,
                (None, Use(value)) => (value.into(), Origin::Default(var)),
                (None, Nothing) => continue,
                (None, Required(what)) => return Err(ConfigError::Missing { var, key, what }),
            };
            (setting.parse)(&value, &mut config).map_err(|why| ConfigError::Invalid {
                origin,
                value,
                why,
            })?;
        }
        Ok(config)
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
            max_concurrent_exchanges: 0,
            shutdown_delay: Duration::ZERO,
            shutdown_timeout: Duration::ZERO,
            github: GitHubConfig {
                client_id: String::new(),
                client_secret: SecretString::from(""),
                base_url: Url::parse("https://github.com").expect("a URL"),
                redirect_uri: None,
            },
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

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// This environment variable.
    Env(&'static str),
    /// This key, at this line of the `--config` file.
    File {
        path: String,
        line: usize,
        key: &'static str,
    },
    /// The setting's default (named by its variable).
    Default(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Env(var) => f.write_str(var),
            Origin::File { path, line, key } => write!(f, "{path}:{line}: {key}"),
            Origin::Default(var) => write!(f, "the default of {var}"),
        }
    }
}

/// A configuration problem, with the setting it concerns; it never holds the
/// client secret's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A value that does not parse or is out of range; the value is echoed
    /// (the secret is never parsed, so never echoed).
    #[error("{origin} = {value:?} {why}")]
    Invalid {
        origin: Origin,
        value: String,
        why: String,
    },
    /// A required setting nobody set.
    #[error("{var} is not set: the GitHub OAuth app's {what} is required; set {var} (or {key} in the --config file)")]
    Missing {
        var: &'static str,
        key: &'static str,
        what: &'static str,
    },
    /// A required setting set to nothing.
    #[error("{origin} is empty: the GitHub OAuth app's {what} is required; set {var} (or {key} in the --config file)")]
    Empty {
        origin: Origin,
        var: &'static str,
        key: &'static str,
        what: &'static str,
    },
    /// The `--config` file cannot be read.
    #[error("--config {path}: cannot read the file: {reason}")]
    Unreadable { path: String, reason: String },
    /// The `--config` file is not TOML, has an unknown key or a value of the
    /// wrong type.
    #[error("{path}{}: invalid configuration: {problem}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    File {
        path: String,
        line: Option<usize>,
        problem: String,
    },
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
    Ok(url)
}

/// Reads the `--config` file: each value as text, by its setting's key
/// (`[github]`'s keys as `github.KEY`). Unknown keys (usually typos) and
/// values that are neither strings nor numbers are refused, even when the
/// environment overrides them.
fn read_file(path: &Path) -> Result<BTreeMap<&'static str, (String, Origin)>, ConfigError> {
    let path = path.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::Unreadable {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let line_of = |at: usize| text[..at].matches('\n').count() + 1;
    let error = |at: Option<usize>, problem: String| ConfigError::File {
        path: path.clone(),
        line: at.map(line_of),
        problem,
    };
    let table = DeTable::parse(&text).map_err(|e| {
        // The text the parser points at, such as the key that is duplicated.
        let at = e
            .span()
            .map(|s| &text[s])
            .filter(|t| !t.is_empty() && !t.contains('\n'));
        let problem = at.map_or_else(|| e.message().into(), |t| format!("{} `{t}`", e.message()));
        error(e.span().map(|s| s.start), problem)
    })?;
    let mut entries = Vec::new();
    for (key, value) in table.get_ref() {
        match value.get_ref() {
            DeValue::Table(section) => entries.extend(
                section
                    .iter()
                    .map(|(k, v)| (format!("{}.{}", key.get_ref(), k.get_ref()), v)),
            ),
            _ => entries.push((key.get_ref().to_string(), value)),
        }
    }
    let mut values = BTreeMap::new();
    for (key, value) in entries {
        let at = value.span().start;
        let Some(setting) = SETTINGS.iter().find(|s| s.key == key) else {
            let known: Vec<String> = SETTINGS.iter().map(|s| format!("`{}`", s.key)).collect();
            let problem = format!(
                "unknown field `{key}`, expected one of {}",
                known.join(", ")
            );
            return Err(error(Some(at), problem));
        };
        let value = match value.get_ref() {
            DeValue::String(s) => s.to_string(),
            DeValue::Integer(n) => i64::from_str_radix(n.as_str(), n.radix())
                .map_or_else(|_| n.to_string(), |n| n.to_string()),
            other => {
                let problem = format!(
                    "{key} must be a string or a number, not a {}",
                    other.type_str()
                );
                return Err(error(Some(at), problem));
            }
        };
        let origin = Origin::File {
            path: path.clone(),
            line: line_of(at),
            key: setting.key,
        };
        values.insert(setting.key, (value, origin));
    }
    Ok(values)
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
        #[rustfmt::skip]
        let expected = [
            ("IAS_BIND_ADDRESS", "127.0.0.1:8080"), ("IAS_ADMIN_ADDRESS", "127.0.0.1:9090"),
            ("IAS_GITHUB_CLIENT_ID", "id"), ("IAS_GITHUB_CLIENT_SECRET", "[redacted]"),
            ("IAS_GITHUB_BASE_URL", "https://github.com/"), ("IAS_GITHUB_REDIRECT_URI", "(not set)"),
            ("IAS_UPSTREAM_TIMEOUT", "10s"), ("IAS_LOG_LEVEL", "info"),
            ("IAS_IDLE_TIMEOUT", "1m"), ("IAS_REQUEST_TIMEOUT", "10s"),
            ("IAS_MAX_CONNECTIONS", "10000"), ("IAS_MAX_CONCURRENT_EXCHANGES", "1024"),
            ("IAS_SHUTDOWN_DELAY", "0s"), ("IAS_SHUTDOWN_TIMEOUT", "25s"),
        ];
        let shown = c.effective_settings();
        let shown: Vec<(&str, &str)> = shown.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(shown, expected);
        assert_eq!(c.connect_timeout(), Duration::from_secs(5));
        assert_eq!(c.github.client_secret.expose_secret(), "s3cret");
        assert!(
            !format!("{c:?}").contains("s3cret"),
            "Debug must not print the secret"
        );
        let off = Config::load(
            None,
            env(&[CREDS[0], CREDS[1], ("IAS_ADMIN_ADDRESS", "off")]),
        );
        assert_eq!(off.unwrap().admin_address, None);
    }

    /// Each bad environment gives the error that names its setting: (the
    /// environment beside the credentials, the message's start).
    #[test]
    fn environment_errors_name_the_setting() {
        let (id, secret) = (CREDS[0], CREDS[1]);
        #[rustfmt::skip]
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[id], "IAS_GITHUB_CLIENT_SECRET is not set: the GitHub OAuth app's client secret is required; set IAS_GITHUB_CLIENT_SECRET (or github.client_secret in the --config file)"),
            (&[secret], "IAS_GITHUB_CLIENT_ID is not set: the GitHub OAuth app's client id is required"),
            (&[id, ("IAS_GITHUB_CLIENT_SECRET", " ")], "IAS_GITHUB_CLIENT_SECRET is empty: the GitHub OAuth app's client secret is required"),
            (&[id, secret, ("IAS_BIND_ADDRESS", "localhost")], "IAS_BIND_ADDRESS = \"localhost\" is not a socket address; use HOST:PORT, such as 127.0.0.1:8080"),
            (&[id, secret, ("IAS_UPSTREAM_TIMEOUT", "10")], "IAS_UPSTREAM_TIMEOUT = \"10\" is not a duration; use a number with a unit, such as 10s or 1500ms"),
            (&[id, secret, ("IAS_UPSTREAM_TIMEOUT", "0s")], "IAS_UPSTREAM_TIMEOUT = \"0s\" is out of range; use a duration above 0 and at most 300s"),
            (&[id, secret, ("IAS_ADMIN_ADDRESS", "9090")], "IAS_ADMIN_ADDRESS = \"9090\" is not a socket address; use HOST:PORT, such as 127.0.0.1:9090, or off"),
            (&[id, secret, ("IAS_IDLE_TIMEOUT", "0s")], "IAS_IDLE_TIMEOUT = \"0s\" is out of range; use a duration above 0 and at most 3600s"),
            (&[id, secret, ("IAS_REQUEST_TIMEOUT", "fast")], "IAS_REQUEST_TIMEOUT = \"fast\" is not a duration"),
            (&[id, secret, ("IAS_SHUTDOWN_DELAY", "301s")], "IAS_SHUTDOWN_DELAY = \"301s\" is out of range; use a duration 0s or more and at most 300s"),
            (&[id, secret, ("IAS_SHUTDOWN_TIMEOUT", "-1s")], "IAS_SHUTDOWN_TIMEOUT = \"-1s\" is not a duration"),
            (&[id, secret, ("IAS_MAX_CONNECTIONS", "0")], "IAS_MAX_CONNECTIONS = \"0\" is out of range; use a number from 1 to 1000000"),
            (&[id, secret, ("IAS_MAX_CONCURRENT_EXCHANGES", "many")], "IAS_MAX_CONCURRENT_EXCHANGES = \"many\" is not a whole number; use a number from 1 to 100000"),
            (&[id, secret, ("IAS_LOG_LEVEL", "loud")], "IAS_LOG_LEVEL = \"loud\" is not a log level; use trace, debug, info, warn, error or critical"),
            (&[id, secret, ("IAS_GITHUB_BASE_URL", "github.com")], "IAS_GITHUB_BASE_URL = \"github.com\" is not a URL (relative URL without a base); use an absolute http(s) URL"),
            (&[id, secret, ("IAS_GITHUB_BASE_URL", "ftp://github.com")], "IAS_GITHUB_BASE_URL = \"ftp://github.com\" is not an http(s) URL with a host"),
            (&[id, secret, ("IAS_GITHUB_BASE_URL", "https://github.com/?x=1")], "IAS_GITHUB_BASE_URL = \"https://github.com/?x=1\" must not have a query or fragment"),
            (&[id, secret, ("IAS_GITHUB_REDIRECT_URI", "/callback")], "IAS_GITHUB_REDIRECT_URI = \"/callback\" is not a URL"),
        ];
        for (pairs, expected) in cases {
            let e = Config::load(None, env(pairs)).unwrap_err();
            assert!(
                e.to_string().starts_with(expected),
                "{pairs:?}:\n{e}\n{expected}"
            );
            // The variant says which setting, in words a test can match.
            let (var, value) = pairs.last().unwrap();
            let named = match &e {
                ConfigError::Invalid {
                    origin: Origin::Env(v),
                    value: given,
                    ..
                } => v == var && given == value,
                ConfigError::Empty {
                    origin: Origin::Env(v),
                    ..
                } => v == var,
                ConfigError::Missing { var: v, .. } => !pairs.iter().any(|(k, _)| k == v),
                _ => false,
            };
            assert!(named, "{pairs:?}: {e:?}");
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
        #[rustfmt::skip]
        let cases = [
            ("[github]\nclient_id = \"id\"\nbase_url = \"nope\"\n", ":3: github.base_url = \"nope\" is not a URL"),
            ("\nmax_connections = -5\n", ":2: max_connections = \"-5\" is not a whole number"),
            ("bind_adress = \"127.0.0.1:1\"\n", ":1: invalid configuration: unknown field `bind_adress`, expected one of `bind_address`, "),
            ("[github]\nsecret = \"s\"\n", ":2: invalid configuration: unknown field `github.secret`, expected one of `bind_address`, "),
            ("log_level = \"info\"\n[github]\nclient_id = true\n", ":3: invalid configuration: github.client_id must be a string or a number, not a boolean"),
            ("log_level = \"info\"\nlog_level = \"warn\"\n", ":2: invalid configuration: duplicate key `log_level`"),
            ("[github]\nclient_id = \"a\"\n[github]\n", ":3: invalid configuration: duplicate key `github`"),
            ("max_connections = 0x10\nidle_timeout = 1_000\n", ":2: idle_timeout = \"1000\" is not a duration"),
            ("[server]\nbind_address = \"127.0.0.1:1\"\n", ":2: invalid configuration: unknown field `server.bind_address`"),
        ];
        for (text, expected) in cases {
            std::fs::write(&path, text).unwrap();
            // The environment sets the client id, and still a bad file is refused.
            let e = Config::load(Some(&path), env(&CREDS)).unwrap_err();
            let expected = format!("{}{expected}", path.display());
            assert!(
                e.to_string().starts_with(&expected),
                "{text:?}:\n{e}\n{expected}"
            );
        }
        std::fs::write(&path, cases[0].0).unwrap();
        let e = Config::load(Some(&path), env(&CREDS)).unwrap_err();
        let at_line_3 = Origin::File {
            path: path.display().to_string(),
            line: 3,
            key: "github.base_url",
        };
        assert!(
            matches!(&e, ConfigError::Invalid { origin, .. } if *origin == at_line_3),
            "{e:?}"
        );
        let e = Config::load(Some(&dir.path().join("missing.toml")), env(&[])).unwrap_err();
        assert!(matches!(e, ConfigError::Unreadable { .. }), "{e:?}");
        assert!(
            e.to_string().contains("missing.toml: cannot read the file"),
            "{e}"
        );
    }
}
