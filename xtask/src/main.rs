//! Workspace tasks: `cargo xtask <command>`. See `cargo xtask --help`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod codegen;
mod spec_diff;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Tasks of the ias workspace")]
struct Cli {
    /// Workspace root (default: the workspace `cargo xtask` was run in; see
    /// `workspace_root`).
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Regenerate the client (crates/ias-client/src/generated.rs) and the server side
    /// of the contract (crates/ias-api/src/generated.rs) from api-spec/ias-public-api.yaml.
    Codegen {
        /// Do not write: exit 1 with a diff when a committed file is stale.
        #[arg(long)]
        check: bool,
    },
    /// Run ias-server against a local GitHub stand-in (development only; no
    /// GitHub credentials needed). Listens on IAS_BIND_ADDRESS, default 127.0.0.1:8080;
    /// the development console (the page, and the API under /api/v1, on one
    /// origin) on IAS_CONSOLE_ADDRESS, default 127.0.0.1:8081.
    Serve,
    /// Benchmark the release ias-server beside a yardstick server (loopback,
    /// bounded): throughput, latency, CPU per request, RSS. Arguments go to
    /// `ias-bench run` (--smoke, --json FILE, --scenario NAME, --scale X).
    #[command(disable_help_flag = true)]
    Bench {
        /// Build and run the debug binaries (for a smoke run; figures are then meaningless).
        #[arg(long)]
        dev: bool,
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "ARGS"
        )]
        args: Vec<String>,
    },
    /// Mutation testing with cargo-mutants (settings in .cargo/mutants.toml):
    /// the whole tree, or with --base REV only the lines changed since REV.
    /// Further arguments go to `cargo mutants` (e.g. --package ias-api, --list).
    /// See docs/testing.md.
    #[command(disable_help_flag = true)]
    Mutants {
        /// Mutate only what changed since this git revision (e.g. main).
        #[arg(long, value_name = "REV")]
        base: Option<String>,
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "ARGS"
        )]
        args: Vec<String>,
    },
    /// Classify the changes between two versions of the spec (breaking,
    /// compatible, documentation) and check info.version follows semver.
    /// Exit 0: the version rule holds; 1: it does not; 2: usage or parse error.
    #[command(name = "spec-diff")]
    SpecDiff {
        /// The old spec file (with NEW; or use --base).
        #[arg(value_name = "OLD", requires = "new", conflicts_with = "base")]
        old: Option<PathBuf>,
        /// The new spec file.
        #[arg(value_name = "NEW")]
        new: Option<PathBuf>,
        /// Compare api-spec/ias-public-api.yaml at this git revision with the working tree.
        #[arg(long, value_name = "REV")]
        base: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: spec_diff::Format,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = match cli.root.map_or_else(workspace_root, Ok) {
        Ok(root) => root,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Task::Codegen { check } => run_codegen(&root, check),
        Task::Serve => serve(&root),
        Task::Bench { dev, args } => bench(&root, dev, &args),
        Task::Mutants { base, args } => mutants(&root, base.as_deref(), &args),
        Task::SpecDiff {
            old,
            new,
            base,
            format,
        } => {
            let input = match (old, new, base) {
                (Some(old), Some(new), None) => spec_diff::Input::Files(old, new),
                (None, None, Some(rev)) => spec_diff::Input::Base(rev),
                _ => {
                    eprintln!("error: give two spec files (OLD NEW) or --base REV; see `cargo xtask spec-diff --help`");
                    return ExitCode::from(2);
                }
            };
            spec_diff::run(&root, input, format)
        }
    }
}

/// The workspace to work on, found at run time: the binary may have been
/// built in another checkout that shares the target directory.
///
/// `cargo run` (and so `cargo xtask`) sets `CARGO_MANIFEST_DIR` to this
/// checkout's `xtask/`; a binary run directly asks cargo for the workspace
/// around the current directory.
fn workspace_root() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") {
        let xtask = PathBuf::from(dir);
        return Ok(xtask
            .parent()
            .map_or_else(|| xtask.join(".."), Path::to_path_buf));
    }
    let out = stdout_of(
        &mut cargo(
            Path::new("."),
            &["locate-project", "--workspace", "--message-format", "plain"],
        ),
        "no cargo workspace around the current directory; run from the ias workspace or pass --root DIR",
    )?;
    let manifest = PathBuf::from(String::from_utf8_lossy(&out).trim());
    Ok(manifest.parent().unwrap_or(Path::new(".")).to_path_buf())
}

fn run_codegen(root: &Path, check: bool) -> ExitCode {
    match codegen::run(root, check) {
        Ok(outcome @ (codegen::Outcome::UpToDate | codegen::Outcome::Written)) => {
            for t in &codegen::TARGETS {
                if outcome == codegen::Outcome::UpToDate {
                    eprintln!(
                        "{} and {} are up to date with {}",
                        t.client, t.server, t.spec
                    );
                } else {
                    eprintln!("generated {} and {} from {}", t.client, t.server, t.spec);
                }
            }
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

/// Builds the server and `ias-bench` (release unless `dev`), then runs
/// `ias-bench run ARGS`; the bench finds `ias-server` next to itself.
fn bench(root: &Path, dev: bool, args: &[String]) -> ExitCode {
    let profile: &[&str] = if dev { &[] } else { &["--release"] };
    let mut build = cargo(
        root,
        &[
            "build",
            "--quiet",
            "--package",
            "ias-server",
            "--bin",
            "ias-server",
        ],
    );
    let built = exit_code(build.args(profile).status());
    if built != ExitCode::SUCCESS {
        return built;
    }
    let mut run = cargo(root, &["run", "--quiet", "--package", "ias-bench"]);
    exit_code(run.args(profile).arg("--").arg("run").args(args).status())
}

/// `cargo mutants` over the workspace, or over the lines changed since `base`
/// (the diff is written to `target/mutants-base.diff`).
fn mutants(root: &Path, base: Option<&str>, args: &[String]) -> ExitCode {
    let installed = cargo(root, &["mutants", "--version"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        eprintln!(
            "error: cargo-mutants is not installed; install it with `cargo install cargo-mutants --locked`"
        );
        return ExitCode::from(2);
    }
    let mut run = cargo(root, &["mutants"]);
    if let Some(base) = base {
        let mut git = std::process::Command::new("git");
        git.current_dir(root)
            .args(["diff", &format!("{base}...HEAD")]);
        let diff = match stdout_of(&mut git, &format!("cannot diff against {base}")) {
            Ok(diff) => diff,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        let path = root.join("target").join("mutants-base.diff");
        if let Err(e) =
            std::fs::create_dir_all(root.join("target")).and_then(|()| std::fs::write(&path, diff))
        {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
        run.arg("--in-diff").arg(&path);
    }
    exit_code(run.args(args).status())
}

/// Builds the development console (the TypeScript package's `npm run build`,
/// after `npm ci` when its tools are not installed), then builds and runs the
/// `ias-dev` binary of the harness crate through cargo, so that the xtask
/// itself does not depend on the server. Without npm the API is served and
/// the console says what is missing.
fn serve(root: &Path) -> ExitCode {
    if let Err(e) = build_console(root) {
        eprintln!("warning: the development console is not built: {e}");
    }
    exit_code(
        cargo(
            root,
            &[
                "run",
                "--quiet",
                "--package",
                "ias-testing",
                "--bin",
                "ias-dev",
            ],
        )
        .status(),
    )
}

/// `npm ci` (when `node_modules` is missing) and `npm run build` in the
/// TypeScript package, their output passed through.
fn build_console(root: &Path) -> Result<(), String> {
    let package = root.join(codegen::typescript::PACKAGE);
    let npm = |args: &[&str]| -> Result<(), String> {
        let status = std::process::Command::new("npm")
            .args(args)
            .current_dir(&package)
            .stdout(std::process::Stdio::inherit())
            .status()
            .map_err(|e| format!("cannot run npm ({e}); the console needs Node.js 20 and npm"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!(
                "`npm {}` in {} failed ({status})",
                args.join(" "),
                package.display()
            ))
        }
    };
    if !package.join("node_modules").is_dir() {
        npm(&["ci", "--no-audit", "--no-fund"])?;
    }
    npm(&["run", "--silent", "build"])
}

/// `cargo ARGS` in the workspace, with the cargo that runs the xtask.
/// Runs `cmd` to the end and returns what it printed; when it cannot start
/// or fails, an error saying `failed` (and the command's own stderr).
pub(crate) fn stdout_of(cmd: &mut std::process::Command, failed: &str) -> Result<Vec<u8>, String> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let out = cmd
        .output()
        .map_err(|e| format!("{failed}: cannot run {program}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{failed}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}

fn cargo(root: &Path, args: &[&str]) -> std::process::Command {
    let mut cmd =
        std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root).args(args);
    cmd
}

/// A cargo run's exit, as the xtask's.
fn exit_code(status: std::io::Result<std::process::ExitStatus>) -> ExitCode {
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: cannot run cargo: {e}");
            ExitCode::FAILURE
        }
    }
}
