//! Every answer the contract documents, from the live server, through the
//! generated client where it can send the request and as raw HTTP where it
//! cannot; answers are always decoded with the generated types.
//!
//! | request / upstream | status | group/code |
//! |---|---|---|
//! | success | 200 | - |
//! | no body, empty body | 400 | request/1 |
//! | not JSON, not an object, wrong Content-Type, too large | 400 | request/0 |
//! | field missing/null/""/wrong type, several | 400 | request/0 + validationDetail |
//! | unsupported provider | 400 | oauth/0 |
//! | bad_verification_code, unverified_user_email | 400 | oauth/2 |
//! | any other GitHub failure | 500 | oauth/1200 |

use std::time::Duration;

use ias_client::types::{
    ErrStatusMsg, ExchangeAuthorizationCodeRequest, ExchangeAuthorizationCodeRequestProvider,
    ValidationDetail,
};
use ias_client::{Error, Secret};
use ias_testing::{Behavior, GitHubError, TestEnv, TestEnvOptions, CLIENT_SECRET};
use serde_json::json;

fn request(code: &str) -> ExchangeAuthorizationCodeRequest {
    ExchangeAuthorizationCodeRequest {
        provider: ExchangeAuthorizationCodeRequestProvider::Github,
        code: Secret::new(code),
        code_verifier: None,
    }
}

/// Exchanges through the generated client, expecting a documented error.
async fn client_error(env: &TestEnv, code: &str) -> (u16, ErrStatusMsg) {
    match env.client.exchange_authorization_code(&request(code)).await {
        Err(Error::ErrorResponse(response)) => (response.status().as_u16(), response.into_inner()),
        Ok(_) => panic!("expected an error, got a token"),
        Err(other) => panic!("expected a documented error, got {other}"),
    }
}

fn detail(
    field: &str,
    expression: &str,
    argument: Option<&str>,
    original: serde_json::Value,
    reason: &str,
) -> ValidationDetail {
    ValidationDetail {
        field: Some(field.into()),
        expression: Some(expression.into()),
        argument: argument.map(str::to_string),
        original_value: Some(original),
        reason: Some(reason.into()),
    }
}

fn required(field: &str) -> ValidationDetail {
    detail(
        field,
        "required",
        None,
        json!(""),
        "This field is required.",
    )
}

fn assert_error(status: u16, e: &ErrStatusMsg, want_status: u16, group: &str, code: i64) {
    assert_eq!(
        (status, e.group.as_str(), e.code),
        (want_status, group, code),
        "{e:?}"
    );
    // The client's catalogue knows the answer, under the status it was sent with.
    let documented = ias_client::ErrorCode::try_from(e).expect("a documented error");
    assert_eq!(documented.status(), status, "{documented:?}");
}

#[tokio::test]
async fn success_returns_githubs_access_token() {
    let env = TestEnv::start().await;
    env.github
        .on_code("code-ok", Behavior::token("gho_success_token"));
    let response = env
        .client
        .exchange_authorization_code(&request("code-ok"))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.into_inner().access_token.expose_secret(),
        "gho_success_token"
    );

    // A second request goes out on the server's pooled connection to GitHub.
    env.github
        .on_code("code-ok-2", Behavior::token("gho_second"));
    env.client
        .exchange_authorization_code(&request("code-ok-2"))
        .await
        .unwrap();
    assert_eq!(
        env.github.connections(),
        1,
        "the server shares one pooled client"
    );
    env.stop().await;
}

#[tokio::test]
async fn missing_or_empty_body_is_request_1() {
    let env = TestEnv::start().await;
    for (body, content_type) in [
        ("", Some("application/json")),
        ("", None),
        ("", Some("text/plain")),
        ("  \n\t", Some("application/json")),
    ] {
        let r = env.post_raw(body, content_type).await;
        assert_eq!(r.content_type.as_deref(), Some("application/json"), "{r:?}");
        let e = r.error();
        assert_error(r.status, &e, 400, "request", 1);
        assert_eq!(e.message.as_deref(), Some("The request body is required."));
        assert!(e.validation_detail.is_empty());
    }
}

#[tokio::test]
async fn body_that_is_not_a_json_object_is_request_0() {
    let env = TestEnv::start().await;
    let cases = [
        (
            "{\"provider\": \"github\",",
            "The request body is not valid JSON: EOF while parsing a value at line 1 column 22.",
        ),
        (
            "provider=github&code=x",
            "The request body is not valid JSON: expected value at line 1 column 1.",
        ),
        (
            "[\"github\", \"x\"]",
            "The request body must be a JSON object, not array.",
        ),
        ("null", "The request body must be a JSON object, not null."),
        (
            "\"code\"",
            "The request body must be a JSON object, not string.",
        ),
    ];
    for (body, message) in cases {
        let r = env.post_raw(body, Some("application/json")).await;
        let e = r.error();
        assert_error(r.status, &e, 400, "request", 0);
        assert_eq!(e.message.as_deref(), Some(message), "body {body:?}");
    }
}

#[tokio::test]
async fn wrong_content_type_is_request_0() {
    let env = TestEnv::start().await;
    let r = env
        .post_raw(r#"{"provider":"github","code":"x"}"#, Some("text/plain"))
        .await;
    let e = r.error();
    assert_error(r.status, &e, 400, "request", 0);
    assert_eq!(
        e.message.as_deref(),
        Some(
            "The request body must be sent as Content-Type: application/json, not \"text/plain\"."
        )
    );
    // A huge header is quoted clipped: the answer stays small.
    let huge = "\"".repeat(16_000);
    let r = env
        .post_raw(r#"{"provider":"github","code":"x"}"#, Some(&huge))
        .await;
    assert!(r.body.len() <= 2048, "{} bytes", r.body.len());
    let e = r.error();
    assert_error(r.status, &e, 400, "request", 0);
    let message = e.message.unwrap();
    assert!(message.ends_with("… (16000 bytes)."), "{message}");
}

/// A request body of exactly `len` bytes: a code the stand-in does not know,
/// padded.
fn body_of_len(len: usize) -> String {
    let empty = json!({"provider": "github", "code": ""}).to_string();
    json!({"provider": "github", "code": "x".repeat(len - empty.len())}).to_string()
}

#[tokio::test]
async fn body_over_the_limit_is_request_0_naming_the_limit() {
    let env = TestEnv::start().await;
    let limit = ias_api::REQUEST_BODY_MAX_BYTES;
    // At the limit: read, and judged (an unknown code is oauth/2).
    let at = body_of_len(limit);
    assert_eq!(at.len(), limit);
    let r = env.post_raw(at, Some("application/json")).await;
    assert_error(r.status, &r.error(), 400, "oauth", 2);
    // One byte over, and far over: refused for its size.
    for len in [limit + 1, 2 * limit] {
        let over = body_of_len(len);
        assert_eq!(over.len(), len);
        let r = env.post_raw(over, Some("application/json")).await;
        let e = r.error();
        assert_error(r.status, &e, 400, "request", 0);
        assert_eq!(
            e.message.as_deref(),
            Some("request body exceeded maximum size of 8192 bytes"),
            "{len} bytes"
        );
    }
}

/// A body sent in chunks announces no length: the limit holds on the bytes
/// as they arrive, at the same boundary.
#[tokio::test]
async fn chunked_body_is_held_to_the_same_limit() {
    let env = TestEnv::start().await;
    let limit = ias_api::REQUEST_BODY_MAX_BYTES;
    // (chunk sizes, refused for its size)
    let cases: [(&[usize], bool); 4] = [
        (&[limit / 2, limit / 2], false),
        (&[limit], false),
        (&[limit / 2, limit / 2 + 1], true),
        (&[limit + 1], true),
    ];
    for (sizes, refused) in cases {
        let mut bytes = body_of_len(sizes.iter().sum()).into_bytes().into_iter();
        let chunks = sizes
            .iter()
            .map(|&n| bytes.by_ref().take(n).collect())
            .collect();
        let r = env.post_chunked(chunks).await;
        let e = r.error();
        if refused {
            assert_error(r.status, &e, 400, "request", 0);
            assert_eq!(
                e.message.as_deref(),
                Some("request body exceeded maximum size of 8192 bytes"),
                "chunks {sizes:?}"
            );
        } else {
            // Read, and judged (an unknown code is oauth/2).
            assert_error(r.status, &e, 400, "oauth", 2);
        }
    }
}

#[tokio::test]
async fn empty_code_through_the_client_is_the_spec_example() {
    let env = TestEnv::start().await;
    let (status, e) = client_error(&env, "").await;
    assert_error(status, &e, 400, "request", 0);
    assert_eq!(e.validation_detail, vec![required("code")]);
    assert!(
        env.github.received().is_empty(),
        "an invalid request must not reach GitHub"
    );
}

#[tokio::test]
async fn missing_null_and_empty_fields_are_required() {
    let env = TestEnv::start().await;
    let cases = [
        (json!({"provider": "github"}), "code"),
        (json!({"provider": "github", "code": null}), "code"),
        (json!({"provider": "github", "code": ""}), "code"),
        (json!({"code": "abc"}), "provider"),
        (json!({"provider": null, "code": "abc"}), "provider"),
        (json!({"provider": "", "code": "abc"}), "provider"),
    ];
    for (body, field) in cases {
        let r = env
            .post_raw(body.to_string(), Some("application/json"))
            .await;
        let e = r.error();
        assert_error(r.status, &e, 400, "request", 0);
        assert_eq!(e.validation_detail, vec![required(field)], "body {body}");
    }
}

#[tokio::test]
async fn wrong_types_and_several_problems_get_one_detail_each() {
    let env = TestEnv::start().await;
    // `code` and `codeVerifier` are secrets (x-ias-secret): whatever type
    // they are sent as, their value is never echoed.
    let secret_sent_as = [
        ("code", json!(4242424242u64), "number"),
        ("code", json!(true), "boolean"),
        ("codeVerifier", json!(12345), "number"),
    ];
    for (field, value, type_name) in secret_sent_as {
        let mut body = json!({"provider": "github", "code": "a-code"});
        body[field] = value.clone();
        let r = env.post_raw(body.to_string(), None).await;
        assert!(
            !r.body.contains(&value.to_string()),
            "{field} echoed: {}",
            r.body
        );
        let e = r.error();
        assert_error(r.status, &e, 400, "request", 0);
        let mut expected = detail(
            field,
            "type",
            Some("string"),
            json!(null),
            &format!("This field must be a string, not {type_name}."),
        );
        expected.original_value = None;
        assert_eq!(e.validation_detail, vec![expected]);
    }

    let r = env
        .post_raw(
            json!({"provider": ["github"]}).to_string(),
            Some("application/json"),
        )
        .await;
    let e = r.error();
    assert_error(r.status, &e, 400, "request", 0);
    assert_eq!(
        e.validation_detail,
        vec![
            detail(
                "provider",
                "type",
                Some("string"),
                json!(["github"]),
                "This field must be a string, not array."
            ),
            required("code"),
        ]
    );
}

#[tokio::test]
async fn unsupported_provider_is_oauth_0() {
    let env = TestEnv::start().await;
    let r = env
        .post_raw(
            json!({"provider": "gitlab", "code": "abc"}).to_string(),
            Some("application/json"),
        )
        .await;
    let e = r.error();
    assert_error(r.status, &e, 400, "oauth", 0);
    assert_eq!(e.message.as_deref(), Some("Unsupported OAuth provider."));
    assert!(env.github.received().is_empty());
}

#[tokio::test]
async fn bad_verification_code_is_oauth_2() {
    let env = TestEnv::start().await;
    env.github.on_code("used", Behavior::token("t"));
    assert!(env
        .client
        .exchange_authorization_code(&request("used"))
        .await
        .is_ok());
    for code in ["used", "never-issued"] {
        let (status, e) = client_error(&env, code).await;
        assert_error(status, &e, 400, "oauth", 2);
        assert_eq!(e.message.as_deref(), Some("Invalid authorization code."));
    }
}

#[tokio::test]
async fn unverified_user_email_is_oauth_2_with_a_trace() {
    let env = TestEnv::start().await;
    env.github.on_code(
        "unverified",
        Behavior::Error(GitHubError::UnverifiedUserEmail),
    );
    let (status, e) = client_error(&env, "unverified").await;
    assert_error(status, &e, 400, "oauth", 2);
    assert!(
        e.traces[0].starts_with("GitHub: unverified_user_email"),
        "{e:?}"
    );
}

/// Every other upstream failure is 500 oauth/1200 with a trace that says what
/// happened in fixed words: no credential, host, URL, port or OS error text.
async fn assert_exchange_failed(env: &TestEnv, code: &str, trace: &str) {
    let (status, e) = client_error(env, code).await;
    assert_error(status, &e, 500, "oauth", 1200);
    assert_eq!(
        e.message.as_deref(),
        Some("Exchange authorization code encountered error.")
    );
    assert_eq!(e.traces.len(), 1, "{e:?}");
    assert_eq!(e.traces[0], trace);
    let body = serde_json::to_string(&e).unwrap();
    assert!(
        !body.contains(CLIENT_SECRET) && !body.contains(code),
        "credential in {body}"
    );
    for internal in ["127.0.0.1", "http:", "os error"] {
        assert!(!body.contains(internal), "{internal:?} in {body}");
    }
}

#[tokio::test]
async fn github_failures_are_oauth_1200() {
    let options = TestEnvOptions {
        upstream_timeout: Duration::from_millis(500),
        ..Default::default()
    };
    let env = TestEnv::start_with(options).await.unwrap();
    let cases = [
        (
            "code-suspended",
            Behavior::Error(GitHubError::Other("application_suspended".into())),
            "GitHub refused the exchange: application_suspended",
        ),
        (
            "code-redirect",
            Behavior::Error(GitHubError::RedirectUriMismatch),
            "GitHub refused the exchange: redirect_uri_mismatch",
        ),
        (
            "code-http-503",
            Behavior::Status(503),
            "GitHub answered HTTP 503",
        ),
        (
            "code-malformed",
            Behavior::MalformedBody,
            "GitHub's answer was not the expected JSON",
        ),
        (
            "code-empty-json",
            Behavior::EmptyJson,
            "GitHub's answer had neither access_token nor error",
        ),
        (
            "code-reset",
            Behavior::ResetConnection,
            "the exchange with GitHub failed before an answer",
        ),
        (
            "code-slow",
            Behavior::delayed(Duration::from_secs(3), Behavior::token("late")),
            "GitHub did not answer within 500ms (IAS_UPSTREAM_TIMEOUT)",
        ),
    ];
    for (code, behavior, _) in &cases {
        env.github.on_code(*code, behavior.clone());
    }
    for (code, _, trace) in cases {
        assert_exchange_failed(&env, code, trace).await;
    }
}

#[tokio::test]
async fn wrong_client_credentials_are_oauth_1200() {
    let options = TestEnvOptions {
        server_client_secret: "not-the-apps-secret-123".into(),
        ..Default::default()
    };
    let env = TestEnv::start_with(options).await.unwrap();
    env.github.on_code("code-creds", Behavior::token("t"));
    assert_exchange_failed(
        &env,
        "code-creds",
        "GitHub refused the exchange: incorrect_client_credentials",
    )
    .await;
}

#[tokio::test]
async fn unreachable_github_is_oauth_1200() {
    let addr = ias_testing::free_loopback_address();
    let options = TestEnvOptions {
        github_base_url: Some(format!("http://{addr}")),
        ..Default::default()
    };
    let env = TestEnv::start_with(options).await.unwrap();
    assert_exchange_failed(&env, "code-refused", "the connection to GitHub failed").await;
    // The full cause is the operator's, in the log, with the request id.
    let lines = env.log_lines("exchange with GitHub failed");
    let [line] = lines.as_slice() else {
        panic!("one upstream detail line: {:#?}", env.logs());
    };
    let detail = line["detail"].as_str().unwrap_or_default();
    assert!(
        detail.starts_with(&format!(
            "cannot connect to GitHub at http://{addr}/login/oauth/access_token: "
        )),
        "{line}"
    );
    assert_eq!(line["level"], 40, "a warning: {line}");
    assert!(
        line["req_id"].as_str().is_some_and(|id| !id.is_empty()),
        "{line}"
    );
}

#[tokio::test]
async fn logs_have_one_line_per_request_and_no_credentials() {
    let env = TestEnv::start().await;
    let (code, token) = ("code-7f3a9b2c1d", "gho_tokenvalue_5e6f");
    env.github.on_code(code, Behavior::token(token));
    env.client
        .exchange_authorization_code(&request(code))
        .await
        .unwrap();
    client_error(&env, code).await; // used: oauth/2
    env.post_raw(
        json!({"provider": "github", "code": [code]}).to_string(),
        None,
    )
    .await;

    // What the real pipeline wrote at `info`: the start-up lines, then one
    // line per request (no per-connection lines).
    let logs = env.logs();
    let messages: Vec<&str> = logs.iter().map(|l| l["msg"].as_str().unwrap()).collect();
    assert_eq!(
        messages,
        [
            "file descriptor budget",
            "listening",
            "admin listener: /livez, /readyz, /metrics",
            "request completed",
            "request completed",
            "request completed"
        ],
        "{logs:#?}"
    );
    let completed = env.log_lines("request completed");
    for line in &completed {
        for key in ["req_id", "response_code", "latency_us", "uri", "method"] {
            assert!(!line[key].is_null(), "{key} missing in {line}");
        }
        assert_eq!(line["uri"], "/oauth/token");
    }
    assert_eq!(completed[0]["response_code"], 200);
    assert_eq!(
        completed[1]["error_message_internal"],
        "400 oauth/2: Invalid authorization code.; GitHub: bad_verification_code: \
         the code is incorrect, expired or already used"
    );
    assert_eq!(
        completed[2]["error_message_internal"],
        "400 request/0: Invalid field in the request. [code: type=string]"
    );
    let listening = &env.log_lines("listening")[0];
    assert!(
        listening["local_addr"]
            .as_str()
            .is_some_and(|a| a.starts_with("127.0.0.1:")),
        "{listening}"
    );
    for line in &logs {
        let text = line.to_string();
        for secret in [code, token, CLIENT_SECRET] {
            assert!(!text.contains(secret), "log line leaks {secret:?}: {text}");
        }
    }
}

/// A code sent in the query string (a console bug) is not logged: the
/// harness logs through the server's own pipeline, which drops the query.
#[tokio::test]
async fn a_query_string_is_not_logged() {
    let env = TestEnv::start().await;
    let status = reqwest::Client::new()
        .post(format!(
            "{}/oauth/token?code=code-in-query-5d2e",
            env.server_url()
        ))
        .json(&json!({"provider": "github"}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 400);
    let completed = env.log_lines("request completed");
    assert_eq!(completed.len(), 1, "{:#?}", env.logs());
    assert_eq!(completed[0]["uri"], "/oauth/token");
    for line in env.logs() {
        assert!(!line.to_string().contains("code-in-query-5d2e"), "{line}");
    }
}

/// RFC 6749 §5.1: a response carrying a token must not be cached; no answer of
/// `/oauth/token` is (`Cache-Control: no-store`, `Pragma: no-cache`).
#[tokio::test]
async fn no_answer_is_cacheable() {
    let env = TestEnv::start().await;
    env.github
        .on_code("code-cache", Behavior::token("gho_cache_token"));
    env.github.on_code("code-down", Behavior::Status(503));
    let http = reqwest::Client::new();
    let url = format!("{}/oauth/token", env.server_url());
    for (body, status) in [
        (json!({"provider": "github", "code": "code-cache"}), 200),
        (json!({"provider": "github", "code": "code-unknown"}), 400),
        (json!({"provider": "github"}), 400),
        (json!({"provider": "github", "code": "code-down"}), 500),
    ] {
        let response = http.post(&url).json(&body).send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{body}");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        assert_eq!(
            header("cache-control").as_deref(),
            Some("no-store"),
            "{body}"
        );
        assert_eq!(header("pragma").as_deref(), Some("no-cache"), "{body}");
    }
    env.stop().await;
}

/// A client that goes away while its code is being exchanged: the exchange
/// still finishes (GitHub may already have used the code) and is logged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exchange_finishes_and_is_logged_when_the_client_goes_away() {
    let env = TestEnv::start_with(TestEnvOptions {
        upstream_timeout: Duration::from_secs(10),
        ..Default::default()
    })
    .await
    .unwrap();
    env.github.on_code(
        "code-abandoned",
        Behavior::delayed(
            Duration::from_millis(2000),
            Behavior::token("gho_abandoned"),
        ),
    );
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let gave_up = impatient
        .post(format!("{}/oauth/token", env.server_url()))
        .json(&json!({"provider": "github", "code": "code-abandoned"}))
        .send()
        .await
        .expect_err("the client gives up first");
    assert!(gave_up.is_timeout(), "{gave_up}");

    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let line = loop {
        if let Some(line) = env
            .log_lines("exchange finished after the client went away")
            .pop()
        {
            break line;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no line about the finished exchange: {:#?}",
            env.logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(line["outcome"], "ok", "{line}");
    let text = line.to_string();
    assert!(
        !text.contains("gho_abandoned") && !text.contains("code-abandoned"),
        "{text}"
    );
    assert_eq!(
        env.log_lines("request handling cancelled (client disconnected)")
            .len(),
        1,
        "{:#?}",
        env.logs()
    );
    // The request no longer counts as active, and the exchange was counted.
    let metrics = reqwest::get(format!("{}/metrics", env.admin_url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for sample in [
        "http_server_active_requests 0",
        "ias_github_exchange_duration_seconds_count{outcome=\"token\"} 1",
    ] {
        assert!(
            metrics.lines().any(|l| l == sample),
            "{sample} in\n{metrics}"
        );
    }
    let received = env.github.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].body_params["code"], "code-abandoned");
    env.stop().await;
}
