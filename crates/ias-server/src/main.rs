//! The `ias-server` binary. `ias-server --help` lists every setting.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// mimalloc: about a quarter of the CPU glibc's malloc/free took per exchange
/// (docs/performance.md, which also has what each allocator costs in memory).
/// The `system-allocator` feature builds with the system's allocator instead,
/// for measuring one against the other.
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Serves the IAM Service public API (POST /oauth/token): exchanges a GitHub
/// OAuth authorization code for an access token.
#[derive(Parser)]
#[command(
    name = "ias-server",
    version,
    after_help = after_help()
)]
struct Cli {
    /// A TOML file with settings (see below); environment variables override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Read and check every setting as at start, print the effective settings
    /// (secrets as [redacted]) and exit 0, or exit 2 naming the bad setting.
    /// Nothing is bound.
    #[arg(long)]
    check_config: bool,
}

/// `--help`'s text after the options: the settings (from the settings table),
/// a config file example, and how the server logs and stops.
fn after_help() -> String {
    ias_server::config::settings_help()
        + "
CONFIG FILE (TOML):
  bind_address = \"0.0.0.0:8080\"
  upstream_timeout = \"10s\"
  [github]
  client_id = \"Iv1.0123456789abcdef\"
  base_url = \"https://github.com\"

Logs are JSON lines on stderr (on a terminal too); when stderr is
not read fast enough, lines are dropped and counted, never waited for. SIGINT or
SIGTERM: serving goes on for IAS_SHUTDOWN_DELAY, then the listening socket is
closed, requests in flight get IAS_SHUTDOWN_TIMEOUT to finish, and the server
exits 0; a second SIGINT or SIGTERM exits at once (130 or 143). SIGHUP,
SIGUSR1 and SIGUSR2 are logged and ignored. A missing or invalid setting exits 2 before binding, naming the setting."
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // Before the secret is read: no core dump can hold it.
    let core_dumps = ias_server::process::disable_core_dumps();
    let config = match ias_server::Config::load(cli.config.as_deref(), |k| std::env::var(k).ok()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("ias-server: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    if cli.check_config {
        println!("configuration is valid; effective settings:");
        for (setting, value) in config.effective_settings() {
            println!("  {setting:<30} {value}");
        }
        for warning in &config.warnings {
            eprintln!("ias-server: warning: {warning}");
        }
        return ExitCode::SUCCESS;
    }
    // Before anything opens a file: sockets for clients and GitHub both count.
    ias_server::process::raise_nofile_limit();
    let server_log = match ias_server::logger(&config) {
        Ok(log) => log,
        Err(e) => {
            eprintln!("ias-server: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    for warning in &config.warnings {
        slog::warn!(server_log.log, "insecure file permissions"; "warning" => warning);
    }
    if let Err(e) = core_dumps {
        slog::warn!(server_log.log, "core dumps could not be disabled"; "error" => %e,
            "hint" => "a crash could write the client secret to a core file; set RLIMIT_CORE to 0 (ulimit -c 0)");
    }
    let code = run(&config, &server_log).await;
    // Bounded: when stderr is not being read, the lines still queued are lost
    // (and nothing more can be written there to say so).
    server_log.flush(LOG_FLUSH_TIMEOUT);
    code
}

/// How long the last log lines may take to be written at exit.
const LOG_FLUSH_TIMEOUT: Duration = Duration::from_secs(2);

async fn run(config: &ias_server::Config, server_log: &ias_server::ServerLog) -> ExitCode {
    let log = &server_log.log;
    let mut signals = match ShutdownSignals::register() {
        Ok(signals) => signals,
        Err(e) => {
            eprintln!("ias-server: cannot handle SIGINT/SIGTERM: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = ignore_other_signals(log) {
        eprintln!("ias-server: cannot handle SIGHUP/SIGUSR1/SIGUSR2: {e}");
        return ExitCode::FAILURE;
    }
    let server = match ias_server::start(config, server_log) {
        Ok(server) => server,
        Err(e) => {
            slog::error!(log, "cannot start"; "error" => format!("{e:#}"));
            eprintln!("ias-server: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let stopped = server.wait_for_shutdown();
    tokio::select! {
        result = stopped => {
            if let Err(e) = result {
                slog::error!(log, "server stopped"; "error" => e);
                return ExitCode::FAILURE;
            }
        }
        signal = signals.recv() => {
            return shut_down(config, log, server, signal, &mut signals).await;
        }
    }
    slog::info!(log, "stopped");
    ExitCode::SUCCESS
}

/// Serve on for `shutdown_delay`, then close the listener and give requests in
/// flight `shutdown_timeout`. A second SIGTERM/SIGINT at any point of it (an
/// operator's second Ctrl-C) ends the process at once, with `128 + signal`.
async fn shut_down(
    config: &ias_server::Config,
    log: &slog::Logger,
    server: ias_server::Server,
    signal: StopSignal,
    signals: &mut ShutdownSignals,
) -> ExitCode {
    tokio::select! {
        code = drain(config, log, server, signal) => code,
        again = signals.recv() => {
            slog::warn!(log, "second signal: exiting now, requests in flight are cut";
                "signal" => again.name(), "exit_status" => again.exit_status());
            ExitCode::from(again.exit_status())
        }
    }
}

async fn drain(
    config: &ias_server::Config,
    log: &slog::Logger,
    server: ias_server::Server,
    signal: StopSignal,
) -> ExitCode {
    // Load balancers stop sending before the listener closes.
    server.start_draining();
    if !config.shutdown_delay.is_zero() {
        slog::info!(log, "shutting down: serving on until the delay ends";
            "signal" => signal.name(), "delay" => format!("{:?}", config.shutdown_delay));
        tokio::time::sleep(config.shutdown_delay).await;
    }
    let connections = std::sync::Arc::clone(server.connections());
    slog::info!(log, "shutting down: listener closed, finishing requests in flight";
        "signal" => signal.name(),
        "open_connections" => connections.open(),
        "timeout" => format!("{:?}", config.shutdown_timeout));
    match tokio::time::timeout(config.shutdown_timeout, server.close()).await {
        Ok(Ok(())) => slog::info!(log, "stopped"),
        Ok(Err(e)) => {
            slog::error!(log, "shutdown failed"; "error" => e);
            return ExitCode::FAILURE;
        }
        Err(_) => slog::warn!(log, "stopped: shutdown timeout reached, connections cut";
            "cut_connections" => connections.open(),
            "timeout" => format!("{:?}", config.shutdown_timeout),
            "hint" => "requests still in flight were abandoned; see IAS_SHUTDOWN_TIMEOUT"),
    }
    ExitCode::SUCCESS
}

/// SIGHUP, SIGUSR1 and SIGUSR2 would end the process at once (their default
/// action): a terminal closing, a stray `kill -HUP` or `-USR1` from tooling
/// that expects a reload. They are logged and otherwise ignored.
fn ignore_other_signals(log: &slog::Logger) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    for (kind, name) in [
        (SignalKind::hangup(), "SIGHUP"),
        (SignalKind::user_defined1(), "SIGUSR1"),
        (SignalKind::user_defined2(), "SIGUSR2"),
    ] {
        let mut stream = signal(kind)?;
        let log = log.clone();
        tokio::spawn(async move {
            while stream.recv().await.is_some() {
                slog::info!(log, "signal ignored: it has no meaning to ias-server";
                    "signal" => name, "hint" => "SIGTERM or SIGINT stops it gracefully");
            }
        });
    }
    Ok(())
}

/// SIGINT and SIGTERM, registered before the server binds: a signal that
/// arrives while it starts is then a graceful stop, not the default kill.
struct ShutdownSignals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    fn register() -> std::io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(ShutdownSignals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    /// Waits for either.
    async fn recv(&mut self) -> StopSignal {
        tokio::select! {
            _ = self.term.recv() => StopSignal::Term,
            _ = self.int.recv() => StopSignal::Int,
        }
    }
}

/// A signal that stops the server.
#[derive(Clone, Copy)]
enum StopSignal {
    Term,
    Int,
}

impl StopSignal {
    fn name(self) -> &'static str {
        match self {
            StopSignal::Term => "SIGTERM",
            StopSignal::Int => "SIGINT",
        }
    }

    /// The exit status when a second one ends the process: 128 + its number,
    /// as a shell reports a process killed by it.
    fn exit_status(self) -> u8 {
        match self {
            StopSignal::Term => 128 + 15,
            StopSignal::Int => 128 + 2,
        }
    }
}
