//! Security schemes (`components.securitySchemes`): where a request carries
//! its credential. The generated endpoints look for the credential an
//! operation's `security` names before anything else; a request without it
//! gets the error the scheme names in `x-ias-error` (usually `401`, sent with
//! `WWW-Authenticate: Bearer`, RFC 6750 §3). Whether the credential is valid
//! is the handler's to judge: it receives it as a [`Secret`].

use crate::Secret;

/// How a scheme carries its credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `type: http`, `scheme: bearer`: `Authorization: Bearer <token>`
    /// (the scheme name in any case, RFC 9110 §11.1; the token as RFC 6750
    /// §2.1's `b64token`).
    Bearer,
    /// `type: apiKey`, `in: header`: the named header, sent once, not empty.
    ApiKeyHeader(&'static str),
}

impl Scheme {
    /// Whether `headers` carry anything for this scheme (well-formed or
    /// not): where anonymous access is allowed, a credential sent but not
    /// well-formed is still refused, never taken for no credential.
    pub fn is_attempted(self, headers: &http::HeaderMap) -> bool {
        match self {
            Scheme::Bearer => headers.contains_key(http::header::AUTHORIZATION),
            Scheme::ApiKeyHeader(name) => headers.contains_key(name),
        }
    }

    /// The credential `headers` carry for this scheme, if they carry one
    /// (once, well-formed and not empty).
    pub fn credential(self, headers: &http::HeaderMap) -> Option<Secret> {
        let name = match self {
            Scheme::Bearer => http::header::AUTHORIZATION.as_str(),
            Scheme::ApiKeyHeader(name) => name,
        };
        let mut values = headers.get_all(name).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return None;
        };
        let text = value.to_str().ok()?;
        match self {
            Scheme::Bearer => {
                let (scheme, token) = text.split_once(' ')?;
                let token = token.trim_start_matches(' ');
                let b64token = token.trim_end_matches('=');
                let valid = scheme.eq_ignore_ascii_case("bearer")
                    && !b64token.is_empty()
                    && b64token
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
                valid.then(|| Secret::new(token))
            }
            Scheme::ApiKeyHeader(_) => (!text.is_empty()).then(|| Secret::new(text)),
        }
    }
}

/// Writes each operation's `security` (from the generated [`crate::Route`]s)
/// into an OpenAPI document dropshot made, whose operations have none: so
/// the server's document says what the generated endpoints require, and
/// conformance compares it with the spec.
pub fn document_security(document: &mut serde_json::Value, routes: &[crate::Route]) {
    for route in routes.iter().filter(|r| !r.security.is_empty()) {
        let pointer = format!(
            "/paths/{}/{}",
            route.path.replace('~', "~0").replace('/', "~1"),
            route.method.to_ascii_lowercase()
        );
        if let Some(operation) = document.pointer_mut(&pointer) {
            let alternatives = route
                .security
                .iter()
                .map(|schemes| {
                    let entries = schemes
                        .iter()
                        .map(|s| (s.to_string(), serde_json::json!([])));
                    serde_json::Value::Object(entries.collect())
                })
                .collect();
            operation["security"] = serde_json::Value::Array(alternatives);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: &'static str, values: &[&[u8]]) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        for v in values {
            headers.append(name, http::HeaderValue::from_bytes(v).unwrap());
        }
        headers
    }

    #[test]
    fn a_bearer_token_is_taken_only_well_formed_and_once() {
        let cases: &[(&[&[u8]], Option<&str>)] = &[
            (&[b"Bearer abc.DEF-123_~+/=="], Some("abc.DEF-123_~+/==")),
            (&[b"bearer t"], Some("t")),
            (&[b"BEARER   t"], Some("t")),
            (&[], None),
            (&[b"Bearer"], None),
            (&[b"Bearer "], None),
            (&[b"Bearer =="], None),
            (&[b"Basic dXNlcjpwYXNz"], None),
            (&[b"Bearer a b"], None),
            (&[b"Bearer t\xe9"], None),
            (&[b"Bearer t", b"Bearer u"], None),
            (&[b"Bearert"], None),
        ];
        for (values, expected) in cases {
            let got = Scheme::Bearer.credential(&with("authorization", values));
            assert_eq!(
                got.as_ref().map(Secret::expose_secret),
                *expected,
                "{values:?}"
            );
        }
    }

    #[test]
    fn an_api_key_is_its_header_once_and_not_empty() {
        let scheme = Scheme::ApiKeyHeader("x-api-key");
        let key = |values: &[&[u8]]| {
            scheme
                .credential(&with("x-api-key", values))
                .map(|s| s.expose_secret().to_string())
        };
        assert_eq!(key(&[b"k-1"]).as_deref(), Some("k-1"));
        assert_eq!(key(&[]), None);
        assert_eq!(key(&[b""]), None);
        assert_eq!(key(&[b"a", b"b"]), None);
        assert_eq!(key(&[b"\xff"]), None);
        // Another header is not the key.
        assert_eq!(
            scheme.credential(&with("authorization", &[b"Bearer t"])),
            None
        );
        assert!(!scheme.is_attempted(&with("authorization", &[b"Bearer t"])));
        assert!(scheme.is_attempted(&with("X-Api-Key", &[b""])));
        assert!(Scheme::Bearer.is_attempted(&with("authorization", &[b"Basic x"])));
    }
}
