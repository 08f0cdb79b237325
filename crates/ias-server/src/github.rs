//! The authorization-code exchange with GitHub (or a GitHub Enterprise Server).
//!
//! `POST {base}/login/oauth/access_token` with `client_id`, `client_secret`,
//! `code` and, when configured, `redirect_uri` in a form-encoded body (never in
//! the URL), `Accept: application/json`. GitHub answers failures with HTTP 200
//! and an `error` field; see GitHub's "Authorizing OAuth apps" and
//! "Troubleshooting OAuth app access token request errors".

use std::time::Duration;

use ias_api::operations::{ExchangeAuthorizationCode, ExchangeAuthorizationCodeError as OpError};
use ias_api::{ApiError, Secret};
use reqwest::header::{ACCEPT, CONTENT_TYPE, USER_AGENT};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::config::Config;

/// The largest answer read from GitHub; a token answer is a few hundred bytes.
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// Credentials at least this long are redacted from upstream texts.
const MIN_REDACTED_LEN: usize = 8;
/// Upstream texts copied into the log are cut to this many characters.
const MAX_TRACE_TEXT: usize = 200;

/// How an exchange failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExchangeError {
    /// GitHub: `bad_verification_code` — the code is wrong, expired or used.
    BadVerificationCode,
    /// GitHub: `unverified_user_email` — the user's primary email is unverified.
    UnverifiedUserEmail,
    /// Anything else.
    Upstream(Upstream),
}

/// A failed exchange in two words: what the caller may read, and what the
/// operator needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// For the client's `traces`: what failed, in fixed words (no host, URL,
    /// port, OS error text or upstream text, except a GitHub error code).
    pub trace: String,
    /// For the log (with the request id): the cause in full, credentials
    /// redacted, upstream text clipped.
    pub detail: String,
}

impl ExchangeError {
    fn upstream(trace: impl Into<String>, detail: impl Into<String>) -> Self {
        ExchangeError::Upstream(Upstream {
            trace: trace.into(),
            detail: detail.into(),
        })
    }

    /// What the log says of it (the detail, for an upstream failure).
    pub fn log_detail(&self) -> Option<&str> {
        match self {
            ExchangeError::Upstream(u) => Some(&u.detail),
            _ => None,
        }
    }
}

/// The response mapping of the contract's table, for the one operation that
/// exchanges codes (its error type holds only the pairs it documents).
///
/// `unverified_user_email` is answered as 400 `oauth/2` (invalid authorization
/// code), not 500 `oauth/1200`: the code cannot be exchanged because of the
/// user's account, not because of this server or GitHub being broken. A 400
/// tells the console to send the user back through sign-in (after verifying
/// the email, which the trace says) and does not page anyone or invite retries
/// of a code that will never work; among the documented 400 codes, `oauth/2`
/// is the one that means "this code yields no token".
impl From<ExchangeError> for ApiError<ExchangeAuthorizationCode> {
    fn from(e: ExchangeError) -> Self {
        match e {
            ExchangeError::BadVerificationCode => ApiError::new(OpError::InvalidAuthorizationCode)
                .with_trace(
                    "GitHub: bad_verification_code: the code is incorrect, expired or already used",
                ),
            ExchangeError::UnverifiedUserEmail => ApiError::new(OpError::InvalidAuthorizationCode)
                .with_trace(
                    "GitHub: unverified_user_email: the user's primary email is not verified; \
                 verify it on GitHub and sign in again",
                ),
            ExchangeError::Upstream(upstream) => {
                ApiError::new(OpError::ExchangeAuthorizationCodeEncounteredError)
                    .with_trace(upstream.trace)
            }
        }
    }
}

/// GitHub's JSON answer, success or failure.
#[derive(Debug, Default, Deserialize, PartialEq)]
struct TokenAnswer {
    access_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// GitHub's answer: JSON, as asked for with `Accept`; a form-encoded answer
/// (GitHub's default format, from a proxy or an old Enterprise Server that
/// ignores `Accept`) is read too rather than failing a good exchange.
fn parse_answer(content_type: &str, body: &[u8]) -> Result<TokenAnswer, serde_json::Error> {
    if ias_api::is_media_type(content_type, "application/x-www-form-urlencoded") {
        let mut answer = TokenAnswer::default();
        for (key, value) in form_urlencoded::parse(body) {
            let slot = match key.as_ref() {
                "access_token" => &mut answer.access_token,
                "error" => &mut answer.error,
                "error_description" => &mut answer.error_description,
                _ => continue,
            };
            *slot = Some(value.into_owned());
        }
        return Ok(answer);
    }
    serde_json::from_slice(body)
}

/// The exchange client: one connection pool for the server's life.
pub struct GitHub {
    http: reqwest::Client,
    /// Parsed once: reqwest would parse a string again for every request.
    token_url: reqwest::Url,
    client_id: String,
    client_secret: SecretString,
    redirect_uri: Option<String>,
    timeout: Duration,
    /// `IAS_GITHUB_PROXY`, as it may be shown (no user:password).
    proxy: Option<String>,
}

impl GitHub {
    /// Builds the HTTP client (timeouts, no redirects) for the configured app.
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout())
            .timeout(config.upstream_timeout)
            // A redirect would turn the POST into a GET without the body; the
            // token endpoint does not redirect, so one is an error.
            .redirect(reqwest::redirect::Policy::none());
        // Proxy variables (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY) are ignored: one
        // meant for something else in the pod would otherwise receive the
        // client secret. IAS_GITHUB_PROXY is the one way to use a proxy.
        let http = match &config.github.proxy {
            None => http.no_proxy(),
            Some(proxy) => http.proxy(reqwest::Proxy::all(proxy.clone())?),
        }
        .build()?;
        let base = config.github.base_url.as_str().trim_end_matches('/');
        Ok(GitHub {
            http,
            token_url: reqwest::Url::parse(&format!("{base}/login/oauth/access_token"))?,
            client_id: config.github.client_id.clone(),
            client_secret: config.github.client_secret.clone(),
            redirect_uri: config.github.redirect_uri.clone(),
            timeout: config.upstream_timeout,
            proxy: config
                .github
                .proxy
                .as_ref()
                .map(|p| crate::config::without_userinfo(p.as_str())),
        })
    }

    /// Exchanges `code` for an access token; `verifier` is PKCE's
    /// `code_verifier` (RFC 7636 §4.5), sent in the form body when the
    /// console started the flow with a challenge.
    pub async fn exchange(
        &self,
        code: &Secret,
        verifier: Option<&Secret>,
    ) -> Result<Secret, ExchangeError> {
        let mut form: Vec<(&str, &str)> = vec![
            ("client_id", &self.client_id),
            ("client_secret", self.client_secret.expose_secret()),
            ("code", code.expose_secret()),
        ];
        if let Some(verifier) = verifier {
            form.push(("code_verifier", verifier.expose_secret()));
        }
        if let Some(uri) = &self.redirect_uri {
            form.push(("redirect_uri", uri));
        }
        let redact = |text: &str| self.redact(text, code, verifier);

        let mut response = self
            .http
            .post(self.token_url.clone())
            .header(ACCEPT, "application/json")
            .header(
                USER_AGENT,
                concat!("ias-server/", env!("CARGO_PKG_VERSION")),
            )
            .form(&form)
            .send()
            .await
            .map_err(|e| self.transport_error(&e, &redact))?;

        let status = response.status();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none")
            .to_string();
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                        return Err(ExchangeError::upstream(
                            format!("GitHub's answer was larger than {MAX_ANSWER_BYTES} bytes"),
                            format!(
                                "GitHub's answer (HTTP {status}, Content-Type: {}) at {} is larger than {MAX_ANSWER_BYTES} bytes",
                                clip(&content_type),
                                self.token_url
                            ),
                        ));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(self.transport_error(&e, &redact)),
            }
        }

        if !status.is_success() {
            return Err(ExchangeError::upstream(
                format!("GitHub answered HTTP {}", status.as_u16()),
                format!(
                    "GitHub answered HTTP {status} (Content-Type: {}, {} bytes) at {}",
                    clip(&content_type),
                    body.len(),
                    self.token_url
                ),
            ));
        }
        // Neither the body nor serde's message about it is repeated, not even
        // to the log: a success body holds a token, and serde quotes what it
        // read ("invalid type: string \"gho_...\""). Where and what kind of
        // error it was is enough to look into it.
        let answer = parse_answer(&content_type, &body).map_err(|e| {
            ExchangeError::upstream(
                "GitHub's answer was not the expected JSON",
                format!(
                    "GitHub answered HTTP {status} with a body that is not the expected JSON \
                     (Content-Type: {}, {} bytes): {} error at line {} column {}",
                    clip(&content_type),
                    body.len(),
                    match e.classify() {
                        serde_json::error::Category::Io => "an I/O",
                        serde_json::error::Category::Syntax => "a syntax",
                        serde_json::error::Category::Data => "a data (not the expected fields)",
                        serde_json::error::Category::Eof => "an end-of-input",
                    },
                    e.line(),
                    e.column()
                ),
            )
        })?;
        match (answer.error.as_deref(), answer.access_token) {
            (Some("bad_verification_code"), _) => Err(ExchangeError::BadVerificationCode),
            (Some("unverified_user_email"), _) => Err(ExchangeError::UnverifiedUserEmail),
            (Some(error), _) => {
                let description = answer.error_description.unwrap_or_default();
                // GitHub's error codes are words such as incorrect_client_credentials;
                // anything else is not repeated to the caller.
                let code = (!error.is_empty()
                    && error.len() <= 64
                    && error.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
                .then_some(error);
                Err(ExchangeError::upstream(
                    match code {
                        Some(code) => format!("GitHub refused the exchange: {code}"),
                        None => "GitHub refused the exchange".to_string(),
                    },
                    redact(&format!(
                        "GitHub refused the exchange: {error}: {description}"
                    )),
                ))
            }
            (None, Some(token)) if !token.is_empty() => Ok(Secret::new(token)),
            (None, _) => Err(ExchangeError::upstream(
                "GitHub's answer had neither access_token nor error",
                format!("GitHub answered HTTP {status} with neither access_token nor error"),
            )),
        }
    }

    /// A transport error: in fixed words for the caller, in full for the log.
    fn transport_error(
        &self,
        e: &reqwest::Error,
        redact: &dyn Fn(&str) -> String,
    ) -> ExchangeError {
        let trace = if e.is_timeout() {
            format!(
                "GitHub did not answer within {} (IAS_UPSTREAM_TIMEOUT)",
                humantime::format_duration(self.timeout)
            )
        } else if e.is_connect() && self.proxy.is_some() {
            "the connection to GitHub through the proxy (IAS_GITHUB_PROXY) failed".to_string()
        } else if e.is_connect() {
            "the connection to GitHub failed".to_string()
        } else {
            "the exchange with GitHub failed before an answer".to_string()
        };
        ExchangeError::upstream(trace, redact(&self.describe(e)))
    }

    /// What a transport error means, in full (for the log), without the request body.
    fn describe(&self, e: &reqwest::Error) -> String {
        let mut root = String::new();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            root = s.to_string();
            source = s.source();
        }
        let cause = if root.is_empty() {
            String::new()
        } else {
            format!(": {root}")
        };
        if e.is_timeout() {
            format!(
                "GitHub did not answer within {:?} (IAS_UPSTREAM_TIMEOUT) at {}",
                self.timeout, self.token_url
            )
        } else if let (true, Some(proxy)) = (e.is_connect(), &self.proxy) {
            format!(
                "cannot reach GitHub at {} through the proxy {proxy} (IAS_GITHUB_PROXY){cause}",
                self.token_url
            )
        } else if e.is_connect() {
            format!("cannot connect to GitHub at {}{cause}", self.token_url)
        } else {
            format!(
                "the exchange with GitHub at {} failed{cause}",
                self.token_url
            )
        }
    }

    /// Text that came from outside, made fit for the log: control characters
    /// out (a TAB inside an echo would hide it), then every credential in it
    /// redacted — as sent, URL-encoded (how the form carried it), in any
    /// case — and only then clipped, so no part of one survives at the cut.
    /// Values shorter than `MIN_REDACTED_LEN` are left alone: replacing every
    /// `c` of a text would only garble it (real codes are 20 characters,
    /// secrets 40).
    fn redact(&self, text: &str, code: &Secret, verifier: Option<&Secret>) -> String {
        let mut text: String = text.chars().filter(|c| !c.is_control()).collect();
        let verifier = verifier.map(Secret::expose_secret);
        for secret in [
            Some(self.client_secret.expose_secret()),
            Some(code.expose_secret()),
            verifier,
        ]
        .into_iter()
        .flatten()
        .filter(|s| s.len() >= MIN_REDACTED_LEN)
        {
            let encoded: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
            for form in [secret, encoded.as_str()] {
                text = replace_ignoring_ascii_case(&text, form, "[redacted]");
            }
        }
        clip(&text)
    }
}

/// `text` with every occurrence of `needle`, in any ASCII case, replaced.
fn replace_ignoring_ascii_case(text: &str, needle: &str, with: &str) -> String {
    // ASCII case folding keeps every byte offset (non-ASCII bytes are kept).
    let folded = text.to_ascii_lowercase();
    let needle = needle.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while let Some(found) = folded[at..].find(&needle) {
        out.push_str(&text[at..at + found]);
        out.push_str(with);
        at += found + needle.len();
    }
    out.push_str(&text[at..]);
    out
}

/// At most `MAX_TRACE_TEXT` characters, without control characters.
fn clip(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(MAX_TRACE_TEXT)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacing_ignores_ascii_case_only() {
        #[rustfmt::skip]
        let cases = [
            ("a Secret-Code b", "secret-code", "a [r] b"),
            ("SECRET-CODEsecret-code", "secret-code", "[r][r]"),
            ("é secret-code é", "SECRET-CODE", "é [r] é"),
            ("no match", "secret-code", "no match"),
            ("secret-cod", "secret-code", "secret-cod"),
        ];
        for (text, needle, out) in cases {
            assert_eq!(
                replace_ignoring_ascii_case(text, needle, "[r]"),
                out,
                "{text}"
            );
        }
    }

    #[test]
    fn json_and_form_answers_are_read_alike() {
        let json = parse_answer(
            "application/json; charset=utf-8",
            br#"{"access_token":"gho_1","scope":"","token_type":"bearer"}"#,
        )
        .unwrap();
        let form = parse_answer(
            "application/x-www-form-urlencoded",
            b"access_token=gho_1&scope=&token_type=bearer",
        )
        .unwrap();
        assert_eq!(json, form);
        assert_eq!(json.access_token.as_deref(), Some("gho_1"));

        let error = parse_answer(
            "application/x-www-form-urlencoded",
            b"error=bad_verification_code&error_description=The+code+passed+is+incorrect+or+expired.",
        )
        .unwrap();
        assert_eq!(error.error.as_deref(), Some("bad_verification_code"));
        assert_eq!(
            error.error_description.as_deref(),
            Some("The code passed is incorrect or expired.")
        );
    }

    #[test]
    fn other_bodies_must_be_json() {
        assert!(parse_answer("text/html", b"<html>").is_err());
        assert!(parse_answer("application/json", b"access_token=x").is_err());
    }
}
