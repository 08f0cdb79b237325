//! The exchange with GitHub, against the local stand-in: what GitHub receives,
//! and how each of its answers (and each transport failure) is classified.

use std::time::Duration;

use github_standin::{Behavior, GitHubError, GitHubStandIn, StandInConfig, TOKEN_PATH};
use ias_api::operations::ExchangeAuthorizationCode;
use ias_api::{ApiError, ErrorCode, Secret};
use ias_server::github::{ExchangeError, GitHub, Upstream};
use ias_server::Config;

const ID: &str = "Iv1.test-client";
const SECRET: &str = "test-client-secret-0123";

async fn setup(app: StandInConfig) -> (GitHubStandIn, Config) {
    let github = GitHubStandIn::start(app).await.unwrap();
    let config = Config::for_github(&github.base_url(), ID, SECRET).unwrap();
    (github, config)
}

async fn exchange(config: &Config, code: &str) -> Result<Secret, ExchangeError> {
    GitHub::new(config)
        .unwrap()
        .exchange(&Secret::new(code), None)
        .await
}

/// The failure's two texts; neither may hold the secret, and the caller's
/// (`trace`) no host, URL, port or OS error text.
fn upstream(r: Result<Secret, ExchangeError>) -> Upstream {
    match r {
        Err(ExchangeError::Upstream(u)) => {
            for text in [&u.trace, &u.detail] {
                assert!(!text.contains(SECRET), "the secret leaked: {text}");
            }
            for internal in ["127.0.0.1", "http:", "os error", "localhost"] {
                assert!(
                    !u.trace.contains(internal),
                    "{internal:?} in the trace: {}",
                    u.trace
                );
            }
            u
        }
        other => panic!("expected an upstream failure, got {other:?}"),
    }
}

#[tokio::test]
async fn success_sends_credentials_in_the_body_and_asks_for_json() {
    let (github, config) = setup(StandInConfig::new(ID, SECRET)).await;
    github.on_code("good-code", Behavior::token("gho_abc"));
    let token = exchange(&config, "good-code").await.unwrap();
    assert_eq!(token.expose_secret(), "gho_abc");

    let received = github.received();
    assert_eq!(received.len(), 1);
    let r = &received[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, TOKEN_PATH);
    assert_eq!(r.query, None, "nothing may travel in the URL");
    assert_eq!(r.accept.as_deref(), Some("application/json"));
    assert_eq!(
        r.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(r.body_params.get("client_id").map(String::as_str), Some(ID));
    assert_eq!(
        r.body_params.get("client_secret").map(String::as_str),
        Some(SECRET)
    );
    assert_eq!(
        r.body_params.get("code").map(String::as_str),
        Some("good-code")
    );
    assert_eq!(r.body_params.get("redirect_uri"), None);
}

#[tokio::test]
async fn one_pooled_connection_serves_successive_exchanges() {
    let (github, config) = setup(StandInConfig::new(ID, SECRET)).await;
    github.on_code("first", Behavior::token("t1"));
    github.on_code("second", Behavior::token("t2"));
    let client = GitHub::new(&config).unwrap();
    client.exchange(&Secret::new("first"), None).await.unwrap();
    client.exchange(&Secret::new("second"), None).await.unwrap();
    assert_eq!(github.received().len(), 2);
    assert_eq!(
        github.connections(),
        1,
        "the second exchange should reuse the pooled connection"
    );
}

#[tokio::test]
async fn redirect_uri_is_sent_when_configured() {
    let (github, mut config) =
        setup(StandInConfig::new(ID, SECRET).with_redirect_uri("https://console.example/cb")).await;
    github.on_code("c1", Behavior::token("t1"));
    github.on_code("c2", Behavior::token("t2"));
    config.github.redirect_uri = Some("https://console.example/cb".into());
    assert_eq!(exchange(&config, "c1").await.unwrap().expose_secret(), "t1");
    assert_eq!(
        github.received()[0]
            .body_params
            .get("redirect_uri")
            .map(String::as_str),
        Some("https://console.example/cb")
    );

    config.github.redirect_uri = Some("https://elsewhere.example/cb".into());
    let failure = upstream(exchange(&config, "c2").await);
    assert_eq!(
        failure.trace,
        "GitHub refused the exchange: redirect_uri_mismatch"
    );
}

#[tokio::test]
async fn bad_and_used_codes_are_bad_verification_codes() {
    let (github, config) = setup(StandInConfig::new(ID, SECRET)).await;
    github.on_code("once", Behavior::token("t"));
    assert!(exchange(&config, "once").await.is_ok());
    assert_eq!(
        exchange(&config, "once").await.unwrap_err(),
        ExchangeError::BadVerificationCode
    );
    assert_eq!(
        exchange(&config, "never-issued").await.unwrap_err(),
        ExchangeError::BadVerificationCode
    );
}

#[tokio::test]
async fn unverified_user_email_is_its_own_case() {
    let (github, config) = setup(StandInConfig::new(ID, SECRET)).await;
    github.on_code("u", Behavior::Error(GitHubError::UnverifiedUserEmail));
    let e = exchange(&config, "u").await.unwrap_err();
    assert_eq!(e, ExchangeError::UnverifiedUserEmail);
    let api = ApiError::<ExchangeAuthorizationCode>::from(e);
    assert_eq!(
        (api.status(), api.error()),
        (400, ErrorCode::InvalidAuthorizationCode)
    );
    assert!(api.body().traces[0].contains("unverified_user_email"));
}

#[tokio::test]
async fn wrong_client_secret_is_an_upstream_failure_without_the_secret() {
    let github = GitHubStandIn::start(StandInConfig::new(ID, "the-right-secret"))
        .await
        .unwrap();
    github.on_code("c", Behavior::token("t"));
    let config = Config::for_github(&github.base_url(), ID, SECRET).unwrap();
    let failure = upstream(exchange(&config, "c").await);
    assert_eq!(
        failure.trace,
        "GitHub refused the exchange: incorrect_client_credentials"
    );
    assert_eq!(
        failure.detail,
        "GitHub refused the exchange: incorrect_client_credentials: The client_id and/or client_secret passed are incorrect."
    );
}

/// Each answer GitHub (or what stands in its place) can give that is neither
/// a token nor a documented error: what the caller's trace says exactly, and
/// how the log's detail starts.
#[tokio::test]
async fn every_other_answer_is_an_upstream_failure_in_fixed_words() {
    let (github, mut config) = setup(StandInConfig::new(ID, SECRET)).await;
    config.upstream_timeout = Duration::from_millis(300);
    let token_as_body = "gho_bare_string_token_0123456789";
    let cases: Vec<(Behavior, &str, String)> = vec![
        (
            Behavior::Error(GitHubError::Other("application_suspended".into())),
            "GitHub refused the exchange: application_suspended",
            "GitHub refused the exchange: application_suspended: ".into(),
        ),
        (
            Behavior::Status(502),
            "GitHub answered HTTP 502",
            "GitHub answered HTTP 502 Bad Gateway (Content-Type: application/json".into(),
        ),
        (
            Behavior::MalformedBody,
            "GitHub's answer was not the expected JSON",
            "GitHub answered HTTP 200 OK with a body that is not the expected JSON".into(),
        ),
        (
            Behavior::Body {
                content_type: "application/json".into(),
                body: format!("\"{token_as_body}\""),
            },
            "GitHub's answer was not the expected JSON",
            "GitHub answered HTTP 200 OK with a body that is not the expected JSON (Content-Type: application/json, 34 bytes): a data (not the expected fields) error at line 1 column".into(),
        ),
        (
            Behavior::Body {
                content_type: format!("application/{}", "x".repeat(60_000)),
                body: "{}".into(),
            },
            "GitHub's answer had neither access_token nor error",
            "GitHub answered HTTP 200 OK with neither access_token nor error".into(),
        ),
        (
            Behavior::EmptyJson,
            "GitHub's answer had neither access_token nor error",
            "GitHub answered HTTP 200 OK with neither access_token nor error".into(),
        ),
        (
            Behavior::Body {
                content_type: "application/json".into(),
                body: r#"{"access_token":"","token_type":"bearer"}"#.into(),
            },
            "GitHub's answer had neither access_token nor error",
            "GitHub answered HTTP 200 OK with neither access_token nor error".into(),
        ),
        (
            Behavior::ResetConnection,
            "the exchange with GitHub failed before an answer",
            format!("the exchange with GitHub at {}/login/oauth/access_token failed", github.base_url()),
        ),
        (
            Behavior::delayed(Duration::from_secs(5), Behavior::token("t")),
            "GitHub did not answer within 300ms (IAS_UPSTREAM_TIMEOUT)",
            "GitHub did not answer within 300ms (IAS_UPSTREAM_TIMEOUT) at http://".into(),
        ),
    ];
    for (i, (behavior, trace, detail)) in cases.into_iter().enumerate() {
        let code = format!("case-{i}");
        github.on_code(&code, behavior);
        let started = std::time::Instant::now();
        let failure = upstream(exchange(&config, &code).await);
        assert_eq!(failure.trace, trace, "case {i}");
        assert!(
            failure.detail.starts_with(&detail),
            "case {i}: {}",
            failure.detail
        );
        assert!(
            !failure.detail.contains(token_as_body),
            "case {i}: {}",
            failure.detail
        );
        assert!(
            failure.detail.len() < 1024,
            "case {i}: the detail is clipped"
        );
        assert!(started.elapsed() < Duration::from_secs(3), "case {i}");
    }
}

#[tokio::test]
async fn connection_refused_is_an_upstream_failure() {
    let addr = ias_testing::free_loopback_address();
    let config = Config::for_github(&format!("http://{addr}"), ID, SECRET).unwrap();
    let failure = upstream(exchange(&config, "c").await);
    assert_eq!(failure.trace, "the connection to GitHub failed");
    assert!(
        failure.detail.starts_with(&format!(
            "cannot connect to GitHub at http://{addr}/login/oauth/access_token"
        )),
        "{}",
        failure.detail
    );
}

/// With IAS_GITHUB_PROXY set, a dead proxy is said to be the proxy, in the
/// trace and the log (without its user:password).
#[tokio::test]
async fn a_dead_proxy_is_named() {
    let (_github, mut config) = setup(StandInConfig::new(ID, SECRET)).await;
    let proxy = ias_testing::free_loopback_address();
    config.github.proxy = Some(format!("http://user:hunter2@{proxy}").parse().unwrap());
    let failure = upstream(exchange(&config, "c").await);
    assert_eq!(
        failure.trace,
        "the connection to GitHub through the proxy (IAS_GITHUB_PROXY) failed"
    );
    let expected = format!(" through the proxy http://[redacted]@{proxy}/ (IAS_GITHUB_PROXY)");
    assert!(
        failure.detail.starts_with("cannot reach GitHub at http://"),
        "{}",
        failure.detail
    );
    assert!(failure.detail.contains(&expected), "{}", failure.detail);
    assert!(!failure.detail.contains("hunter2"), "{}", failure.detail);
}

#[tokio::test]
async fn upstream_text_echoing_a_credential_is_redacted() {
    let (github, config) = setup(StandInConfig::new(ID, SECRET)).await;
    let code = "the-code-123456";
    github.on_code(
        code,
        Behavior::Error(GitHubError::Other(format!("weird_{code}_{SECRET}"))),
    );
    let failure = upstream(exchange(&config, code).await);
    // Not a GitHub error word: the caller is told no more than that.
    assert_eq!(failure.trace, "GitHub refused the exchange");
    assert!(!failure.detail.contains(code), "{}", failure.detail);
    assert!(
        failure.detail.contains("weird_[redacted]_[redacted]"),
        "{}",
        failure.detail
    );
}

/// Upstream text is made fit for the log before it is clipped: an echo of a
/// credential is redacted however it comes (long enough to reach the clip,
/// URL-encoded, with a TAB in it, upper-cased), and no part of it survives.
#[tokio::test]
async fn a_credential_echoed_in_any_form_is_redacted_before_clipping() {
    let (github, config) = setup(StandInConfig::new(ID, SECRET)).await;
    let code = "code-with/slash~tilde";
    let encoded: String = form_urlencoded::byte_serialize(code.as_bytes()).collect();
    let echoes = [
        // the code straddling the 200-character clip
        format!("{}{code}", "x".repeat(190)),
        format!("sent: {encoded}"),
        format!("sent: {}", encoded.to_lowercase()),
        "sent: code-with/sla\tsh~tilde".to_string(),
        format!("sent: {}", code.to_uppercase()),
        format!("secret: {}", SECRET.to_uppercase()),
    ];
    for echo in echoes {
        github.on_code(code, Behavior::Error(GitHubError::Other(echo.clone())));
        let failure = upstream(exchange(&config, code).await);
        let detail = failure.detail.to_lowercase();
        for part in [
            "code-with",
            "slash",
            "tilde",
            "with%2f",
            &SECRET.to_lowercase(),
        ] {
            assert!(
                !detail.contains(part),
                "{echo:?} left {part:?} in {detail:?}"
            );
        }
        assert!(
            failure.detail.contains("[redacted]") || failure.detail.len() <= 230,
            "{}",
            failure.detail
        );
    }
}

/// GitHub's answer is read up to 64 KiB: an answer of exactly that size is
/// read, one byte more is refused.
#[tokio::test]
async fn answers_are_read_up_to_64_kib() {
    let (github, config) = setup(StandInConfig::new(ID, SECRET)).await;
    let limit = 64 * 1024;
    let answer = |len: usize| {
        let bare = r#"{"access_token":"gho_big","pad":""}"#;
        format!(
            r#"{{"access_token":"gho_big","pad":"{}"}}"#,
            "x".repeat(len - bare.len())
        )
    };
    for (code, len, ok) in [("at-limit", limit, true), ("over-limit", limit + 1, false)] {
        let body = answer(len);
        assert_eq!(body.len(), len);
        github.on_code(
            code,
            Behavior::Body {
                content_type: "application/json".into(),
                body,
            },
        );
        let result = exchange(&config, code).await;
        if ok {
            assert_eq!(result.unwrap().expose_secret(), "gho_big");
        } else {
            assert_eq!(
                upstream(result).trace,
                "GitHub's answer was larger than 65536 bytes"
            );
        }
    }
}
