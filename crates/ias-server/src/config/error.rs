//! What can be wrong with the settings, and where the value came from.

use std::fmt;

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// This environment variable.
    Env(&'static str),
    /// This key, at this line of the `--config` file.
    File {
        path: String,
        line: usize,
        key: &'static str,
    },
    /// The setting's default (named by its variable).
    Default(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Env(var) => f.write_str(var),
            Origin::File { path, line, key } => write!(f, "{path}:{line}: {key}"),
            Origin::Default(var) => write!(f, "the default of {var}"),
        }
    }
}

/// A configuration problem, with the setting it concerns; it never holds the
/// client secret's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A value that does not parse or is out of range; the value is echoed
    /// (the secret is never parsed, so never echoed).
    #[error("{origin} = {value:?} {why}")]
    Invalid {
        origin: Origin,
        value: String,
        why: String,
    },
    /// A required setting nobody set.
    #[error("{var} is not set: the GitHub OAuth app's {what} is required; set {var} (or {key} in the --config file){}", if *var == "IAS_GITHUB_CLIENT_SECRET" { ", or IAS_GITHUB_CLIENT_SECRET_FILE to a file holding it" } else { "" })]
    Missing {
        var: &'static str,
        key: &'static str,
        what: &'static str,
    },
    /// Both ways of giving the client secret were used.
    #[error("{first} and {second} are both set: give the client secret one way only (IAS_GITHUB_CLIENT_SECRET or IAS_GITHUB_CLIENT_SECRET_FILE)")]
    Conflict { first: Origin, second: Origin },
    /// A required setting set to nothing.
    #[error("{origin} is empty: the GitHub OAuth app's {what} is required; set {var} (or {key} in the --config file)")]
    Empty {
        origin: Origin,
        var: &'static str,
        key: &'static str,
        what: &'static str,
    },
    /// The `--config` file cannot be read.
    #[error("--config {path}: the file {reason}; give a readable TOML file")]
    Unreadable { path: String, reason: String },
    /// The `--config` file is not TOML, has an unknown key or a value of the
    /// wrong type.
    #[error("{path}{}: invalid configuration: {problem}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    File {
        path: String,
        line: Option<usize>,
        problem: String,
    },
}
