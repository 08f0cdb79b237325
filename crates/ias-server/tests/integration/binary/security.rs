//! The security review's findings, against the real binary: proxy variables,
//! path aliases, the log on a terminal, core dumps, the secret from a file,
//! the redirect URI as configured; and the plain-http warning at start.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use github_standin::{Behavior, GitHubStandIn, StandInConfig};
use serde_json::json;

use super::admin::{scrape, value};
use super::{launch, Running, ID, SECRET};
use rustix::process::Signal;

/// A proxy on loopback that records each request head it gets and answers
/// 502: enough to see whether (and what) an exchange sent through it.
struct RecordingProxy {
    addr: String,
    heads: Arc<Mutex<Vec<String>>>,
}

impl RecordingProxy {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&heads);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut head = String::new();
                while let Ok(n) = reader.read_line(&mut head) {
                    if n == 0 || head.ends_with("\r\n\r\n") {
                        break;
                    }
                }
                seen.lock().unwrap().push(head);
                let _ = stream.write_all(
                    b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
            }
        });
        RecordingProxy { addr, heads }
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

/// `POST /oauth/token` for `code`: the status and the JSON body.
pub(super) async fn exchange(public: &str, code: &str) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new()
        .post(format!("http://{public}/oauth/token"))
        .json(&json!({"provider": "github", "code": code}))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

/// HTTP_PROXY, HTTPS_PROXY and ALL_PROXY are ignored (the secret would go to
/// whatever they name); IAS_GITHUB_PROXY is followed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_variables_are_ignored_and_the_proxy_setting_is_followed() {
    let github = super::github().await;
    github.on_code("direct", Behavior::token("gho_direct"));
    let proxy = RecordingProxy::start();
    let url = format!("http://{}", proxy.addr);
    let variables: Vec<(&str, &str)> = [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ]
    .into_iter()
    .map(|v| (v, url.as_str()))
    .collect();
    let mut server = Running::start_with(&github.base_url(), &variables, None);
    let public = server.address();
    assert_eq!(exchange(&public, "direct").await.0, 200);
    assert!(
        proxy.heads().is_empty(),
        "the proxy saw {:?}",
        proxy.heads()
    );
    server.stop();

    let with_proxy = format!("http://user:hunter2@{}", proxy.addr);
    let mut server = Running::start_with(
        &github.base_url(),
        &[("IAS_GITHUB_PROXY", &with_proxy)],
        None,
    );
    let public = server.address();
    let (status, body) = exchange(&public, "direct").await;
    assert_eq!(
        (status, &body["traces"]),
        (500, &json!(["GitHub answered HTTP 502"])),
        "{body}"
    );
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(
        heads[0].starts_with(&format!(
            "POST {}/login/oauth/access_token HTTP/1.1",
            github.base_url()
        )),
        "{heads:?}"
    );
    let (_, logs) = {
        server.signal(Signal::TERM);
        server.wait_exit()
    };
    assert!(logs.iter().all(|l| !l.contains("hunter2")), "{logs:#?}");
}

/// An exchange of `code` sent as written (method and request-target
/// byte for byte, which an HTTP client would normalise), on its own
/// connection; the whole answer.
fn raw_exchange(public: &str, method: &str, target: &str, code: &str) -> String {
    let mut stream = std::net::TcpStream::connect(public).unwrap();
    let body = format!(r#"{{"provider":"github","code":"{code}"}}"#);
    write!(
        stream,
        "{method} {target} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// A method spelled in another case (RFC 9110 §9.1: methods are
/// case-sensitive) gets 405, and an absolute-form target that is not http(s)
/// with a valid port gets 404; none reaches the handler (GitHub sees
/// nothing). An http absolute-form target is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn method_spellings_and_foreign_targets_get_no_token() {
    let github = super::github().await;
    github.on_code("spelled", Behavior::ReusableToken("gho_spelled".into()));
    let mut server = Running::start(&github.base_url());
    let public = server.address();
    let send = |method: &str, target: &str| raw_exchange(&public, method, target, "spelled");
    #[rustfmt::skip]
    let refused = [
        ("post", "/oauth/token", "HTTP/1.1 405 "),
        ("Post", "/oauth/token", "HTTP/1.1 405 "),
        ("pOsT", "/oauth/token", "HTTP/1.1 405 "),
        ("POST", "ftp://x/oauth/token", "HTTP/1.1 404 "),
        ("POST", "http://x:99999/oauth/token", "HTTP/1.1 404 "),
        ("POST", "/oauth/token#frag", "HTTP/1.1 404 "),
        ("POST", "/oauth/token?x=1#", "HTTP/1.1 404 "),
        ("POST", "http://x/oauth/token#frag", "HTTP/1.1 404 "),
    ];
    for (method, target, status) in refused {
        let answer = send(method, target);
        assert!(answer.starts_with(status), "{method} {target}: {answer}");
        assert!(
            !answer.contains("gho_spelled"),
            "{method} {target}: {answer}"
        );
    }
    assert!(github.received().is_empty(), "a spelling reached GitHub");
    let answer = send("POST", &format!("http://{public}/oauth/token"));
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    // The `#` is found in a request line written in pieces, and on a kept-
    // alive connection's second request; a `#` in headers or the body is
    // nothing.
    let mut stream = std::net::TcpStream::connect(&public).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let body = r##"{"provider":"github","code":"not#spelled"}"##;
    let request = |target: &str| {
        format!(
            "POST {target} HTTP/1.1\r\nhost: x\r\nx-note: a#b\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let mut answers = Vec::new();
    for (pieces, status) in [
        (
            vec![
                "POST /oauth/to".to_string(),
                request("/oauth/token")[14..].to_string(),
            ],
            "HTTP/1.1 400 ",
        ),
        (
            vec![
                request("/oauth/token#x")[..20].to_string(),
                request("/oauth/token#x")[20..].to_string(),
            ],
            "HTTP/1.1 404 ",
        ),
        (vec![request("/oauth/token")], "HTTP/1.1 400 "),
    ] {
        for piece in pieces {
            stream.write_all(piece.as_bytes()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let answer = super::limits::read_response(&mut stream);
        assert!(answer.starts_with(status), "{answer}");
        answers.push(answer);
    }
    // GitHub saw the absolute-form exchange and the two without a `#`.
    assert_eq!(github.received().len(), 3, "{answers:#?}");
    server.stop();
}

/// A path that normalises to the route but is not it gets the router's 404,
/// reaches no handler (GitHub sees nothing), and counts as the route `other`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_aliases_get_404_and_no_token() {
    let github = super::github().await;
    github.on_code("alias", Behavior::ReusableToken("gho_alias".into()));
    let mut server = Running::start(&github.base_url());
    let public = server.address();
    let admin = server.admin_address();
    let aliases = [
        "//oauth//token/",
        "/oauth/%74oken",
        "/%6Fauth/token",
        "/oauth/token/",
        "/oauth/./token",
    ];
    for path in aliases {
        // Sent as written: reqwest would normalise `.` segments, so raw HTTP.
        let answer = raw_exchange(&public, "POST", path, "alias");
        assert!(answer.starts_with("HTTP/1.1 404 "), "{path}: {answer}");
        assert!(!answer.contains("gho_alias"), "{path}: {answer}");
    }
    assert!(github.received().is_empty(), "an alias reached GitHub");
    assert_eq!(
        exchange(&public, "alias").await.0,
        200,
        "the canonical path works"
    );

    let unrouted = value(
        &scrape(&admin).await,
        "http_server_request_duration_seconds_count",
        &[
            ("http_request_method", "POST"),
            ("http_route", "other"),
            ("http_response_status_code", "404"),
            ("outcome", "unrouted"),
        ],
    );
    assert_eq!(unrouted, aliases.len() as f64);
    server.stop();
}

/// With a terminal on stderr (`docker run -t`) the log is the same JSON
/// pipeline: a `?code=` never reaches it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_gets_the_same_log_pipeline() {
    use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
    use std::os::unix::fs::OpenOptionsExt as _;
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("a pseudo-terminal");
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let name = ptsname(&master, Vec::new()).unwrap();
    let slave = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(rustix::fs::OFlags::NOCTTY.bits() as i32)
        .open(name.to_str().unwrap())
        .expect("the terminal's other side");
    let mut child = super::spawn(
        launch("http://127.0.0.1:9", &[], None).stderr(std::process::Stdio::from(slave)),
    );
    let child = &mut child.0;
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let collected = Arc::clone(&lines);
    std::thread::spawn(move || {
        let reader = BufReader::new(std::fs::File::from(master));
        for line in reader.lines().map_while(Result::ok) {
            collected
                .lock()
                .unwrap()
                .push(line.trim_end_matches('\r').to_string());
        }
    });
    let wait_for = |needle: &str| {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(l) = lines.lock().unwrap().iter().find(|l| l.contains(needle)) {
                return l.clone();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no {needle:?} in {:#?}",
                lines.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let listening = wait_for("\"local_addr\"");
    let v: serde_json::Value = serde_json::from_str(&listening).expect("JSON on a terminal too");
    let public = v["local_addr"].as_str().unwrap().to_string();
    let leaky = "tty-leaky-code-7f3a9b";
    let r = reqwest::Client::new()
        .post(format!("http://{public}/oauth/token?code={leaky}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let completed = wait_for("request completed");
    assert!(completed.contains(r#""uri":"/oauth/token""#), "{completed}");
    super::signal(child.id(), Signal::TERM);
    super::wait_exit(child, Duration::from_secs(20));
    for line in lines.lock().unwrap().iter() {
        assert!(
            !line.contains(leaky),
            "the code reached the terminal: {line}"
        );
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "not JSON: {line}"
        );
    }
}

/// Core dumps are off (`RLIMIT_CORE` 0), the secret can come from a file
/// (a readable-by-others file is warned about), and the redirect URI reaches
/// GitHub byte for byte as configured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_at_rest_and_the_redirect_uri() {
    use std::os::unix::fs::PermissionsExt as _;
    let redirect = "http://LOCALHOST:3000/Callback?from=ias";
    let github = GitHubStandIn::start(StandInConfig::new(ID, SECRET).with_redirect_uri(redirect))
        .await
        .unwrap();
    github.on_code("from-file", Behavior::token("gho_from_file"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("client-secret");
    std::fs::write(&file, format!("{SECRET}\n")).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();

    let mut cmd = launch(
        &github.base_url(),
        &[("IAS_GITHUB_REDIRECT_URI", redirect)],
        None,
    );
    cmd.env_remove("IAS_GITHUB_CLIENT_SECRET")
        .env("IAS_GITHUB_CLIENT_SECRET_FILE", &file);
    let mut server = Running::spawn(cmd);
    let warning = server.wait_for("insecure file permissions");
    assert!(
        warning.contains(&file.display().to_string()) && warning.contains("chmod 600"),
        "{warning}"
    );
    let public = server.address();

    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.0.pid())).unwrap();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    assert_eq!(
        core.split_whitespace().skip(4).take(2).collect::<Vec<_>>(),
        ["0", "0"],
        "{core}"
    );

    assert_eq!(exchange(&public, "from-file").await.0, 200);
    let sent = &github.received()[0].body_params;
    assert_eq!(sent.get("redirect_uri").map(String::as_str), Some(redirect));
    assert_eq!(
        sent.get("client_secret").map(String::as_str),
        Some(SECRET),
        "the newline is not part of it"
    );
    let (code, logs) = {
        server.signal(Signal::TERM);
        server.wait_exit()
    };
    assert_eq!(code, 0);
    assert!(logs.iter().all(|l| !l.contains(SECRET)), "{logs:#?}");

    // A fragment is refused at start.
    let out = super::output_of(&mut launch(
        &github.base_url(),
        &[(
            "IAS_GITHUB_REDIRECT_URI",
            "https://console.example.com/cb#top",
        )],
        None,
    ));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has a fragment"));
}

/// A GitHub base URL in plain http off loopback gets a warning at start (the
/// client secret would cross the network unencrypted); on loopback, or in
/// https, none.
#[tokio::test]
async fn plain_http_to_github_off_loopback_is_warned_about() {
    const WARNING: &str =
        "the GitHub base URL uses plain http: the client secret crosses the network unencrypted";
    for (base_url, warned) in [
        // TEST-NET-1 (RFC 5737): never reached, no request is sent.
        ("http://192.0.2.1:9", true),
        ("http://127.example.com:9", true),
        ("http://127.0.0.1:9", false),
        ("http://localhost:9", false),
        ("https://192.0.2.1:9", false),
    ] {
        let env = ias_testing::TestEnv::start_with(ias_testing::TestEnvOptions {
            github_base_url: Some(base_url.to_string()),
            ..Default::default()
        })
        .await
        .unwrap();
        let lines = env.log_lines(WARNING);
        assert_eq!(lines.len(), usize::from(warned), "{base_url}: {lines:?}");
        if warned {
            assert_eq!(lines[0]["github_base_url"], format!("{base_url}/"));
            assert_eq!(lines[0]["level"], 40);
        }
        env.stop().await;
    }
}
