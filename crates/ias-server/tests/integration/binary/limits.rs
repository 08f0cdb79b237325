//! Resource limits, tried from outside as an attacker or an SRE would: idle
//! and slow connections, oversized and endless bodies, a connection flood
//! over the open-file limit, exchanges over their cap, SIGTERM with stuck and
//! in-flight clients, a stderr nobody reads, and what reaches the log.
//! Timeouts are set small; bounds leave slack for a loaded 2-core machine.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

use github_standin::Behavior;

use super::{github, launch, signal, spawn, wait_exit, Running};
use rustix::process::Signal;

/// A connection that sends `bytes` at once.
pub(super) fn connect(addr: &str, bytes: &[u8]) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    s.write_all(bytes).unwrap();
    s
}

/// Reads until the server closes: what it sent and how long that took.
pub(super) fn until_closed(s: &mut TcpStream) -> (Duration, String) {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("the server did not close the connection: {e}"),
        }
    }
    (
        started.elapsed(),
        String::from_utf8_lossy(&got).into_owned(),
    )
}

/// One complete HTTP/1.1 response read off `s` (Content-Length bodies only).
pub(super) fn read_response(s: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&got);
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            if got.len() >= end + 4 + length {
                return text.into_owned();
            }
        }
        let n = s.read(&mut buf).expect("a response");
        assert!(n > 0, "closed before a whole response: {text}");
        got.extend_from_slice(&buf[..n]);
    }
}

pub(super) fn post(code_or_body: &str) -> Vec<u8> {
    format!(
        "POST /oauth/token HTTP/1.1\r\nHost: ias\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{code_or_body}",
        code_or_body.len()
    )
    .into_bytes()
}

pub(super) fn token_request(code: &str) -> Vec<u8> {
    post(&format!(r#"{{"provider":"github","code":"{code}"}}"#))
}

pub(super) const EMPTY_POST: &[u8] =
    b"POST /oauth/token HTTP/1.1\r\nHost: ias\r\nContent-Length: 0\r\n\r\n";
pub(super) const H2_PREFACE_AND_SETTINGS: &[u8] =
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0";

/// Runs blocking socket work off the runtime (the stand-in needs it).
pub(super) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed_but_not_requests_in_progress() {
    let github = github().await;
    github.on_code(
        "limits-slow-code",
        Behavior::delayed(
            Duration::from_millis(1500),
            Behavior::token("gho_slow_limits"),
        ),
    );
    let mut server = Running::start_with(
        &github.base_url(),
        &[("IAS_IDLE_TIMEOUT", "700ms"), ("IAS_REQUEST_TIMEOUT", "5s")],
        None,
    );
    let addr = server.address();
    blocking(move || {
        let mut silent = connect(&addr, b"");
        let mut keep_alive = connect(&addr, EMPTY_POST);
        let first = read_response(&mut keep_alive);
        assert!(first.starts_with("HTTP/1.1 400"), "{first}");
        let mut h2 = connect(&addr, H2_PREFACE_AND_SETTINGS);
        // A request that takes longer than the idle timeout is not idle.
        let mut slow = connect(&addr, &token_request("limits-slow-code"));
        for (what, s) in [
            ("a connection that never sent a byte", &mut silent),
            ("an HTTP/1.1 keep-alive connection", &mut keep_alive),
            ("an HTTP/2 connection with no stream", &mut h2),
        ] {
            let (after, _) = until_closed(s);
            assert!(
                after < Duration::from_secs(4),
                "{what} closed after {after:?}"
            );
        }
        let answer = read_response(&mut slow);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        // Measured from a fresh connection: not closed early.
        let started = Instant::now();
        let (after, _) = until_closed(&mut connect(&addr, b""));
        assert!(
            after >= Duration::from_millis(600) && started.elapsed() < Duration::from_secs(4),
            "closed after {after:?} with IAS_IDLE_TIMEOUT=700ms"
        );
    })
    .await;
    server.stop();
}

/// A kept-alive connection's idle time counts from its last answer, not from
/// when it opened; and waiting connections cost no CPU (the server sleeps
/// until their deadlines).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_time_counts_from_the_last_answer_and_costs_no_cpu() {
    let mut server = Running::start_with("http://127.0.0.1:9", &[("IAS_IDLE_TIMEOUT", "2s")], None);
    let addr = server.address();
    let cpu_before = server.0.cpu_time().unwrap();
    let (first, second) = blocking(move || {
        let idle: Vec<TcpStream> = (0..5).map(|_| connect(&addr, b"")).collect();
        let mut s = connect(&addr, b"");
        std::thread::sleep(Duration::from_millis(1200));
        s.write_all(EMPTY_POST).unwrap();
        let first = read_response(&mut s);
        // 2.4 s after it opened, 1.2 s after its answer: still open.
        std::thread::sleep(Duration::from_millis(1200));
        s.write_all(EMPTY_POST).unwrap();
        let second = read_response(&mut s);
        drop(idle);
        (first, second)
    })
    .await;
    let cpu = server.0.cpu_time().unwrap() - cpu_before;
    assert!(first.starts_with("HTTP/1.1 400"), "{first}");
    assert!(second.starts_with("HTTP/1.1 400"), "{second}");
    // Two requests and six connections over 2.4 s: a few milliseconds.
    assert!(
        cpu < Duration::from_millis(300),
        "{cpu:?} of CPU while six connections mostly waited"
    );
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_headers_are_closed_and_late_bodies_answered_request_0() {
    let mut server = Running::start_with(
        "http://127.0.0.1:9",
        &[
            ("IAS_IDLE_TIMEOUT", "30s"),
            ("IAS_REQUEST_TIMEOUT", "500ms"),
        ],
        None,
    );
    let addr = server.address();
    blocking(move || {
        // Content-Length: 100, ten bytes sent.
        let trickle = b"POST /oauth/token HTTP/1.1\r\nHost: ias\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"code\":\"x";
        let (after, answer) = until_closed(&mut connect(&addr, trickle));
        assert!(
            after >= Duration::from_millis(400) && after < Duration::from_secs(4),
            "answered after {after:?}"
        );
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
        let body: serde_json::Value =
            serde_json::from_str(&answer[answer.find("\r\n\r\n").unwrap() + 4..]).unwrap();
        assert_eq!((body["group"].as_str(), body["code"].as_i64()), (Some("request"), Some(0)));
        assert_eq!(
            body["message"],
            "The request did not arrive within 500ms (IAS_REQUEST_TIMEOUT); send the headers and body without pauses."
        );

        // Headers that never complete: closed, nothing to answer.
        let (after, answer) = until_closed(&mut connect(&addr, b"POST /oauth/token HTTP/1.1\r\nHost: ias\r\nContent-Le"));
        assert!(after < Duration::from_secs(4), "closed after {after:?}");
        assert_eq!(answer, "");
    })
    .await;
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_endless_bodies_are_answered_without_being_read() {
    let mut server = Running::start("http://127.0.0.1:9");
    let addr = server.address();
    blocking(move || {
        let expected = r#"{"group":"request","code":0,"message":"request body exceeded maximum size of 8192 bytes"}"#;
        // Content-Length says it: answered before any body byte is sent.
        let started = Instant::now();
        let (_, answer) = until_closed(&mut connect(
            &addr,
            b"POST /oauth/token HTTP/1.1\r\nHost: ias\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n",
        ));
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(answer.starts_with("HTTP/1.1 400") && answer.ends_with(expected), "{answer}");

        // An endless chunked body: keep sending until the server closes.
        let mut s = connect(
            &addr,
            b"POST /oauth/token HTTP/1.1\r\nHost: ias\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        );
        let mut reader = s.try_clone().unwrap();
        let answered = std::thread::spawn(move || {
            let started = Instant::now();
            let answer = read_response(&mut reader);
            (started.elapsed(), answer)
        });
        let chunk = [b"4000\r\n".as_slice(), &[b'a'; 0x4000], b"\r\n"].concat();
        let (started, mut sent) = (Instant::now(), 0usize);
        while started.elapsed() < Duration::from_secs(5) {
            match s.write(&chunk) {
                Ok(n) => sent += n,
                Err(_) => break, // closed by the server
            }
        }
        let (after, answer) = answered.join().unwrap();
        assert!(after < Duration::from_secs(1), "answered after {after:?}");
        assert!(answer.starts_with("HTTP/1.1 400") && answer.ends_with(expected), "{answer}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the server kept reading the endless body ({sent} bytes sent)"
        );
        // What the kernel's socket buffers take, not what the server read.
        assert!(sent < 32 << 20, "{sent} bytes were taken");
    })
    .await;
    server.stop();
}

/// The soft open-file limit is raised to the hard one at start, and the
/// budget is made from the raised limit.
#[test]
fn the_soft_open_file_limit_is_raised_to_the_hard_one() {
    let reserved = ias_server::process::RESERVED_FDS;
    // Not above this process's own hard limit, which a child cannot pass.
    let ours = rustix::process::getrlimit(rustix::process::Resource::Nofile).maximum;
    let hard = ours.map_or(reserved + 1024, |h| h.min(reserved + 1024));
    let mut cmd = launch("http://127.0.0.1:9", &[], None);
    super::with_nofile(&mut cmd, reserved + 64, hard);
    let mut server = Running::spawn(cmd);
    let budget = server.wait_for("file descriptor budget");
    let budget: serde_json::Value = serde_json::from_str(&budget).unwrap();
    assert_eq!(budget["rlimit_nofile"], hard.to_string(), "{budget}");
    server.stop();
}

/// Caps that fit the open-file limit are logged at info; lowering either
/// one to fit is a warning, with the caps in force and how to allow more.
#[test]
fn lowering_a_cap_to_fit_the_open_file_limit_is_a_warning() {
    // 64 usable descriptors: up to 16 for GitHub, the rest for clients.
    let nofile = ias_server::process::RESERVED_FDS + 64;
    // (IAS_MAX_CONNECTIONS, IAS_MAX_CONCURRENT_EXCHANGES, caps in force, lowered)
    let cases = [
        ("10", "4", (10, 4), false),
        ("100", "4", (60, 4), true),
        ("10", "32", (10, 16), true),
    ];
    for (connections, exchanges, (max_connections, max_exchanges), lowered) in cases {
        let settings = [
            ("IAS_MAX_CONNECTIONS", connections),
            ("IAS_MAX_CONCURRENT_EXCHANGES", exchanges),
        ];
        let mut server = Running::start_with("http://127.0.0.1:9", &settings, Some(nofile));
        let line = server.wait_for("file descriptor budget");
        let budget: serde_json::Value = serde_json::from_str(&line).unwrap();
        let case = format!("{settings:?}: {budget}");
        assert_eq!(budget["max_connections"], max_connections, "{case}");
        assert_eq!(budget["max_concurrent_exchanges"], max_exchanges, "{case}");
        if lowered {
            assert_eq!(budget["level"], 40, "{case}");
            assert_eq!(
                budget["msg"], "file descriptor budget: caps lowered to fit the open-file limit",
                "{case}"
            );
            assert!(
                budget["hint"].as_str().unwrap().contains("ulimit -Hn"),
                "{case}"
            );
        } else {
            assert_eq!(budget["level"], 30, "{case}");
            assert_eq!(budget["msg"], "file descriptor budget", "{case}");
            assert_eq!(budget.get("hint"), None, "{case}");
        }
        server.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_flood_over_the_open_file_limit_leaves_open_connections_served() {
    let github = github().await;
    github.on_code("flood-code", Behavior::ReusableToken("gho_flood".into()));
    // The reserved descriptors and 64 more: 16 for GitHub, 48 for clients.
    let nofile = ias_server::process::RESERVED_FDS + 64;
    let mut server = Running::start_with(
        &github.base_url(),
        &[("IAS_IDLE_TIMEOUT", "4s"), ("IAS_REQUEST_TIMEOUT", "1s")],
        Some(nofile),
    );
    let budget = server.wait_for("file descriptor budget");
    let addr = server.address();
    let admin = server.admin_address();
    let budget: serde_json::Value = serde_json::from_str(&budget).unwrap();
    assert_eq!(budget["rlimit_nofile"], nofile.to_string(), "{budget}");
    assert_eq!(budget["max_connections"], 48, "{budget}");
    assert_eq!(budget["max_concurrent_exchanges"], 16, "{budget}");
    let refused_so_far = {
        let admin = admin.clone();
        move || {
            let samples = super::admin::scrape_blocking(&admin);
            let reason = super::admin::labels(&[("reason", "limit")]);
            let key = ("ias_connections_refused_total".to_string(), reason);
            samples.get(&key).copied().unwrap_or(0.0)
        }
    };
    blocking(move || {
        let mut established = connect(&addr, &token_request("flood-code"));
        assert!(read_response(&mut established).starts_with("HTTP/1.1 200"));

        let mut flood: Vec<TcpStream> = (0..200).map(|_| connect(&addr, b"")).collect();
        // The ones over the cap are closed at once (the others idle out
        // after 4 s): wait until the server has taken them all in.
        let deadline = Instant::now() + Duration::from_secs(3);
        while refused_so_far() < 153.0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        for s in &flood {
            s.set_read_timeout(Some(Duration::from_millis(5))).unwrap();
        }
        let refused = flood
            .iter_mut()
            .filter(|s| match (&**s).read(&mut [0u8; 1]) {
                Ok(0) => true,
                Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
                Ok(_) => false,
            })
            .count();
        assert!(refused >= 150, "only {refused} of 200 were closed");

        // The established connection still gets tokens.
        established.write_all(&token_request("flood-code")).unwrap();
        let answer = read_response(&mut established);
        assert!(
            answer.starts_with("HTTP/1.1 200") && answer.contains("gho_flood"),
            "{answer}"
        );
        drop(established);

        // Once the idle ones are gone, new connections are served again.
        std::thread::sleep(Duration::from_millis(4500));
        let mut fresh = connect(&addr, &token_request("flood-code"));
        assert!(read_response(&mut fresh).starts_with("HTTP/1.1 200"));
        drop(flood);
    })
    .await;
    let refusal = "connection refused: the server is at its connection limit";
    server.wait_for(refusal);
    // Exactly the ones over the cap: 48 places, one taken by `established`.
    let refused = super::admin::value(
        &super::admin::scrape(&admin).await,
        "ias_connections_refused_total",
        &[("reason", "limit")],
    );
    assert_eq!(refused, (200 - 47) as f64);
    // A flood is logged at most once a second, not once per refusal: the
    // refusals came within a few seconds.
    let lines = server.0.lines();
    let logged = lines.iter().filter(|l| l.contains(refusal)).count();
    assert!((1..=5).contains(&logged), "{logged} lines: {lines:#?}");
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchanges_over_the_cap_are_answered_at_once_without_reaching_github() {
    let github = github().await;
    github.on_code(
        "cap-slow-code",
        Behavior::delayed(Duration::from_millis(3000), Behavior::token("gho_cap")),
    );
    github.on_code("cap-second-code", Behavior::token("gho_cap_2"));
    let mut server = Running::start_with(
        &github.base_url(),
        &[("IAS_MAX_CONCURRENT_EXCHANGES", "1")],
        None,
    );
    let addr = server.address();
    let admin = server.admin_address();
    let (slow, second, during) = blocking(move || {
        let mut slow = connect(&addr, &token_request("cap-slow-code"));
        std::thread::sleep(Duration::from_millis(300));
        let started = Instant::now();
        let second = read_response(&mut connect(&addr, &token_request("cap-second-code")));
        assert!(
            started.elapsed() < Duration::from_millis(1000),
            "not at once"
        );
        // Scraped while the slow exchange is still with GitHub.
        let during = super::admin::scrape_blocking(&admin);
        (read_response(&mut slow), second, during)
    })
    .await;
    let gauge = |name: &str| during[&(name.to_string(), super::admin::labels(&[]))];
    assert_eq!(
        gauge("ias_exchanges_in_flight"),
        1.0,
        "the slow one is in flight"
    );
    let rejected = during[&(
        "ias_github_exchange_duration_seconds_count".to_string(),
        super::admin::labels(&[("outcome", "rejected")]),
    )];
    assert_eq!(rejected, 1.0, "the refused exchange is counted");
    assert!(slow.starts_with("HTTP/1.1 200"), "{slow}");
    assert!(second.starts_with("HTTP/1.1 500"), "{second}");
    let body: serde_json::Value =
        serde_json::from_str(&second[second.find("\r\n\r\n").unwrap() + 4..]).unwrap();
    assert_eq!(
        (body["group"].as_str(), body["code"].as_i64()),
        (Some("oauth"), Some(1200))
    );
    assert_eq!(
        body["traces"][0],
        "the server is at capacity: 1 exchanges with GitHub are in flight (IAS_MAX_CONCURRENT_EXCHANGES); retry shortly"
    );
    assert_eq!(
        github.received().len(),
        1,
        "the refused exchange reached GitHub"
    );
    server.stop();
}

/// From SIGTERM on no connection is kept alive, so when the listener closes
/// there is no idle connection a request could be lost on: an idle
/// kept-alive HTTP/1.1 connection is closed at once; one that had not
/// spoken, and one opened during the delay, are answered with
/// `Connection: close` and closed; an idle HTTP/2 connection gets GOAWAY.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_leaves_no_connection_kept_alive() {
    let mut server = Running::start_with(
        "http://127.0.0.1:9",
        &[
            ("IAS_SHUTDOWN_DELAY", "3s"),
            ("IAS_IDLE_TIMEOUT", "30s"),
            ("IAS_REQUEST_TIMEOUT", "30s"),
        ],
        None,
    );
    let addr = server.address();
    let pid = server.0.pid();
    let (before, idle, fresh, during, goaway) = blocking(move || {
        let mut idle = connect(&addr, EMPTY_POST);
        let before = read_response(&mut idle);
        let mut fresh = TcpStream::connect(&addr).unwrap();
        fresh
            .set_read_timeout(Some(Duration::from_secs(15)))
            .unwrap();
        let mut h2 = connect(&addr, H2_PREFACE_AND_SETTINGS);
        let mut frame = [0u8; 9];
        h2.read_exact(&mut frame).unwrap(); // the server's SETTINGS
        std::thread::sleep(Duration::from_millis(200));
        signal(pid, Signal::TERM);
        let idle = until_closed(&mut idle);
        fresh.write_all(EMPTY_POST).unwrap();
        let fresh = until_closed(&mut fresh).1;
        let during = until_closed(&mut connect(&addr, EMPTY_POST)).1;
        // HTTP/2: the frames sent since the SETTINGS, until a GOAWAY (type 7).
        let mut goaway = false;
        let mut bytes = frame[..].to_vec();
        let mut buf = [0u8; 1024];
        h2.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        while !goaway {
            match h2.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => bytes.extend_from_slice(&buf[..n]),
            }
            let mut at = 0;
            while bytes.len() >= at + 9 {
                let length = usize::from(bytes[at]) << 16
                    | usize::from(bytes[at + 1]) << 8
                    | usize::from(bytes[at + 2]);
                goaway |= bytes[at + 3] == 7;
                at += 9 + length;
            }
        }
        (before, idle, fresh, during, goaway)
    })
    .await;
    assert!(
        before.starts_with("HTTP/1.1 400")
            && !before.to_ascii_lowercase().contains("connection: close"),
        "kept alive before the signal: {before}"
    );
    let (closed_after, sent) = idle;
    assert_eq!(sent, "", "the idle connection is closed, not answered");
    assert!(
        closed_after < Duration::from_secs(2),
        "the idle connection is closed at the signal, not at the end of the 3 s delay ({closed_after:?})"
    );
    for answer in [&fresh, &during] {
        assert!(
            answer.starts_with("HTTP/1.1 400"),
            "served during the delay: {answer}"
        );
        assert!(
            answer.to_ascii_lowercase().contains("connection: close"),
            "{answer}"
        );
    }
    assert!(goaway, "the idle HTTP/2 connection got GOAWAY");
    let (code, _) = tokio::task::spawn_blocking(move || server.wait_exit())
        .await
        .unwrap();
    assert_eq!(code, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_serves_through_the_delay_then_refuses_and_exits_within_the_timeout() {
    let github = github().await;
    github.on_code(
        "drain-slow-code",
        Behavior::delayed(Duration::from_millis(1800), Behavior::token("gho_drain")),
    );
    let mut server = Running::start_with(
        &github.base_url(),
        &[
            ("IAS_SHUTDOWN_DELAY", "1s"),
            ("IAS_SHUTDOWN_TIMEOUT", "2s"),
            ("IAS_REQUEST_TIMEOUT", "30s"),
            ("IAS_IDLE_TIMEOUT", "30s"),
        ],
        None,
    );
    let addr = server.address();
    let pid = server.0.pid();
    let (in_flight, during_delay, after_delay, stuck_after) = blocking(move || {
        // Stuck: a body that never finishes, well inside its request timeout.
        let mut stuck = connect(
            &addr,
            b"POST /oauth/token HTTP/1.1\r\nHost: ias\r\nContent-Length: 100\r\n\r\n{\"code\"",
        );
        let mut in_flight = connect(&addr, &token_request("drain-slow-code"));
        std::thread::sleep(Duration::from_millis(100));
        let signalled = Instant::now();
        signal(pid, Signal::TERM);
        std::thread::sleep(Duration::from_millis(200));
        let during_delay = read_response(&mut connect(&addr, EMPTY_POST));
        // 600 ms after the delay: the listener is closed (the in-flight
        // exchange, 1.8 s at GitHub, still runs).
        std::thread::sleep(Duration::from_millis(1600).saturating_sub(signalled.elapsed()));
        let after_delay = TcpStream::connect(&addr).map(|_| ()).map_err(|e| e.kind());
        let in_flight = read_response(&mut in_flight);
        let (_, stuck_answer) = until_closed(&mut stuck);
        (
            in_flight,
            during_delay,
            after_delay,
            (signalled.elapsed(), stuck_answer),
        )
    })
    .await;
    assert!(in_flight.starts_with("HTTP/1.1 200"), "{in_flight}");
    assert!(
        during_delay.starts_with("HTTP/1.1 400"),
        "served during the delay: {during_delay}"
    );
    assert_eq!(after_delay, Err(std::io::ErrorKind::ConnectionRefused));
    let (stuck_closed_at, stuck_answer) = stuck_after;
    assert_eq!(stuck_answer, "", "the stuck client is cut, not answered");
    assert!(
        stuck_closed_at < Duration::from_secs(8),
        "cut after {stuck_closed_at:?} (delay 1s + timeout 2s)"
    );
    let (code, logs) = tokio::task::spawn_blocking(move || server.wait_exit())
        .await
        .unwrap();
    assert_eq!(code, 0, "{logs:#?}");
    let cut = logs
        .iter()
        .find(|l| l.contains("shutdown timeout reached"))
        .unwrap_or_else(|| panic!("no line about cut connections: {logs:#?}"));
    let cut: serde_json::Value = serde_json::from_str(cut).unwrap();
    assert_eq!(cut["cut_connections"], 1, "{cut}");
}

/// A stderr nobody reads costs log lines, never answers: the requests go on
/// at speed, the lines that did not fit are dropped and counted (the metric
/// and the `log records dropped` lines agree with what is missing), and the
/// process still stops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stderr_nobody_reads_does_not_stop_the_server() {
    let mut child = spawn(launch("http://127.0.0.1:9", &[], None).stderr(Stdio::piped()));
    let child = &mut child.0;
    // The pipe stays open and unread: ~64 KiB fit in it, then writes block.
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    // The addresses are in the first lines; read only those.
    let (mut public, mut admin) = (None, None);
    while public.is_none() || admin.is_none() {
        let mut line = String::new();
        std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
        let line: serde_json::Value = serde_json::from_str(&line).unwrap();
        if let Some(addr) = line["local_addr"].as_str() {
            public.get_or_insert(addr.to_string());
        }
        if let Some(addr) = line["admin_addr"].as_str() {
            admin = Some(addr.to_string());
        }
    }
    let (public, admin) = (public.unwrap(), admin.unwrap());
    // One `request completed` line each, some 300 bytes: about 1.8 MB, well
    // past the pipe and the 1 MiB log buffer.
    const REQUESTS: usize = 6000;
    let answered = blocking(move || {
        let started = Instant::now();
        let mut s = connect(&public, b"");
        for i in 0..REQUESTS {
            s.write_all(EMPTY_POST).unwrap();
            let answer = read_response(&mut s);
            assert!(answer.starts_with("HTTP/1.1 400"), "request {i}: {answer}");
        }
        started.elapsed()
    })
    .await;
    assert!(
        answered < Duration::from_secs(60),
        "{REQUESTS} requests took {answered:?}: logging waited for the reader"
    );
    let dropped = super::admin::value(
        &super::admin::scrape(&admin).await,
        "ias_log_records_dropped_total",
        &[],
    ) as usize;
    assert!(
        dropped > 0 && dropped < REQUESTS,
        "{dropped} of {REQUESTS} lines dropped"
    );
    // Now read: what was kept comes out, then the count of what was not.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(stderr).map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut lines: Vec<serde_json::Value> = Vec::new();
    while !lines.iter().any(|l| l["msg"] == "log records dropped") {
        let line = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the log goes on, with the count of what it dropped");
        lines.push(serde_json::from_str(&line).unwrap());
    }
    // It still stops: the log flush at exit is bounded.
    signal(child.id(), Signal::TERM);
    assert_eq!(wait_exit(child, Duration::from_secs(10)).code(), Some(0));
    lines.extend(rx.iter().map(|l| serde_json::from_str(&l).unwrap()));
    let completed = lines
        .iter()
        .filter(|l| l["msg"] == "request completed")
        .count();
    assert_eq!(
        completed + dropped,
        REQUESTS,
        "each line written or counted"
    );
    let reported: u64 = lines
        .iter()
        .filter(|l| l["msg"] == "log records dropped")
        .map(|l| l["dropped"].as_u64().unwrap())
        .sum();
    assert_eq!(reported, dropped as u64, "the log says what it dropped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_carry_no_query_and_no_field_past_512_bytes() {
    let mut server = Running::start("http://127.0.0.1:9");
    let addr = server.address();
    let code_in_query = "gho_code_in_query_9c1f";
    blocking({
        let addr = addr.clone();
        move || {
            for target in [
                format!("/oauth/token?code={code_in_query}"),
                format!("/oauth/token?pad={}", "x".repeat(12_000)),
                format!("/{}", "y".repeat(12_000)),
            ] {
                let request =
                    format!("POST {target} HTTP/1.1\r\nHost: ias\r\nContent-Length: 0\r\n\r\n");
                let answer = read_response(&mut connect(&addr, request.as_bytes()));
                assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
            }
        }
    })
    .await;
    for _ in 0..3 {
        server.wait_for("request completed");
    }
    server.signal(Signal::TERM);
    let (code, logs) = server.wait_exit();
    assert_eq!(code, 0);
    for line in &logs {
        assert!(!line.contains(code_in_query), "{line}");
        assert!(line.len() < 2048, "a {}-byte log line", line.len());
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if let Some(uri) = v["uri"].as_str() {
            assert!(!uri.contains('?') && uri.len() <= 512, "{uri}");
        }
    }
}
