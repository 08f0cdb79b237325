//! PKCE (RFC 7636) through the live server: the console sends `codeVerifier`
//! with the code; the server sends it to GitHub as `code_verifier` in the form
//! body; GitHub (the stand-in) gives the token only for the verifier whose S256
//! challenge the code was issued for. The verifier is a secret: never in a log
//! line or an error body.

use ias_client::types::{
    ExchangeAuthorizationCodeRequest, ExchangeAuthorizationCodeRequestProvider,
};
use ias_client::{Error, ErrorCode, Secret};
use ias_testing::{s256_challenge, Behavior, TestEnv, TOKEN_PATH};
use serde_json::json;

/// RFC 7636 Appendix B's verifier.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn request(code: &str, verifier: Option<&str>) -> ExchangeAuthorizationCodeRequest {
    ExchangeAuthorizationCodeRequest {
        provider: ExchangeAuthorizationCodeRequestProvider::Github,
        code: Secret::new(code),
        code_verifier: verifier.map(Secret::new),
    }
}

#[tokio::test]
async fn the_matching_verifier_gets_the_token_and_reaches_github_in_the_body() {
    let env = TestEnv::start().await;
    env.github.on_code_with_challenge(
        "pkce-1",
        s256_challenge(VERIFIER),
        Behavior::token("gho_pkce_1"),
    );
    let token = env
        .client
        .exchange_authorization_code(&request("pkce-1", Some(VERIFIER)))
        .await
        .expect("the matching verifier gets the token")
        .into_inner()
        .access_token;
    assert_eq!(token.expose_secret(), "gho_pkce_1");
    let received = env.github.received();
    let exchange = received.iter().find(|r| r.path == TOKEN_PATH).unwrap();
    assert_eq!(
        exchange
            .body_params
            .get("code_verifier")
            .map(String::as_str),
        Some(VERIFIER)
    );
    assert!(
        exchange
            .query
            .as_deref()
            .is_none_or(|q| !q.contains("code_verifier")),
        "{:?}",
        exchange.query
    );
    for line in env.logs().iter().map(ToString::to_string) {
        assert!(
            !line.contains(VERIFIER),
            "log line leaks the verifier: {line}"
        );
    }
}

#[tokio::test]
async fn a_wrong_or_missing_verifier_is_oauth_2() {
    let env = TestEnv::start().await;
    let other = "x".repeat(43);
    for (code, verifier) in [("pkce-wrong", Some(other.as_str())), ("pkce-missing", None)] {
        env.github.on_code_with_challenge(
            code,
            s256_challenge(VERIFIER),
            Behavior::token("gho_never"),
        );
        match env
            .client
            .exchange_authorization_code(&request(code, verifier))
            .await
        {
            Err(Error::ErrorResponse(r)) => {
                assert_eq!(r.status().as_u16(), 400);
                assert_eq!(
                    ErrorCode::try_from(&r.into_inner()),
                    Ok(ErrorCode::InvalidAuthorizationCode)
                );
            }
            other => panic!("{code}: expected 400 oauth/2, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_2_4_request_without_a_verifier_still_works() {
    let env = TestEnv::start().await;
    env.github.on_code("plain", Behavior::token("gho_plain"));
    let r = env
        .post_raw(
            json!({"provider": "github", "code": "plain"}).to_string(),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let sent = env.github.received();
    assert!(!sent[0].body_params.contains_key("code_verifier"));
}

/// Each malformed verifier: (value, expression, argument). None is echoed.
#[tokio::test]
async fn a_malformed_verifier_is_request_0_naming_code_verifier() {
    let env = TestEnv::start().await;
    let too_long = "a".repeat(129);
    let cases = [
        (
            json!("a".repeat(42)),
            "min",
            "43",
            "This field must be at least 43 characters long.",
        ),
        (
            json!(too_long),
            "max",
            "128",
            "This field must be at most 128 characters long.",
        ),
        (
            json!(format!("{}+/", "a".repeat(41))),
            "pattern",
            "^[A-Za-z0-9._~-]+$",
            "This field must match the pattern ^[A-Za-z0-9._~-]+$.",
        ),
        (
            json!(12345),
            "type",
            "string",
            "This field must be a string, not number.",
        ),
    ];
    for (value, expression, argument, reason) in cases {
        let body = json!({"provider": "github", "code": "c", "codeVerifier": value});
        let r = env.post_raw(body.to_string(), None).await;
        assert_eq!(r.status, 400, "{value}: {}", r.body);
        let e = r.error();
        assert_eq!(
            ErrorCode::try_from(&e),
            Ok(ErrorCode::InvalidFieldInTheRequest)
        );
        let [d] = e.validation_detail.as_slice() else {
            panic!("{value}: one detail expected: {:?}", e.validation_detail)
        };
        assert_eq!(d.field.as_deref(), Some("codeVerifier"), "{value}");
        assert_eq!(d.expression.as_deref(), Some(expression), "{value}");
        assert_eq!(d.argument.as_deref(), Some(argument), "{value}");
        assert_eq!(d.reason.as_deref(), Some(reason), "{value}");
        // a string verifier is a secret: never echoed
        let echoed = d.original_value.clone();
        if value.is_string() {
            assert_eq!(echoed, None, "{value}");
            assert!(!r.body.contains(value.as_str().unwrap()), "{}", r.body);
        }
    }
    assert!(
        env.github.received().is_empty(),
        "no malformed request reaches GitHub"
    );
}
