//! `ias-bench`: what `cargo xtask bench` runs (see `docs/performance.md`).
//!
//! For each scenario it starts a fresh server — the release `ias-server`, then
//! the yardstick (`yardstick.rs`, a minimal hyper + reqwest exchange server
//! written for the bench, not shipped) — against one GitHub stand-in in this
//! process, warms it up, drives it with the closed-loop load of `load.rs`, and
//! reports throughput, latency percentiles, errors by status, the server
//! process's CPU per request (from `/proc/PID/stat`), its peak RSS
//! (`VmHWM`), the connections it opened to the stand-in, and the ratios
//! ias-server / yardstick. Loopback only; every run is bounded in requests and
//! time.

mod load;
mod stall;
mod yardstick;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::{bail, Context as _};
use clap::{Parser, Subcommand};
use github_standin::{Behavior, GitHubStandIn, StandInConfig};
use ias_testing::process::{Keep, ServerProcess, Signal};
use load::Connection;
use serde::Serialize;

#[derive(Parser)]
#[command(
    name = "ias-bench",
    about = "ias-server beside a yardstick, under load (cargo xtask bench)"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the scenarios and print the figures.
    Run(RunArgs),
    /// Serve as the yardstick (started by `run`; not for use on its own).
    Yardstick(yardstick::Args),
}

#[derive(clap::Args)]
struct RunArgs {
    /// A few hundred requests per scenario: checks that the bench works, not
    /// how fast anything is.
    #[arg(long)]
    smoke: bool,
    /// Also write the figures as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Only the scenarios with these names (repeatable).
    #[arg(long = "scenario", value_name = "NAME")]
    scenarios: Vec<String>,
    /// Multiply every scenario's request count by this (e.g. 0.5 or 3).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Rounds per scenario (each runs both servers; default 5, or 1 with --smoke).
    #[arg(long)]
    rounds: Option<usize>,
    /// The ias-server binary (default: next to this one).
    #[arg(long, value_name = "PATH")]
    server: Option<PathBuf>,
    /// Instead of the scenarios: ias-server's RSS with N HTTP/2 connections
    /// whose peer reads nothing, each holding its largest answers, and
    /// after they close (docs/operating.md, memory).
    #[arg(long, value_name = "N")]
    stalled_h2: Option<usize>,
    /// An environment variable for ias-server, such as an allocator setting
    /// (repeatable).
    #[arg(long = "server-env", value_name = "KEY=VALUE")]
    server_env: Vec<String>,
}

const CLIENT_ID: &str = "Iv1.bench";
const CLIENT_SECRET: &str = "bench-secret-0c3f6a9e";
/// No phase runs longer than this, whatever its request count.
const TIME_BOUND: Duration = Duration::from_secs(60);

/// One load shape.
struct Scenario {
    name: &'static str,
    upstream_delay: Duration,
    clients: usize,
    requests: u64,
    connection: Connection,
}

const SCENARIOS: [Scenario; 3] = [
    Scenario {
        name: "upstream-50ms",
        upstream_delay: Duration::from_millis(50),
        clients: 64,
        requests: 6_400,
        connection: Connection::KeepAlive,
    },
    Scenario {
        name: "cpu-bound",
        upstream_delay: Duration::ZERO,
        clients: 32,
        requests: 30_000,
        connection: Connection::KeepAlive,
    },
    Scenario {
        name: "new-connection",
        upstream_delay: Duration::ZERO,
        clients: 32,
        // Each closed connection holds a client port in TIME_WAIT for 60 s.
        requests: 4_000,
        connection: Connection::PerRequest,
    },
];

/// The two servers measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Target {
    Yardstick,
    IasServer,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Yardstick => "yardstick",
            Target::IasServer => "ias-server",
        }
    }
}

#[derive(Serialize)]
struct Figures {
    requests: u64,
    seconds: f64,
    requests_per_second: f64,
    latency_ms: BTreeMap<&'static str, f64>,
    errors: BTreeMap<String, u64>,
    cpu_us_per_request: f64,
    peak_rss_kib: u64,
    /// TCP connections the server opened to the stand-in, warm-up included.
    upstream_connections: usize,
    /// Log lines the server wrote during the measured phase.
    log_lines: u64,
}

#[derive(Serialize)]
struct ScenarioReport {
    name: &'static str,
    upstream_delay_ms: u64,
    clients: usize,
    connection: Connection,
    ideal_requests_per_second: Option<f64>,
    /// Each server's median round.
    results: BTreeMap<&'static str, Figures>,
    /// Medians of `ratios_by_round`.
    ias_server_over_yardstick: Ratios,
    ratios_by_round: Vec<Ratios>,
}

#[derive(Serialize)]
struct Ratios {
    cpu_per_request: f64,
    throughput: f64,
}

#[derive(Serialize)]
struct Report {
    machine: Machine,
    smoke: bool,
    scenarios: Vec<ScenarioReport>,
}

#[derive(Serialize)]
struct Machine {
    cpus: usize,
    cpu_model: String,
    kernel: String,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    // The load: two workers. The yardstick: one per core, like ias-server's
    // `#[tokio::main]`, so that neither server has more threads than the other.
    if let Cmd::Run(_) = cli.command {
        runtime.worker_threads(2);
    }
    let runtime = match runtime.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ias-bench: cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Cmd::Run(args) => runtime.block_on(run(args)),
        Cmd::Yardstick(args) => runtime.block_on(yardstick::serve(args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ias-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let here = std::env::current_exe().context("cannot find the ias-bench binary")?;
    let server_bin = args
        .server
        .clone()
        .unwrap_or_else(|| here.with_file_name("ias-server"));
    if !server_bin.exists() {
        bail!(
            "{} does not exist; build it first (cargo build --release -p ias-server) or pass --server",
            server_bin.display()
        );
    }
    for name in &args.scenarios {
        if !SCENARIOS.iter().any(|s| s.name == name) {
            bail!(
                "no scenario {name:?}; the scenarios are {}",
                SCENARIOS.map(|s| s.name).join(", ")
            );
        }
    }
    let mut server_env = Vec::new();
    for kv in &args.server_env {
        let Some((k, v)) = kv.split_once('=') else {
            bail!("--server-env {kv:?} is not KEY=VALUE");
        };
        server_env.push((k.to_string(), v.to_string()));
    }
    let github = GitHubStandIn::start(StandInConfig::new(CLIENT_ID, CLIENT_SECRET))
        .await
        .context("cannot start the GitHub stand-in")?;
    let machine = machine();
    if let Some(connections) = args.stalled_h2 {
        let mut server = Server::start(
            Target::IasServer,
            &server_bin,
            &here,
            &github.base_url(),
            &server_env,
        )?;
        let figures = stall::measure(server.addr, server.process.pid(), connections).await;
        server.stop()?;
        let figures = figures?;
        println!(
            "ias-bench: {} CPUs ({}), {}\nstalled HTTP/2: {} connections x {} streams, each answer {} bytes; RSS at rest {:.1} MiB",
            machine.cpus,
            machine.cpu_model,
            machine.kernel,
            figures.connections,
            figures.streams_per_connection,
            figures.answer_bytes,
            figures.rss_at_rest_kib as f64 / 1024.0
        );
        for (i, wave) in figures.waves.iter().enumerate() {
            println!(
                "  wave {}: RSS stalled {:.1} MiB ({:.1} KiB per connection), 10 s after closing {:.1} MiB",
                i + 1,
                wave.rss_stalled_kib as f64 / 1024.0,
                wave.per_connection_kib,
                wave.rss_10s_after_close_kib as f64 / 1024.0
            );
        }
        if let Some(path) = &args.json {
            std::fs::write(path, serde_json::to_string_pretty(&figures)? + "\n")
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        return Ok(());
    }
    println!(
        "ias-bench: {} CPUs ({}), {}{}",
        machine.cpus,
        machine.cpu_model,
        machine.kernel,
        if args.smoke {
            "; SMOKE run: figures are not meaningful"
        } else {
            ""
        }
    );
    let rounds_wanted = args.rounds.unwrap_or(if args.smoke { 1 } else { 5 }).max(1);
    let mut reports = Vec::new();
    let mut failed = 0u64;
    for scenario in SCENARIOS
        .iter()
        .filter(|s| args.scenarios.is_empty() || args.scenarios.iter().any(|n| n == s.name))
    {
        let requests = if args.smoke {
            300
        } else {
            ((scenario.requests as f64 * args.scale) as u64).max(1)
        };
        let code = format!("bench-{}", scenario.name);
        let token = Behavior::ReusableToken("gho_bench_token_0000000000000000000000".into());
        github.on_code(
            &code,
            if scenario.upstream_delay.is_zero() {
                token
            } else {
                Behavior::delayed(scenario.upstream_delay, token)
            },
        );
        let body = bytes::Bytes::from(format!(r#"{{"provider":"github","code":"{code}"}}"#));
        let ideal = (!scenario.upstream_delay.is_zero())
            .then(|| scenario.clients as f64 / scenario.upstream_delay.as_secs_f64());
        println!(
            "\n{}: upstream delay {} ms, {} clients, {}, {} requests{}",
            scenario.name,
            scenario.upstream_delay.as_millis(),
            scenario.clients,
            match scenario.connection {
                Connection::KeepAlive => "keep-alive",
                Connection::PerRequest => "a new connection per request",
            },
            requests,
            ideal
                .map(|i| format!(" (ideal C/L = {i:.0} req/s)"))
                .unwrap_or_default()
        );
        println!(
            "  {:<18} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>11} {:>9} {:>8} {:>8}  errors",
            "server",
            "req/s",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "p99.9 ms",
            "max ms",
            "CPU µs/req",
            "RSS MiB",
            "upstream",
            "log"
        );
        // Rounds alternate which server goes first; what is reported is each
        // server's median round (by CPU per request) and the median of the
        // rounds' ratios, so that one noisy moment does not decide.
        let mut rounds: Vec<BTreeMap<&'static str, Figures>> = Vec::new();
        for round in 0..rounds_wanted {
            let order = if round % 2 == 0 {
                [Target::Yardstick, Target::IasServer]
            } else {
                [Target::IasServer, Target::Yardstick]
            };
            let mut this_round = BTreeMap::new();
            for target in order {
                let figures = measure(
                    target,
                    &server_bin,
                    &here,
                    &github,
                    scenario,
                    requests,
                    &body,
                )
                .await?;
                print_row(&format!("{} #{}", target.name(), round + 1), &figures);
                failed += figures.errors.values().sum::<u64>();
                this_round.insert(target.name(), figures);
            }
            rounds.push(this_round);
        }
        let per_round: Vec<Ratios> = rounds
            .iter()
            .map(|r| Ratios {
                cpu_per_request: r["ias-server"].cpu_us_per_request
                    / r["yardstick"].cpu_us_per_request,
                throughput: r["ias-server"].requests_per_second
                    / r["yardstick"].requests_per_second,
            })
            .collect();
        let ratios = Ratios {
            cpu_per_request: median(per_round.iter().map(|r| r.cpu_per_request).collect()),
            throughput: median(per_round.iter().map(|r| r.throughput).collect()),
        };
        let mut results = BTreeMap::new();
        for target in [Target::Yardstick, Target::IasServer] {
            let mut all: Vec<Figures> = rounds
                .iter_mut()
                .filter_map(|r| r.remove(target.name()))
                .collect();
            all.sort_by(|a, b| a.cpu_us_per_request.total_cmp(&b.cpu_us_per_request));
            let middle = all.swap_remove(all.len() / 2);
            if rounds_wanted > 1 {
                print_row(&format!("{} median", target.name()), &middle);
            }
            results.insert(target.name(), middle);
        }
        let ias = &results["ias-server"];
        println!(
            "  ias-server / yardstick: CPU per request {:.2}x, throughput {:.2}x{}{}",
            ratios.cpu_per_request,
            ratios.throughput,
            if rounds_wanted > 1 {
                " (medians of the rounds' ratios)"
            } else {
                ""
            },
            ideal
                .map(|i| format!(
                    "; ias-server at {:.0} % of C/L",
                    100.0 * ias.requests_per_second / i
                ))
                .unwrap_or_default()
        );
        reports.push(ScenarioReport {
            name: scenario.name,
            upstream_delay_ms: scenario.upstream_delay.as_millis() as u64,
            clients: scenario.clients,
            connection: scenario.connection,
            ideal_requests_per_second: ideal,
            results,
            ias_server_over_yardstick: ratios,
            ratios_by_round: per_round,
        });
    }
    if let Some(path) = &args.json {
        let report = Report {
            machine,
            smoke: args.smoke,
            scenarios: reports,
        };
        std::fs::write(path, serde_json::to_string_pretty(&report)? + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!("\nwrote {}", path.display());
    }
    if failed > 0 {
        bail!("{failed} requests failed (see the errors column): the figures do not describe working servers");
    }
    Ok(())
}

fn print_row(label: &str, figures: &Figures) {
    println!(
        "  {:<18} {:>8.0} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>11.1} {:>9.1} {:>8} {:>8}  {}",
        label,
        figures.requests_per_second,
        figures.latency_ms["p50"],
        figures.latency_ms["p90"],
        figures.latency_ms["p99"],
        figures.latency_ms["p99.9"],
        figures.latency_ms["max"],
        figures.cpu_us_per_request,
        figures.peak_rss_kib as f64 / 1024.0,
        figures.upstream_connections,
        figures.log_lines,
        if figures.errors.is_empty() {
            "none".to_string()
        } else {
            format!("{:?}", figures.errors)
        }
    );
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// One server, fresh, through one scenario.
async fn measure(
    target: Target,
    server_bin: &std::path::Path,
    bench_bin: &std::path::Path,
    github: &GitHubStandIn,
    scenario: &Scenario,
    requests: u64,
    body: &bytes::Bytes,
) -> anyhow::Result<Figures> {
    let upstream_before = github.connections();
    let mut server = Server::start(target, server_bin, bench_bin, &github.base_url(), &[])?;
    let load = load::Load {
        addr: server.addr,
        body: body.clone(),
        clients: scenario.clients,
        requests: (requests / 10).clamp(scenario.clients as u64, 1_000),
        time_bound: TIME_BOUND,
        connection: scenario.connection,
    };
    // Warm-up: pools filled, allocator and caches settled.
    load::run(load.clone()).await;
    let cpu_before = server.cpu()?;
    let lines_before = server.log_lines();
    let outcome = load::run(load::Load { requests, ..load }).await;
    let cpu = server.cpu()? - cpu_before;
    let upstream_connections = github.connections() - upstream_before;
    let peak_rss_kib = server.peak_rss_kib()?;
    server.stop()?;
    let log_lines = server.log_lines() - lines_before;
    let h = &outcome.latency_us;
    let ms = |us: u64| us as f64 / 1000.0;
    let latency_ms = BTreeMap::from([
        ("p50", ms(h.value_at_quantile(0.50))),
        ("p90", ms(h.value_at_quantile(0.90))),
        ("p99", ms(h.value_at_quantile(0.99))),
        ("p99.9", ms(h.value_at_quantile(0.999))),
        ("max", ms(h.max())),
    ]);
    Ok(Figures {
        requests: outcome.completed,
        seconds: outcome.elapsed.as_secs_f64(),
        requests_per_second: outcome.completed as f64 / outcome.elapsed.as_secs_f64(),
        latency_ms,
        errors: outcome.errors,
        cpu_us_per_request: cpu.as_secs_f64() * 1e6 / outcome.completed.max(1) as f64,
        peak_rss_kib,
        upstream_connections,
        log_lines,
    })
}

/// A server process (ias-server or the yardstick) and its address; its log
/// is counted, not kept.
struct Server {
    process: ServerProcess,
    addr: SocketAddr,
}

impl Server {
    fn start(
        target: Target,
        server_bin: &std::path::Path,
        bench_bin: &std::path::Path,
        github_url: &str,
        env: &[(String, String)],
    ) -> anyhow::Result<Server> {
        let cmd = match target {
            Target::IasServer => {
                let mut cmd =
                    ias_testing::process::command(server_bin, github_url, CLIENT_ID, CLIENT_SECRET);
                cmd.envs(env.iter().map(|(k, v)| (k, v)));
                cmd
            }
            Target::Yardstick => {
                let mut cmd = Command::new(bench_bin);
                cmd.args([
                    "yardstick",
                    "--github",
                    github_url,
                    "--client-id",
                    CLIENT_ID,
                    "--client-secret",
                    CLIENT_SECRET,
                ]);
                cmd
            }
        };
        let mut process = ServerProcess::spawn(cmd, Keep::UntilListening)
            .with_context(|| format!("cannot start {}", target.name()))?;
        let Some(addr) = process.address(Duration::from_secs(60)) else {
            bail!(
                "{} did not log its address: {:?}",
                target.name(),
                process.lines()
            );
        };
        Ok(Server { process, addr })
    }

    /// Log lines written so far.
    fn log_lines(&self) -> u64 {
        self.process.line_count()
    }

    /// User plus system CPU time of the process so far.
    fn cpu(&self) -> anyhow::Result<Duration> {
        Ok(self.process.cpu_time()?)
    }

    fn peak_rss_kib(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.process.pid()))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmHWM in /proc status")
    }

    /// SIGTERM, then wait (bounded) for exit (dropping it kills it).
    fn stop(&mut self) -> anyhow::Result<()> {
        self.process.signal(Signal::TERM)?;
        if self.process.wait_exit(Duration::from_secs(10)).is_none() {
            bail!("the server did not stop within 10 s of SIGTERM");
        }
        Ok(())
    }
}

fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    Machine {
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu_model: cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|l| l.split_once(':'))
            .map_or_else(|| "unknown CPU".to_string(), |(_, m)| m.trim().to_string()),
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|k| format!("Linux {}", k.trim()))
            .unwrap_or_default(),
    }
}
