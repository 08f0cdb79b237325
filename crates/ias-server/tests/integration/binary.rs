//! The `ias-server` binary as it is run in production: environment, logs,
//! refusal of bad settings, graceful shutdown; and (`limits`) what hostile or
//! slow clients, a stalled log reader and a stuck shutdown meet.

mod admin;
mod hardening;
mod limits;
mod security;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use github_standin::{Behavior, GitHubStandIn, StandInConfig};
use ias_testing::process::{Keep, ServerProcess, Signal};

const ID: &str = "Iv1.binary-test";
const SECRET: &str = "binary-test-secret-4b8e1f";
/// How long a test waits for a log line or an exit.
const PATIENCE: Duration = Duration::from_secs(20);

/// The GitHub stand-in with the app these tests configure the server with.
async fn github() -> GitHubStandIn {
    GitHubStandIn::start(StandInConfig::new(ID, SECRET))
        .await
        .unwrap()
}

fn binary() -> &'static std::path::Path {
    env!("CARGO_BIN_EXE_ias-server").as_ref()
}

/// The binary with nothing set.
fn server() -> Command {
    ias_testing::process::bare_command(binary())
}

/// A server process whose every wait fails the test when it runs out.
struct Running(ServerProcess);

impl Running {
    fn start(github_base_url: &str) -> Running {
        Running::start_with(github_base_url, &[], None)
    }

    /// With more settings, and (when given) a soft and hard `RLIMIT_NOFILE`.
    fn start_with(
        github_base_url: &str,
        settings: &[(&str, &str)],
        nofile: Option<u64>,
    ) -> Running {
        Running::spawn(launch(github_base_url, settings, nofile))
    }

    /// Spawns a configured command (see [`launch`]), reading its stderr.
    fn spawn(cmd: Command) -> Running {
        Running(ServerProcess::spawn(cmd, Keep::All).expect("the server starts"))
    }

    /// Waits for a log line containing `needle`.
    fn wait_for(&mut self, needle: &str) -> String {
        let found = self.0.wait_for(needle, PATIENCE);
        found.unwrap_or_else(|| panic!("no log line with {needle:?}; seen: {:#?}", self.0.lines()))
    }

    fn address(&mut self) -> String {
        let address = self.0.address(PATIENCE);
        address
            .unwrap_or_else(|| panic!("no address logged; seen: {:#?}", self.0.lines()))
            .to_string()
    }

    fn signal(&self, sig: Signal) {
        signal(self.0.pid(), sig);
    }

    /// SIGTERM, and the exit must be 0.
    fn stop(self) {
        self.signal(Signal::TERM);
        let (code, logs) = self.wait_exit();
        assert_eq!(code, 0, "{logs:#?}");
    }

    fn wait_exit(mut self) -> (i32, Vec<String>) {
        let status = self.0.wait_exit(PATIENCE).expect("the server exits");
        (status.code().unwrap_or(-1), self.0.lines().to_vec())
    }
}

/// A child process killed when the test ends, passed or failed (a failed
/// test must not leave a server behind).
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Spawns a configured command (see [`launch`]) as a [`KillOnDrop`].
fn spawn(cmd: &mut Command) -> KillOnDrop {
    KillOnDrop(cmd.spawn().expect("the server starts"))
}

/// Runs a command that must end by itself (a refused setting, `--help`,
/// `--check-config`) and returns its output. One still running after
/// `PATIENCE` (a server that should have refused to start) fails the test
/// and is killed, instead of hanging the run.
fn output_of(cmd: &mut Command) -> std::process::Output {
    let mut child = spawn(
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let Some(status) = ias_testing::process::wait_exit(&mut child.0, PATIENCE) else {
        panic!(
            "ias-server {:?} still runs after {PATIENCE:?}",
            cmd.get_args()
        );
    };
    fn read_all(pipe: Option<impl std::io::Read>) -> Vec<u8> {
        let mut bytes = Vec::new();
        pipe.expect("piped").read_to_end(&mut bytes).unwrap();
        bytes
    }
    std::process::Output {
        status,
        stdout: read_all(child.0.stdout.take()),
        stderr: read_all(child.0.stderr.take()),
    }
}

/// Sends `sig` to process `pid`.
fn signal(pid: u32, sig: Signal) {
    ias_testing::process::signal(pid, sig).expect("the server process is there");
}

/// Waits for `child` to exit, failing the test after `within`.
fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    ias_testing::process::wait_exit(child, within).expect("the server did not exit")
}

/// The server command, configured, before it is spawned.
fn launch(github_base_url: &str, settings: &[(&str, &str)], nofile: Option<u64>) -> Command {
    let mut cmd = ias_testing::process::command(binary(), github_base_url, ID, SECRET);
    // Not the test's stdout: a server left behind would hold it open.
    cmd.env("IAS_UPSTREAM_TIMEOUT", "5s")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    for (k, v) in settings {
        cmd.env(k, v);
    }
    if let Some(n) = nofile {
        with_nofile(&mut cmd, n, n);
    }
    cmd
}

/// The child starts with this soft and hard `RLIMIT_NOFILE`.
fn with_nofile(cmd: &mut Command, soft: u64, hard: u64) {
    use rustix::process::{setrlimit, Resource, Rlimit};
    use std::os::unix::process::CommandExt as _;
    let limit = Rlimit {
        current: Some(soft),
        maximum: Some(hard),
    };
    // SAFETY: only setrlimit (one system call, async-signal-safe) runs in
    // the child between fork and exec.
    unsafe {
        cmd.pre_exec(move || Ok(setrlimit(Resource::Nofile, limit)?));
    }
}

/// The public listener binds where `IAS_BIND_ADDRESS` says, and serves there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_binds_the_configured_address() {
    let github = github().await;
    github.on_code("bound-code", Behavior::token("gho_bound"));
    let configured = ias_testing::free_loopback_address().to_string();
    let mut server = Running::start_with(
        &github.base_url(),
        &[("IAS_BIND_ADDRESS", configured.as_str())],
        None,
    );
    assert_eq!(server.address(), configured);
    assert_eq!(security::exchange(&configured, "bound-code").await.0, 200);
    server.stop();
}

/// A missing or bad setting exits 2 before anything binds, with one line that
/// names the setting and never the secret; `--check-config` answers the same.
#[test]
fn bad_settings_exit_2_naming_the_setting() {
    let (id, secret) = (
        ("IAS_GITHUB_CLIENT_ID", ID),
        ("IAS_GITHUB_CLIENT_SECRET", SECRET),
    );
    /// (arguments, environment, the message after `configuration error: `)
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    #[rustfmt::skip]
    let cases: &[Case<'_>] = &[
        (&[], &[id, ("IAS_BIND_ADDRESS", "127.0.0.1:0")],
            "IAS_GITHUB_CLIENT_SECRET is not set: the GitHub OAuth app's client secret is required; \
             set IAS_GITHUB_CLIENT_SECRET (or github.client_secret in the --config file), \
             or IAS_GITHUB_CLIENT_SECRET_FILE to a file holding it"),
        (&[], &[id, secret, ("IAS_UPSTREAM_TIMEOUT", "soon")],
            "IAS_UPSTREAM_TIMEOUT = \"soon\" is not a duration; use a number with a unit, such as 10s or 1500ms"),
        (&["--check-config"], &[id, secret, ("IAS_MAX_CONNECTIONS", "lots")],
            "IAS_MAX_CONNECTIONS = \"lots\" is not a whole number; use a number from 1 to 1000000"),
    ];
    for (args, env, message) in cases {
        let out = output_of(server().args(*args).envs(env.iter().copied()));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {message}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr.trim(),
            format!("ias-server: configuration error: {message}")
        );
        assert!(!stderr.contains(SECRET));
    }
}

/// Every row of the settings table is in `--help` (variable and TOML key)
/// and in `--check-config`'s output, which shows the values in force (the
/// secret redacted) and nothing else.
#[test]
fn help_and_check_config_list_every_setting() {
    let out = output_of(server().arg("--help"));
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for word in ["--config", "--check-config", "SIGTERM"] {
        assert!(help.contains(word), "--help does not mention {word}");
    }
    let out = output_of(
        server()
            .arg("--check-config")
            .env("IAS_GITHUB_CLIENT_ID", ID)
            .env("IAS_GITHUB_CLIENT_SECRET", SECRET)
            .env("IAS_IDLE_TIMEOUT", "90s")
            .env("IAS_ADMIN_ADDRESS", "off"),
    );
    assert_eq!(out.status.code(), Some(0));
    let checked = String::from_utf8_lossy(&out.stdout);
    assert!(!ias_server::config::SETTINGS.is_empty());
    for s in ias_server::config::SETTINGS {
        let row = format!("  {:<29} {}\n", s.var, s.key);
        assert!(help.contains(&row), "--help does not list {row:?}:\n{help}");
        assert!(
            checked.contains(&format!("  {:<30} ", s.var)),
            "--check-config does not show {}:\n{checked}",
            s.var
        );
    }
    for expected in [
        "IAS_IDLE_TIMEOUT               1m 30s",
        "IAS_ADMIN_ADDRESS              off",
        "IAS_GITHUB_CLIENT_SECRET       [redacted]",
        "IAS_BIND_ADDRESS               127.0.0.1:8080",
    ] {
        assert!(checked.contains(expected), "{expected:?} in\n{checked}");
    }
    assert!(!checked.contains(SECRET));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_logs_without_credentials_and_stops_gracefully_on_sigterm() {
    let github = github().await;
    let (code, token) = ("binary-code-93c1d2", "gho_binary_token_81aa");
    let slow_code = "binary-slow-code-55e0";
    github.on_code(code, Behavior::token(token));
    github.on_code(
        slow_code,
        Behavior::delayed(
            Duration::from_millis(1500),
            Behavior::token("gho_slow_token_1"),
        ),
    );

    let mut server = Running::start(&github.base_url());
    let addr = server.address();
    let url = format!("http://{addr}/oauth/token");
    let http = reqwest::Client::new();
    let r = http
        .post(&url)
        .json(&serde_json::json!({"provider": "github", "code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Read as the generated type, so a field the spec adds later changes nothing here.
    let answer: ias_api::ExchangeAuthorizationCodeResponse = r.json().await.unwrap();
    assert_eq!(answer.access_token.expose_secret(), token);
    let line = server.wait_for("request completed");
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["response_code"], 200);
    assert!(
        v["req_id"].is_string() && v["latency_us"].is_number(),
        "{line}"
    );

    // A request in flight when SIGTERM arrives still gets its answer.
    let slow = tokio::spawn({
        let http = http.clone();
        let url = url.clone();
        async move {
            http.post(&url)
                .json(&serde_json::json!({"provider": "github", "code": slow_code}))
                .send()
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    server.signal(Signal::TERM);
    let answer = slow
        .await
        .unwrap()
        .expect("the in-flight request is answered");
    assert_eq!(answer.status(), 200);

    let (code_exit, logs) = tokio::task::spawn_blocking(move || server.wait_exit())
        .await
        .unwrap();
    assert_eq!(code_exit, 0, "{logs:#?}");
    assert!(
        logs.iter().any(|l| l.contains("shutting down")),
        "{logs:#?}"
    );
    assert!(
        logs.iter().any(|l| l.contains("\"msg\":\"stopped\"")),
        "the last line is written: {logs:#?}"
    );
    for line in &logs {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "not a JSON log line: {line}"
        );
    }
    for line in &logs {
        for secret in [SECRET, code, token, slow_code, "gho_slow_token_1"] {
            assert!(!line.contains(secret), "log line leaks {secret:?}: {line}");
        }
    }
}

#[test]
fn sigint_stops_an_idle_server_with_exit_0() {
    let mut server = Running::start("http://127.0.0.1:9");
    server.address();
    server.signal(Signal::INT);
    let (code, logs) = server.wait_exit();
    assert_eq!(code, 0, "{logs:#?}");
}

/// `IAS_LOG_LEVEL=debug` adds a line per accepted connection (at `info`
/// there is one line per request; the contract tests check that).
#[test]
fn debug_logs_each_connection() {
    let mut server = Running::start_with("http://127.0.0.1:9", &[("IAS_LOG_LEVEL", "debug")], None);
    let addr = server.address();
    let answer = limits::read_response(&mut limits::connect(&addr, limits::EMPTY_POST));
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    let line = server.wait_for("accepted connection");
    let line: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(line["level"], 20, "{line}");
    assert!(line["remote_addr"]
        .as_str()
        .is_some_and(|a| a.starts_with("127.0.0.1:")));
    server.stop();
}

/// The binary reads `--config FILE`: the app and GitHub's address come from
/// the file alone, and an exchange works with them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_reads_its_config_file() {
    use std::os::unix::fs::PermissionsExt as _;
    let github = github().await;
    github.on_code("from-config-file", Behavior::token("gho_from_config_file"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ias.toml");
    std::fs::write(
        &file,
        format!(
            "bind_address = \"127.0.0.1:0\"\nadmin_address = \"off\"\n[github]\nclient_id = \"{ID}\"\nclient_secret = \"{SECRET}\"\nbase_url = \"{}\"\n",
            github.base_url()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut cmd = server();
    cmd.arg("--config").arg(&file);
    let mut running = Running::spawn(cmd);
    let public = running.address();
    assert_eq!(security::exchange(&public, "from-config-file").await.0, 200);
    assert_eq!(github.received()[0].body_params["client_secret"], SECRET);
    running.stop();
}
