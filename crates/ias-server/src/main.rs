//! The `ias-server` binary. `ias-server --help` lists every setting.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Serves the IAM Service public API (POST /oauth/token): exchanges a GitHub
/// OAuth authorization code for an access token.
#[derive(Parser)]
#[command(
    name = "ias-server",
    version,
    after_help = "\
SETTINGS (environment variables override the --config file):
  IAS_BIND_ADDRESS          bind_address          HOST:PORT to listen on [default: 127.0.0.1:8080]
  IAS_GITHUB_CLIENT_ID      github.client_id      the GitHub OAuth app's client id (required)
  IAS_GITHUB_CLIENT_SECRET  github.client_secret  the app's client secret (required; never logged)
  IAS_GITHUB_BASE_URL       github.base_url       GitHub's web host [default: https://github.com];
                                                  a GitHub Enterprise Server host works the same
  IAS_GITHUB_REDIRECT_URI   github.redirect_uri   sent with every exchange when set
  IAS_UPSTREAM_TIMEOUT      upstream_timeout      total time for one GitHub exchange, e.g. 10s,
                                                  1500ms [default: 10s; connect timeout: at most 5s]
  IAS_LOG_LEVEL             log_level             trace, debug, info, warn, error, critical [default: info]

CONFIG FILE (TOML):
  bind_address = \"0.0.0.0:8080\"
  upstream_timeout = \"10s\"
  [github]
  client_id = \"Iv1.0123456789abcdef\"
  base_url = \"https://github.com\"

Logs are JSON lines on stderr (a terminal format on a terminal). SIGINT or
SIGTERM stops accepting connections, lets requests in flight finish, and exits 0.
A missing or invalid setting exits 2 before binding, naming the setting."
)]
struct Cli {
    /// A TOML file with settings (see below); environment variables override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match ias_server::Config::load(cli.config.as_deref(), |k| std::env::var(k).ok()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("ias-server: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let log = match ias_server::logger(&config) {
        Ok(log) => log,
        Err(e) => {
            eprintln!("ias-server: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let mut signals = match ShutdownSignals::register() {
        Ok(signals) => signals,
        Err(e) => {
            eprintln!("ias-server: cannot handle SIGINT/SIGTERM: {e}");
            return ExitCode::FAILURE;
        }
    };
    let server = match ias_server::start(&config, log.clone()) {
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
            slog::info!(log, "shutting down: finishing requests in flight"; "signal" => signal);
            if let Err(e) = server.close().await {
                slog::error!(log, "shutdown failed"; "error" => e);
                return ExitCode::FAILURE;
            }
        }
    }
    slog::info!(log, "stopped");
    ExitCode::SUCCESS
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

    /// Waits for either and names it.
    async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}
