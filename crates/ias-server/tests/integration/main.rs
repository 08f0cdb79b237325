//! ias-server's integration tests, one binary (fewer links on a small machine):
//!
//! - `binary`: the real `ias-server` process (settings, logs, signals), with
//!   `binary::limits` (hostile and slow clients) and `binary::admin` (probes,
//!   metrics);
//! - `config`: the settings through the library (`Config::load`): defaults,
//!   every message that names a bad setting, the `--config` file;
//! - `github_exchange`: the exchange with GitHub against the local stand-in.

mod binary;
mod config;
mod github_exchange;
