//! The `ias-server` binary as a child process: started on loopback with an
//! app's settings, its JSON log read line by line on a thread, signalled and
//! stopped. ias-server's binary tests and `cargo xtask bench` both use it.
//!
//! ```no_run
//! use std::time::Duration;
//! use ias_testing::process::{command, Keep, ServerProcess};
//!
//! let cmd = command("target/debug/ias-server".as_ref(), "http://127.0.0.1:9", "id", "secret");
//! let mut server = ServerProcess::spawn(cmd, Keep::All).unwrap();
//! let address = server.address(Duration::from_secs(20)).expect("it listens");
//! println!("serving on {address}");
//! server.signal(ias_testing::process::Signal::TERM).unwrap();
//! let status = server.wait_exit(Duration::from_secs(20)).expect("it stops");
//! assert!(status.success());
//! ```

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use rustix::process::Pid;
pub use rustix::process::Signal;

/// `binary` with an empty environment (but `PATH`), nothing set.
pub fn bare_command(binary: &Path) -> Command {
    let mut cmd = Command::new(binary);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd
}

/// `binary` set up as [`ias_server::Config::for_github`] is: both listeners
/// on loopback ephemeral ports, GitHub at `github_base_url`, this app. Add
/// settings with `Command::env` before spawning.
pub fn command(binary: &Path, github_base_url: &str, client_id: &str, secret: &str) -> Command {
    let mut cmd = bare_command(binary);
    cmd.envs(ias_server::config::loopback_env(
        github_base_url,
        client_id,
        secret,
    ));
    cmd
}

/// Which log lines a [`ServerProcess`] keeps (all are counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Every line, for [`ServerProcess::wait_for`] and [`ServerProcess::lines`].
    All,
    /// The lines up to the public listener's address only: a load test's
    /// log would fill memory.
    UntilListening,
}

/// A running server process and its log.
pub struct ServerProcess {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    count: Arc<AtomicU64>,
}

impl ServerProcess {
    /// Spawns `cmd` with its stderr (the log) read on a thread, and no
    /// stdin or stdout.
    pub fn spawn(mut cmd: Command, keep: Keep) -> std::io::Result<ServerProcess> {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let stderr = child.stderr.take().expect("stderr is piped");
        let (tx, lines) = mpsc::channel();
        let count = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&count);
        std::thread::spawn(move || {
            let mut sending = true;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                counted.fetch_add(1, Ordering::Relaxed);
                if sending {
                    let listening = line.contains("\"local_addr\"");
                    sending = tx.send(line).is_ok() && (keep == Keep::All || !listening);
                }
            }
        });
        Ok(ServerProcess {
            child,
            lines,
            seen: Vec::new(),
            count,
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// User plus system CPU time the process has used so far (from
    /// `/proc/PID/stat`).
    pub fn cpu_time(&self) -> std::io::Result<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()))?;
        // The fields after the command name, which may hold spaces, ends with ')'.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        // utime and stime are fields 14 and 15; after ')' they are 11 and 12 (0-based).
        let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
        let (Some(user), Some(system)) = (ticks(11), ticks(12)) else {
            return Err(std::io::Error::other(format!(
                "unexpected /proc stat: {stat}"
            )));
        };
        let per_second = rustix::param::clock_ticks_per_second() as f64;
        Ok(Duration::from_secs_f64((user + system) as f64 / per_second))
    }

    /// Waits up to `within` for a log line containing `needle`; None when the
    /// time runs out or the log ends first.
    pub fn wait_for(&mut self, needle: &str, within: Duration) -> Option<String> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return Some(line);
                    }
                }
                // Out of time, or the log ended (the process exited).
                Err(_) => return None,
            }
        }
    }

    /// The public listener's address (its `listening` line is the first
    /// with a `local_addr`).
    pub fn address(&mut self, within: Duration) -> Option<SocketAddr> {
        let line = self.wait_for("\"local_addr\"", within)?;
        let v: serde_json::Value = serde_json::from_str(&line).ok()?;
        v["local_addr"].as_str()?.parse().ok()
    }

    /// Every line read so far (those [`ServerProcess::wait_for`] went past too).
    pub fn lines(&mut self) -> &[String] {
        self.seen.extend(self.lines.try_iter());
        &self.seen
    }

    /// How many log lines the process has written so far.
    pub fn line_count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Sends `sig` to the process.
    pub fn signal(&self, sig: Signal) -> std::io::Result<()> {
        signal(self.child.id(), sig)
    }

    /// Waits up to `within` for the process to exit, then lets the log
    /// reader catch up; None if it is still running.
    pub fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let status = wait_exit(&mut self.child, within)?;
        std::thread::sleep(Duration::from_millis(50));
        self.seen.extend(self.lines.try_iter());
        Some(status)
    }
}

/// A failed test or bench leaves no server running.
impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `sig` to process `pid` (a `Child::id`).
pub fn signal(pid: u32, sig: Signal) -> std::io::Result<()> {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(Pid::from_raw)
        .ok_or_else(|| std::io::Error::other(format!("{pid} is not a process id")))?;
    Ok(rustix::process::kill_process(pid, sig)?)
}

/// Waits up to `within` for `child` to exit; None if it is still running.
pub fn wait_exit(child: &mut Child, within: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().ok()? {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
