//! The browser half of GitHub's web flow, as the console runs it against the
//! stand-in's consent page (`github_standin::AUTHORIZE_PATH`), without a
//! browser: the authorize page, the person's decision, the redirect back with
//! `code` and `state` (or `error=access_denied`), then the exchange through
//! the live server with the PKCE verifier.

use ias_client::types::{
    ExchangeAuthorizationCodeRequest, ExchangeAuthorizationCodeRequestProvider,
};
use ias_client::{Error, ErrorCode, Secret};
use ias_testing::{s256_challenge, Behavior, TestEnv};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const REDIRECT: &str = "http://console.test/callback";

/// A client that shows redirects instead of following them, as a test of
/// where the browser would be sent.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Opens the consent page with `query` and answers it with `decision`:
/// the page's status and text, and where the browser is sent.
async fn consent(
    env: &TestEnv,
    query: &[(&str, &str)],
    decision: &str,
) -> (u16, String, Option<String>) {
    let http = browser();
    let base = env.github.base_url();
    let page = http
        .get(format!("{base}{}", github_standin::AUTHORIZE_PATH))
        .query(query)
        .send()
        .await
        .unwrap();
    let status = page.status().as_u16();
    let text = page.text().await.unwrap();
    if status != 200 {
        return (status, text, None);
    }
    let id = text
        .split("name=\"authorization\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page carries its authorization")
        .to_string();
    let answer = http
        .post(format!("{base}{}", github_standin::AUTHORIZE_PATH))
        .form(&[("authorization", id.as_str()), ("decision", decision)])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 302, "the decision redirects");
    let location = answer.headers()["location"].to_str().unwrap().to_string();
    (status, text, Some(location))
}

fn query_of(location: &str) -> Vec<(String, String)> {
    let url = reqwest::Url::parse(location).unwrap();
    url.query_pairs().into_owned().collect()
}

#[tokio::test]
async fn approve_redirects_with_a_code_that_exchanges_only_with_its_verifier() {
    let env = TestEnv::start().await;
    let client_id = env.github.config().client_id;
    let challenge = s256_challenge(VERIFIER);
    let query = [
        ("client_id", client_id.as_str()),
        ("redirect_uri", REDIRECT),
        ("state", "st<ate>&1"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let (_, page, location) = consent(&env, &query, "approve").await;
    // The page names the app and escapes what it echoes.
    assert!(page.contains(&format!("Authorize {client_id}")), "{page}");
    assert!(page.contains("id=\"approve\"") && page.contains("id=\"deny\""));
    let location = location.unwrap();
    assert!(location.starts_with(&format!("{REDIRECT}?")), "{location}");
    let sent = query_of(&location);
    let code = sent.iter().find(|(k, _)| k == "code").unwrap().1.clone();
    assert!(
        sent.contains(&("state".into(), "st<ate>&1".into())),
        "{sent:?}"
    );
    // Without the verifier the code is refused; the stand-in's codes are
    // single-use, so a second flow gives the code for the right verifier.
    let exchange = |code: &str, verifier: Option<&str>| ExchangeAuthorizationCodeRequest {
        provider: ExchangeAuthorizationCodeRequestProvider::Github,
        code: Secret::new(code),
        code_verifier: verifier.map(Secret::new),
    };
    match env
        .client
        .exchange_authorization_code(&exchange(&code, None))
        .await
    {
        Err(Error::ErrorResponse(r)) => assert_eq!(
            ErrorCode::try_from(&r.into_inner()),
            Ok(ErrorCode::InvalidAuthorizationCode)
        ),
        other => panic!("without its verifier: {other:?}"),
    }
    env.github.on_authorize(Behavior::token("gho_web_flow"));
    let (_, _, location) = consent(&env, &query, "approve").await;
    let code = query_of(&location.unwrap())
        .into_iter()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1;
    let token = env
        .client
        .exchange_authorization_code(&exchange(&code, Some(VERIFIER)))
        .await
        .expect("the verifier's code gets the token")
        .into_inner()
        .access_token;
    assert_eq!(token.expose_secret(), "gho_web_flow");
}

#[tokio::test]
async fn deny_redirects_with_access_denied_and_the_state() {
    let env = TestEnv::start().await;
    let client_id = env.github.config().client_id;
    let query = [
        ("client_id", client_id.as_str()),
        ("redirect_uri", REDIRECT),
        ("state", "s-2"),
    ];
    let (_, _, location) = consent(&env, &query, "deny").await;
    let sent = query_of(&location.unwrap());
    assert!(
        sent.contains(&("error".into(), "access_denied".into())),
        "{sent:?}"
    );
    assert!(sent.contains(&("state".into(), "s-2".into())), "{sent:?}");
    assert!(!sent.iter().any(|(k, _)| k == "code"), "{sent:?}");
}

/// What GitHub answers with a page instead of a redirect: each says what is
/// wrong.
#[tokio::test]
async fn a_bad_authorization_request_gets_a_page_saying_why() {
    let env = TestEnv::start().await;
    let client_id = env.github.config().client_id;
    let cases: [(&[(&str, &str)], &str); 3] = [
        (
            &[("client_id", "someone-else"), ("redirect_uri", REDIRECT)],
            "The client_id is not this OAuth app",
        ),
        (
            &[("client_id", client_id.as_str())],
            "A redirect_uri is required",
        ),
        (
            &[
                ("client_id", client_id.as_str()),
                ("redirect_uri", REDIRECT),
                ("code_challenge", "x"),
                ("code_challenge_method", "plain"),
            ],
            "code_challenge_method must be S256",
        ),
    ];
    for (query, problem) in cases {
        let (status, page, _) = consent(&env, query, "approve").await;
        assert_eq!(status, 400, "{query:?}");
        assert!(page.contains(problem), "{query:?}: {page}");
    }
    // A decision for an authorization the page never showed.
    let answer = browser()
        .post(format!(
            "{}{}",
            env.github.base_url(),
            github_standin::AUTHORIZE_PATH
        ))
        .form(&[("authorization", "auth-999"), ("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    assert!(answer
        .text()
        .await
        .unwrap()
        .contains("unknown or was already decided"));
}
