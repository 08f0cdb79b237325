//! Workspace tasks: `cargo xtask <command>`. See `cargo xtask --help`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod codegen;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Tasks of the ias workspace")]
struct Cli {
    /// Workspace root (default: the workspace this xtask belongs to).
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Regenerate crates/ias-client/src/generated.rs from api-spec/ias-public-api.yaml.
    Codegen {
        /// Do not write: exit 1 with a diff when the committed client is stale.
        #[arg(long)]
        check: bool,
    },
    /// Run ias-server against a local GitHub stand-in (development only; no
    /// GitHub credentials needed). Listens on IAS_BIND_ADDRESS, default 127.0.0.1:8080.
    Serve,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = cli
        .root
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."));
    match cli.command {
        Task::Codegen { check } => run_codegen(&root, check),
        Task::Serve => serve(&root),
    }
}

fn run_codegen(root: &Path, check: bool) -> ExitCode {
    match codegen::run(root, check) {
        Ok(codegen::Outcome::UpToDate) => {
            eprintln!(
                "{} is up to date with {}",
                codegen::CLIENT_OUT,
                codegen::SPEC
            );
            ExitCode::SUCCESS
        }
        Ok(codegen::Outcome::Written) => {
            eprintln!("wrote {} from {}", codegen::CLIENT_OUT, codegen::SPEC);
            ExitCode::SUCCESS
        }
        Ok(codegen::Outcome::Stale) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            eprintln!("nothing was written; fix the problem and run `cargo xtask codegen` again.");
            ExitCode::FAILURE
        }
    }
}

/// Builds and runs the `ias-dev` binary of the harness crate through cargo, so
/// that the xtask itself does not depend on the server.
fn serve(root: &Path) -> ExitCode {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = std::process::Command::new(cargo)
        .current_dir(root)
        .args([
            "run",
            "--quiet",
            "--package",
            "ias-testing",
            "--bin",
            "ias-dev",
        ])
        .status();
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: cannot run cargo: {e}");
            ExitCode::FAILURE
        }
    }
}
