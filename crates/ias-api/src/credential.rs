//! [`Credential`]: an authorization code, access token or PKCE verifier: a
//! property the spec marks `x-ias-secret: true`.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A credential. `Debug` prints `[redacted]`; `Serialize` writes the value,
/// for the responses that carry one.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Credential(String);

impl Credential {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Credential(value.into())
    }

    /// The value; call only where it is sent.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}
