//! The exchange with GitHub, against the local stand-in: what GitHub receives,
//! and how each of its answers (and each transport failure) is classified.

use std::time::Duration;

use github_standin::{Behavior, GitHubError, GitHubStandIn, StandInConfig, TOKEN_PATH};
use ias_api::operations::ExchangeAuthorizationCode;
use ias_api::{ApiError, Credential, ErrorCode};
use ias_server::github::{ExchangeError, GitHub};
use ias_server::Config;

const ID: &str = "Iv1.test-client";
const SECRET: &str = "test-client-secret-0123";

async fn setup(app: StandInConfig) -> (GitHubStandIn, Config) {
    let github = GitHubStandIn::start(app).await.unwrap();
    let config = Config::for_github(&github.base_url(), ID, SECRET).unwrap();
    (github, config)
}

async fn exchange(config: &Config, code: &str) -> Result<Credential, ExchangeError> {
    GitHub::new(config)
        .unwrap()
        .exchange(&Credential::new(code), None)
        .await
}

fn upstream(r: Result<Credential, ExchangeError>) -> String {
    match r {
        Err(ExchangeError::Upstream(trace)) => {
            assert!(
                !trace.contains(SECRET),
                "the secret leaked into a trace: {trace}"
            );
            trace
        }
        other => panic!("expected an upstream failure, got {other:?}"),
    }
}

#[tokio::test]
async fn success_sends_credentials_in_the_body_and_asks_for_json() {
    let (github, config) = setup(StandInConfig::new(ID, SECRET)).await;
    github.on_code("good-code", Behavior::token("gho_abc"));
    let token = exchange(&config, "good-code").await.unwrap();
    assert_eq!(token.expose(), "gho_abc");

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
    client
        .exchange(&Credential::new("first"), None)
        .await
        .unwrap();
    client
        .exchange(&Credential::new("second"), None)
        .await
        .unwrap();
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
    assert_eq!(exchange(&config, "c1").await.unwrap().expose(), "t1");
    assert_eq!(
        github.received()[0]
            .body_params
            .get("redirect_uri")
            .map(String::as_str),
        Some("https://console.example/cb")
    );

    config.github.redirect_uri = Some("https://elsewhere.example/cb".into());
    let trace = upstream(exchange(&config, "c2").await);
    assert!(trace.contains("redirect_uri_mismatch"), "{trace}");
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
    let trace = upstream(exchange(&config, "c").await);
    assert_eq!(
        trace,
        "GitHub refused the exchange: incorrect_client_credentials: The client_id and/or client_secret passed are incorrect."
    );
}

#[tokio::test]
async fn other_github_errors_are_upstream_failures() {
    let (github, config) = setup(StandInConfig::new(ID, SECRET)).await;
    github.on_code(
        "s",
        Behavior::Error(GitHubError::Other("application_suspended".into())),
    );
    assert!(upstream(exchange(&config, "s").await).contains("application_suspended"));
}

#[tokio::test]
async fn http_errors_malformed_and_empty_answers_are_upstream_failures() {
    let (github, config) = setup(StandInConfig::new(ID, SECRET)).await;
    github.on_code("502", Behavior::Status(502));
    github.on_code("html", Behavior::MalformedBody);
    github.on_code("empty", Behavior::EmptyJson);
    assert!(upstream(exchange(&config, "502").await)
        .starts_with("GitHub answered HTTP 502 Bad Gateway"));
    assert!(upstream(exchange(&config, "html").await).contains("not the expected JSON"));
    assert_eq!(
        upstream(exchange(&config, "empty").await),
        "GitHub answered HTTP 200 OK with neither access_token nor error"
    );
}

#[tokio::test]
async fn connection_reset_is_an_upstream_failure() {
    let (github, config) = setup(StandInConfig::new(ID, SECRET)).await;
    github.on_code("rst", Behavior::ResetConnection);
    let trace = upstream(exchange(&config, "rst").await);
    assert!(
        trace.starts_with("the exchange with GitHub at http://127.0.0.1:"),
        "{trace}"
    );
}

#[tokio::test]
async fn slow_github_times_out() {
    let (github, mut config) = setup(StandInConfig::new(ID, SECRET)).await;
    config.upstream_timeout = Duration::from_millis(300);
    github.on_code(
        "slow",
        Behavior::delayed(Duration::from_secs(5), Behavior::token("t")),
    );
    let started = std::time::Instant::now();
    let trace = upstream(exchange(&config, "slow").await);
    assert!(
        trace.starts_with("GitHub did not answer within 300ms (IAS_UPSTREAM_TIMEOUT)"),
        "{trace}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn connection_refused_is_an_upstream_failure() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let config = Config::for_github(&format!("http://{addr}"), ID, SECRET).unwrap();
    let trace = upstream(exchange(&config, "c").await);
    assert!(
        trace.starts_with(&format!(
            "cannot connect to GitHub at http://{addr}/login/oauth/access_token"
        )),
        "{trace}"
    );
}

#[tokio::test]
async fn upstream_text_echoing_a_credential_is_redacted() {
    let (github, config) = setup(StandInConfig::new(ID, SECRET)).await;
    let code = "the-code-123456";
    github.on_code(
        code,
        Behavior::Error(GitHubError::Other(format!("weird_{code}_{SECRET}"))),
    );
    let trace = upstream(exchange(&config, code).await);
    assert!(!trace.contains(code), "{trace}");
    assert!(trace.contains("weird_[redacted]_[redacted]"), "{trace}");
}
