use std::fmt;

use serde::{Deserialize, Serialize};

/// A credential carried by the API (an authorization code, an access token).
///
/// Its `Debug` output is `Secret([redacted])`, so logging a request or a
/// response never prints the value; read it with [`Secret::expose_secret`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The credential itself; call this only where it is sent or stored.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_does_not_print_the_value() {
        let s = Secret::new("gho_abc123");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert_eq!(s.expose_secret(), "gho_abc123");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"gho_abc123\"");
    }
}
