//! Settings through the library (`Config::load` with a given environment):
//! defaults, every message that names a bad setting, the `--config` file
//! and its precedence. `binary` checks the same settings through the process.

use std::collections::HashMap;
use std::time::Duration;

use ias_server::config::Origin;
use ias_server::{Config, ConfigError};
use secrecy::ExposeSecret;

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

/// The settings loaded from `CREDS` and `pairs`, with no file.
fn with(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let mut all = CREDS.to_vec();
    all.extend_from_slice(pairs);
    Config::load(None, env(&all))
}

#[test]
fn defaults() {
    let c = Config::load(None, env(&CREDS)).unwrap();
    #[rustfmt::skip]
    let expected = [
        ("IAS_BIND_ADDRESS", "127.0.0.1:8080"), ("IAS_ADMIN_ADDRESS", "127.0.0.1:9090"),
        ("IAS_GITHUB_CLIENT_ID", "id"), ("IAS_GITHUB_CLIENT_SECRET", "[redacted]"),
        ("IAS_GITHUB_CLIENT_SECRET_FILE", "(not set)"),
        ("IAS_GITHUB_BASE_URL", "https://github.com/"), ("IAS_GITHUB_PROXY", "(none: direct)"),
        ("IAS_GITHUB_REDIRECT_URI", "(not set)"),
        ("IAS_UPSTREAM_TIMEOUT", "10s"), ("IAS_LOG_LEVEL", "info"),
        ("IAS_IDLE_TIMEOUT", "1m"), ("IAS_REQUEST_TIMEOUT", "10s"),
        ("IAS_MAX_CONNECTIONS", "4096"), ("IAS_MAX_CONNECTIONS_PER_CLIENT", "off"),
        ("IAS_MAX_CONCURRENT_EXCHANGES", "1024"),
        ("IAS_SHUTDOWN_DELAY", "0s"), ("IAS_SHUTDOWN_TIMEOUT", "25s"),
        ("IAS_TRUST_REQUEST_ID", "false"),
    ];
    let shown = c.effective_settings();
    let shown: Vec<(&str, &str)> = shown.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(shown, expected);
    assert_eq!(c.connect_timeout(), Duration::from_secs(5));
    assert_eq!(c.github.client_secret.expose_secret(), "s3cret");
    let debug = format!("{c:?}");
    assert!(!debug.contains("s3cret"), "Debug must not print the secret");
    assert!(
        debug.contains(r#"client_id: "id""#) && debug.contains("https://github.com/"),
        "Debug shows what is not secret: {debug}"
    );
    let off = Config::load(
        None,
        env(&[CREDS[0], CREDS[1], ("IAS_ADMIN_ADDRESS", "off")]),
    );
    assert_eq!(off.unwrap().admin_address, None);
}

/// Each duration at its bounds: its maximum accepted, one millisecond more
/// refused; 0 accepted only where it means "none".
#[test]
fn durations_are_accepted_up_to_their_maximum() {
    #[rustfmt::skip]
    let cases = [
        // (setting, maximum in seconds, shown as, 0 accepted)
        ("IAS_UPSTREAM_TIMEOUT", 300, "5m", false),
        ("IAS_IDLE_TIMEOUT", 3600, "1h", false),
        ("IAS_REQUEST_TIMEOUT", 300, "5m", false),
        ("IAS_SHUTDOWN_DELAY", 300, "5m", true),
        ("IAS_SHUTDOWN_TIMEOUT", 3600, "1h", true),
    ];
    for (var, max, shown, zero_ok) in cases {
        let load = |value: &str| Config::load(None, env(&[CREDS[0], CREDS[1], (var, value)]));
        let at_max = load(&format!("{max}s")).unwrap_or_else(|e| panic!("{var}: {e}"));
        let settings = at_max.effective_settings();
        let value = settings
            .iter()
            .find(|(k, _)| *k == var)
            .map(|(_, v)| v.as_str());
        assert_eq!(value, Some(shown), "{var}");
        let over = format!("{max}s 1ms");
        let low = if zero_ok { "0s or more" } else { "above 0" };
        assert_eq!(
            load(&over).unwrap_err().to_string(),
            format!("{var} = \"{over}\" is out of range; use a duration {low} and at most {max}s"),
        );
        assert_eq!(load("0s").is_ok(), zero_ok, "{var} = 0s");
    }
}

/// Each bad environment gives the error that names its setting: (the
/// environment beside the credentials, the message's start).
#[test]
fn environment_errors_name_the_setting() {
    let (id, secret) = (CREDS[0], CREDS[1]);
    #[rustfmt::skip]
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[id], "IAS_GITHUB_CLIENT_SECRET is not set: the GitHub OAuth app's client secret is required; set IAS_GITHUB_CLIENT_SECRET (or github.client_secret in the --config file), or IAS_GITHUB_CLIENT_SECRET_FILE to a file holding it"),
        (&[secret], "IAS_GITHUB_CLIENT_ID is not set: the GitHub OAuth app's client id is required"),
        (&[id, ("IAS_GITHUB_CLIENT_SECRET", " ")], "IAS_GITHUB_CLIENT_SECRET is empty: the GitHub OAuth app's client secret is required"),
        (&[secret, ("IAS_GITHUB_CLIENT_ID", "")], "IAS_GITHUB_CLIENT_ID is empty: the GitHub OAuth app's client id is required"),
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
        (&[id, secret, ("IAS_GITHUB_REDIRECT_URI", "/callback")], "IAS_GITHUB_REDIRECT_URI = \"/callback\" is not an absolute URL"),
        (&[id, secret, ("IAS_GITHUB_REDIRECT_URI", "https://console.example.com/cb#x")], "IAS_GITHUB_REDIRECT_URI = \"https://console.example.com/cb#x\" has a fragment"),
        (&[id, secret, ("IAS_GITHUB_REDIRECT_URI", "http://console.example.com/cb")], "IAS_GITHUB_REDIRECT_URI = \"http://console.example.com/cb\" must be an https:// URL (or http:// on localhost for development)"),
        (&[id, secret, ("IAS_GITHUB_REDIRECT_URI", " https://console.example.com/cb")], "IAS_GITHUB_REDIRECT_URI = \" https://console.example.com/cb\" has white space around it"),
        (&[id, secret, ("IAS_GITHUB_PROXY", "socks5://127.0.0.1:1080")], "IAS_GITHUB_PROXY = \"socks5://127.0.0.1:1080\" is not an http:// or https:// proxy URL with a host"),
        (&[id, secret, ("IAS_TRUST_REQUEST_ID", "yes")], "IAS_TRUST_REQUEST_ID = \"yes\" is not a boolean; use true or false"),
        (&[id, ("IAS_GITHUB_CLIENT_SECRET_FILE", "/nonexistent/ias-secret")], "IAS_GITHUB_CLIENT_SECRET_FILE = \"/nonexistent/ias-secret\" cannot be read (no such file)"),
        (&[id, ("IAS_GITHUB_CLIENT_SECRET_FILE", "")], "IAS_GITHUB_CLIENT_SECRET_FILE is empty: the GitHub OAuth app's client secret is required"),
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

/// The client secret from a mounted file (one trailing newline dropped), and
/// the warning a file others can read gets; the two ways are exclusive.
#[test]
fn the_secret_can_come_from_a_file() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("client-secret");
    let load = |extra: &[(&str, &str)]| {
        let mut pairs = vec![
            CREDS[0],
            ("IAS_GITHUB_CLIENT_SECRET_FILE", path.to_str().unwrap()),
        ];
        pairs.extend_from_slice(extra);
        Config::load(None, env(&pairs))
    };
    for (written, read) in [
        ("s3cret\n", "s3cret"),
        ("s3cret\r\n", "s3cret"),
        ("s3cret", "s3cret"),
        ("s3cret\n\n", "s3cret\n"),
    ] {
        std::fs::write(&path, written).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let c = load(&[]).unwrap();
        assert_eq!(c.github.client_secret.expose_secret(), read, "{written:?}");
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }
    let shown = load(&[]).unwrap().effective_settings();
    assert!(shown.contains(&(
        "IAS_GITHUB_CLIENT_SECRET_FILE",
        format!("{} ([redacted])", path.display())
    )));
    assert!(!format!("{shown:?}").contains("s3cret"));

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let warnings = load(&[]).unwrap().warnings;
    assert_eq!(
        warnings,
        [format!("IAS_GITHUB_CLIENT_SECRET_FILE {}: the file is readable by group or others (mode 644); it holds a secret: chmod 600 it (or 640 with a dedicated group)", path.display())]
    );

    let e = load(&[CREDS[1]]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "IAS_GITHUB_CLIENT_SECRET and IAS_GITHUB_CLIENT_SECRET_FILE are both set: give the client secret one way only (IAS_GITHUB_CLIENT_SECRET or IAS_GITHUB_CLIENT_SECRET_FILE)"
    );
    std::fs::write(&path, "\n").unwrap();
    assert!(load(&[])
        .unwrap_err()
        .to_string()
        .ends_with("is an empty file: it must hold the GitHub OAuth app's client secret"));
}

/// URLs are sent as configured (GitHub compares redirect URIs as strings) and
/// never echo a user:password, in errors or in `--check-config`.
#[test]
fn urls_keep_their_bytes_and_never_show_a_password() {
    let exact = "HTTPS://Console.Example.COM:443/cb?from=ias";
    let c = with(&[("IAS_GITHUB_REDIRECT_URI", exact)]).unwrap();
    assert_eq!(c.github.redirect_uri.as_deref(), Some(exact));
    for loopback in [
        "http://localhost:3000/cb",
        "http://127.0.0.1/cb",
        "http://127.1.2.3/cb",
        "http://[::1]:8/cb",
    ] {
        assert!(
            with(&[("IAS_GITHUB_REDIRECT_URI", loopback)]).is_ok(),
            "{loopback}"
        );
    }

    // Empty is "not set" for the optional redirect URI; booleans in any case.
    let c = with(&[
        ("IAS_GITHUB_REDIRECT_URI", ""),
        ("IAS_TRUST_REQUEST_ID", " TRUE "),
    ])
    .unwrap();
    assert_eq!((c.github.redirect_uri, c.trust_request_id), (None, true));
    // A user name alone is userinfo too.
    for (var, url) in [
        ("IAS_GITHUB_BASE_URL", "http://hunter2@127.0.0.1:1"),
        (
            "IAS_GITHUB_REDIRECT_URI",
            "https://hunter2@console.example.com/cb",
        ),
    ] {
        let e = with(&[(var, url)]).unwrap_err().to_string();
        assert!(
            e.contains("has a user:password part") && !e.contains("hunter2"),
            "{e}"
        );
    }
    let e = with(&[("IAS_GITHUB_BASE_URL", "http://user:hunter2@127.0.0.1:1")]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "IAS_GITHUB_BASE_URL = \"http://[redacted]@127.0.0.1:1\" has a user:password part, which would be sent and logged; give the host alone (the app signs in with its client id and secret)"
    );
    let e = with(&[(
        "IAS_GITHUB_REDIRECT_URI",
        "https://u:hunter2@console.example.com/cb",
    )])
    .unwrap_err();
    assert!(!e.to_string().contains("hunter2"), "{e}");

    let c = with(&[("IAS_GITHUB_PROXY", "http://u:hunter2@127.0.0.1:3128")]).unwrap();
    let shown = c.effective_settings();
    assert!(
        shown.contains(&(
            "IAS_GITHUB_PROXY",
            "http://[redacted]@127.0.0.1:3128/".to_string()
        )),
        "{shown:?}"
    );
    assert!(!format!("{shown:?}").contains("hunter2"));
    assert!(
        !format!("{c:?}").contains("hunter2"),
        "Debug shows no proxy password"
    );
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
        ("[github]\nclient_secret = hunter2-unquoted\n", ":2: invalid configuration: string values must be quoted, expected literal string in the value of `client_secret` (not shown: it may be a secret); write strings in quotes, key = \"value\""),
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
        assert!(!e.to_string().contains("hunter2"), "a value in {e}");
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
        e.to_string().contains(
            "missing.toml: the file cannot be read (no such file); give a readable TOML file"
        ),
        "{e}"
    );
}

/// The secret file and `--config` are regular files under a size cap: a FIFO
/// (which would block the start), a device (`/dev/zero`, read until memory
/// runs out), a directory or a large file is refused at once, naming the
/// setting. Each load runs on a thread and must end within 5 s.
#[test]
fn settings_files_are_small_regular_files() {
    use ias_server::config::{CONFIG_FILE_MAX_BYTES, SECRET_FILE_MAX_BYTES};
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let big = |name: &str, len: u64| {
        let path = dir.path().join(name);
        std::fs::write(&path, "x".repeat(len as usize)).unwrap();
        path
    };
    let secret_big = big("secret-big", SECRET_FILE_MAX_BYTES + 1);
    let secret_at_cap = big("secret-at-cap", SECRET_FILE_MAX_BYTES);
    let config_big = big("config-big.toml", CONFIG_FILE_MAX_BYTES + 1);
    let zero = std::path::PathBuf::from("/dev/zero");
    let within_5s = |load: Box<dyn FnOnce() -> Result<Config, ConfigError> + Send>| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(load()).unwrap());
        rx.recv_timeout(std::time::Duration::from_secs(5))
            .expect("the load ended within 5 s")
    };
    let secret_file = |path: &std::path::Path| {
        let path = path.to_str().unwrap().to_string();
        within_5s(Box::new(move || {
            Config::load(
                None,
                env(&[
                    ("IAS_GITHUB_CLIENT_ID", "id"),
                    ("IAS_GITHUB_CLIENT_SECRET_FILE", &path),
                ]),
            )
        }))
    };
    #[rustfmt::skip]
    let secret_cases = [
        (&fifo, "is not a regular file (it is a FIFO); give a readable file holding the client secret alone"),
        (&zero, "is not a regular file (it is a character device)"),
        (&dir.path().to_path_buf(), "is not a regular file (it is a directory)"),
        (&secret_big, "is larger than the 4096 bytes it may be"),
    ];
    for (path, why) in secret_cases {
        let e = secret_file(path).unwrap_err().to_string();
        let expected = format!(
            "IAS_GITHUB_CLIENT_SECRET_FILE = {:?} {why}",
            path.to_str().unwrap()
        );
        assert!(e.starts_with(&expected), "{e}\n  expected: {expected}");
    }
    let at_cap = secret_file(&secret_at_cap).expect("a secret of exactly the cap is read");
    assert_eq!(
        at_cap.github.client_secret.expose_secret(),
        "x".repeat(SECRET_FILE_MAX_BYTES as usize),
        "read whole"
    );
    for (path, why) in [
        (&fifo, "is not a regular file (it is a FIFO)"),
        (&zero, "is not a regular file (it is a character device)"),
        (&config_big, "is larger than the 4194304 bytes it may be"),
    ] {
        let config = path.clone();
        let e = within_5s(Box::new(move || Config::load(Some(&config), env(&[]))))
            .unwrap_err()
            .to_string();
        let expected = format!(
            "--config {}: the file {why}; give a readable TOML file",
            path.display()
        );
        assert_eq!(e, expected);
    }
}

/// Loopback is decided on the parsed host, not on how it starts.
#[test]
fn loopback_is_a_parsed_address() {
    use ias_server::config::is_loopback;
    let cases = [
        ("http://localhost:1/", true),
        ("http://LOCALHOST/", true),
        ("http://127.0.0.1/", true),
        ("http://127.255.0.9/", true),
        ("http://[::1]:8/", true),
        ("http://127.example.com/", false),
        ("http://localhost.example.com/", false),
        ("http://10.0.0.1/", false),
        ("http://[::2]/", false),
    ];
    for (url, loopback) in cases {
        assert_eq!(is_loopback(&url.parse().unwrap()), loopback, "{url}");
    }
}

/// A URL setting that does not parse is never printed as written: a password
/// with an unencoded `/`, `#` or `?`, or a URL without a scheme, breaks the
/// parsing, and the error shows the value with all before its last `@`
/// redacted (3 settings × 4 forms).
#[test]
fn a_url_that_does_not_parse_never_shows_its_password() {
    let forms = [
        ("http://proxyuser:pa/ss-1@proxy.example:3128", "pa/ss-1"),
        ("http://proxyuser:pa#ss-2@proxy.example:3128", "pa#ss-2"),
        ("http://proxyuser:pa?ss-3@proxy.example:3128", "pa?ss-3"),
        ("proxyuser:passw0rd-4@proxy.example:3128", "passw0rd-4"),
    ];
    for var in [
        "IAS_GITHUB_PROXY",
        "IAS_GITHUB_BASE_URL",
        "IAS_GITHUB_REDIRECT_URI",
    ] {
        for (value, password) in forms {
            let e = with(&[(var, value)]).unwrap_err().to_string();
            assert!(e.starts_with(&format!("{var} = ")), "{e}");
            assert!(
                !e.contains(password) && !e.contains("proxyuser"),
                "{var}: {e}"
            );
            assert!(e.contains("[redacted]@proxy.example:3128"), "{var}: {e}");
        }
    }
    use ias_server::config::without_anything_before_at as shown;
    assert_eq!(shown("no at sign"), "no at sign");
    assert_eq!(shown("a:b@c@host/x@y"), "[redacted]@y");
    assert_eq!(shown("https://@h"), "https://[redacted]@h");
}

/// What is shown of a value that may hold a URL's user:password.
#[test]
fn userinfo_is_never_shown() {
    use ias_server::config::without_userinfo;
    #[rustfmt::skip]
    let cases = [
        ("http://u:p@h:1/x", "http://[redacted]@h:1/x"),
        ("https://a@10.0.0.1:3128", "https://[redacted]@10.0.0.1:3128"),
        ("socks5://user:pw@proxy", "socks5://[redacted]@proxy"),
        ("http://h/path@not-userinfo", "http://h/path@not-userinfo"),
        ("http://h?q=a@b", "http://h?q=a@b"),
        ("not a url, user@host", "not a url, user@host"),
        ("http://a:b@c@d/", "http://[redacted]@d/"),
    ];
    for (text, shown) in cases {
        assert_eq!(without_userinfo(text), shown, "{text}");
    }
}

/// Every default the docs state (README, ARCHITECTURE, docs/*.md), in a
/// table row `| `IAS_X` | `value` |` or as `` `IAS_X` (default `value` ``, is
/// the settings table's, and names a setting that exists.
#[test]
fn the_docs_state_the_settings_tables_defaults() {
    use ias_server::config::{WhenUnset, SETTINGS};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    files.extend(
        std::fs::read_dir(root.join("docs"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "md")),
    );
    let row = regex::Regex::new(r"(?m)^\| `(IAS_[A-Z_]+)` \| `([^`]*)` \|").unwrap();
    let prose = regex::Regex::new(r"`(IAS_[A-Z_]+)`\s*\(default\s+`([^`]*)`").unwrap();
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for found in row.captures_iter(&text).chain(prose.captures_iter(&text)) {
            let (var, stated) = (&found[1], &found[2]);
            let setting = SETTINGS
                .iter()
                .find(|s| s.var == var)
                .unwrap_or_else(|| panic!("{}: {var} is not a setting", file.display()));
            let WhenUnset::Use(default) = setting.when_unset else {
                panic!(
                    "{}: {var} has no default, the docs say `{stated}`",
                    file.display()
                );
            };
            // `60s` and `1m` are the same duration.
            let same = stated == default
                || humantime::parse_duration(stated)
                    .ok()
                    .is_some_and(|d| humantime::parse_duration(default).ok() == Some(d));
            assert!(
                same,
                "{}: {var} defaults to `{default}`, the docs say `{stated}`",
                file.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} defaults found in the docs");
}
