//! Process-wide settings made at start: the open-file limit and the budget of
//! connections and exchanges it allows ([`FdBudget`]), and no core dumps.

use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

use crate::Config;

/// How many connections and exchanges fit in the open-file limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdBudget {
    /// The soft `RLIMIT_NOFILE`, when known.
    pub nofile: Option<u64>,
    /// Client connections allowed.
    pub max_connections: usize,
    /// Exchanges with GitHub allowed in flight (one socket each, at most).
    pub max_exchanges: usize,
}

/// File descriptors kept for everything but client connections and GitHub
/// sockets: the listeners, the runtime, stdio, and the admin listener's
/// connections (twice its cap: as many again may be closing to make room
/// for new ones, `connections::Limits::evict_silent`).
pub const RESERVED_FDS: u64 = 64 + 2 * crate::admin::MAX_CONNECTIONS as u64;

impl FdBudget {
    /// The configured caps, lowered to fit `nofile`: `RESERVED_FDS` kept aside,
    /// up to a quarter of the rest for GitHub, the remainder for clients.
    pub fn new(config: &Config, nofile: Option<u64>) -> FdBudget {
        let (mut max_connections, mut max_exchanges) =
            (config.max_connections, config.max_concurrent_exchanges);
        if let Some(n) = nofile {
            let usable = n.saturating_sub(RESERVED_FDS).max(2);
            max_exchanges =
                max_exchanges.min(usize::try_from(usable / 4).unwrap_or(usize::MAX).max(1));
            let left = usize::try_from(usable).unwrap_or(usize::MAX) - max_exchanges;
            max_connections = max_connections.min(left.max(1));
        }
        FdBudget {
            nofile,
            max_connections,
            max_exchanges,
        }
    }
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit (the budget then reads
/// [`nofile_limit`]).
pub fn raise_nofile_limit() {
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        // Failing leaves the soft limit as it was; the budget uses that.
        let _ = setrlimit(
            Resource::Nofile,
            Rlimit {
                current: limit.maximum,
                maximum: limit.maximum,
            },
        );
    }
}

/// The soft `RLIMIT_NOFILE` now (None when unlimited).
pub fn nofile_limit() -> Option<u64> {
    getrlimit(Resource::Nofile).current
}

/// No core dump, and no ptrace or `/proc/PID/{environ,mem}` for other users:
/// the process holds the client secret and tokens in memory. `RLIMIT_CORE`
/// goes to 0 (soft and hard) and the process is marked not dumpable. Returns
/// what could not be done, if anything.
pub fn disable_core_dumps() -> std::io::Result<()> {
    let none = Rlimit {
        current: Some(0),
        maximum: Some(0),
    };
    setrlimit(Resource::Core, none)?;
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)?;
    Ok(())
}
