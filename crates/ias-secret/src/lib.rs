//! [`Secret`]: a credential the API carries (an authorization code, an access
//! token, a PKCE verifier: the properties the spec marks `x-ias-secret:
//! true`). One type for both sides: `ias-api` (the server's generated types)
//! and `ias-client` (the generated client) use it, so a credential cannot
//! print on either.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A credential. Its `Debug` output is `Secret([redacted])`, so logging a
/// request, a response or an error never prints the value; `Serialize` writes
/// the value (it is sent); read it with [`Secret::expose_secret`].
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
    fn debug_does_not_print_the_value_and_serde_is_the_bare_string() {
        let s = Secret::new("gho_abc123");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert_eq!(format!("{:?}", Some(&s)), "Some(Secret([redacted]))");
        assert_eq!(s.expose_secret(), "gho_abc123");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"gho_abc123\"");
        let back: Secret = serde_json::from_str("\"gho_abc123\"").unwrap();
        assert_eq!(back, s);
        assert_eq!(Secret::from("x"), Secret::from("x".to_string()));
    }
}
