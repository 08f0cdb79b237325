//! ias-server's integration tests, one binary (fewer links on a small machine):
//!
//! - `binary`: the real `ias-server` process (settings, logs, signals), with
//!   `binary::limits` (hostile and slow clients) and `binary::admin` (probes,
//!   metrics);
//! - `github_exchange`: the exchange with GitHub against the local stand-in.

mod binary;
mod github_exchange;
