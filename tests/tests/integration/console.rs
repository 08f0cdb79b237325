//! The development console's gateway (`ias_testing::console`), without a
//! browser: what it serves from a package folder, and that `/api/v1/*`
//! reaches the live server as sent. The browser tests
//! (`crates/ias-client/typescript/browser`) drive the same gateway in Chromium.

use base64::Engine as _;
use ias_testing::console::{GatewayListener, Site, API_PREFIX, MAX_FORWARDED_BODY};
use ias_testing::{Behavior, TestEnv};
use sha2::Digest as _;

const IMPORT_MAP: &str = r#"{"imports": {"openapi-fetch": "/vendor/openapi-fetch.mjs"}}"#;

/// A package folder as `npm run build` leaves it, with marked files.
fn package() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "console/index.html",
            format!("<!doctype html><script type=\"importmap\">{IMPORT_MAP}</script><p>page</p>"),
        ),
        ("console/console.css", "p { color: red }".to_string()),
        ("dist/console/app.js", "// app".to_string()),
        ("dist/src/index.js", "// client".to_string()),
        (
            "node_modules/openapi-fetch/dist/index.mjs",
            "// fetch".to_string(),
        ),
        ("package.json", "{}".to_string()),
    ];
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

async fn gateway(
    env: &TestEnv,
    package: &std::path::Path,
    api: String,
) -> ias_testing::console::Gateway {
    let listener = GatewayListener::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    listener.serve(Site {
        package: package.to_path_buf(),
        api,
        authorize_url: format!("{}{}", env.github.base_url(), ias_testing::AUTHORIZE_PATH),
        client_id: ias_testing::CLIENT_ID.to_string(),
    })
}

#[tokio::test]
async fn the_gateway_serves_the_built_console_and_nothing_else() {
    let env = TestEnv::start().await;
    let package = package();
    let gateway = gateway(&env, package.path(), env.server_url()).await;
    let url = gateway.url().trim_end_matches('/').to_string();
    let http = reqwest::Client::new();
    // (method, path, status, content type, body)
    let cases = [
        (
            "GET",
            "/console.css",
            200,
            "text/css",
            Some("p { color: red }"),
        ),
        (
            "GET",
            "/app/console/app.js",
            200,
            "text/javascript",
            Some("// app"),
        ),
        (
            "GET",
            "/app/src/index.js",
            200,
            "text/javascript",
            Some("// client"),
        ),
        (
            "GET",
            "/vendor/openapi-fetch.mjs",
            200,
            "text/javascript",
            Some("// fetch"),
        ),
        ("HEAD", "/app/console/app.js", 200, "text/javascript", None),
        (
            "GET",
            "/app/console/missing.js",
            404,
            "text/plain; charset=utf-8",
            None,
        ),
        (
            "GET",
            "/app/../package.json",
            404,
            "text/plain; charset=utf-8",
            None,
        ),
        (
            "GET",
            "/app/%2e%2e/package.json",
            404,
            "text/plain; charset=utf-8",
            None,
        ),
        (
            "GET",
            "/package.json",
            404,
            "text/plain; charset=utf-8",
            None,
        ),
        ("GET", "/api/v1", 404, "text/plain; charset=utf-8", None),
        (
            "GET",
            "/api/v10/oauth/token",
            404,
            "text/plain; charset=utf-8",
            None,
        ),
        (
            "POST",
            "/console.css",
            405,
            "text/plain; charset=utf-8",
            None,
        ),
    ];
    for (method, path, status, content_type, body) in cases {
        let answer = http
            .request(method.parse().unwrap(), format!("{url}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), status, "{method} {path}");
        let headers = answer.headers().clone();
        assert_eq!(headers["content-type"], content_type, "{method} {path}");
        assert_eq!(headers["cache-control"], "no-store", "{method} {path}");
        assert_eq!(
            headers["x-content-type-options"], "nosniff",
            "{method} {path}"
        );
        assert_eq!(headers["referrer-policy"], "no-referrer", "{method} {path}");
        if let Some(body) = body {
            assert_eq!(answer.text().await.unwrap(), body, "{method} {path}");
        }
    }

    // The page: its import map allowed by hash, nothing inline else.
    let page = http.get(format!("{url}/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let digest = base64::engine::general_purpose::STANDARD
        .encode(sha2::Sha256::digest(IMPORT_MAP.as_bytes()));
    assert_eq!(
        page.headers()["content-security-policy"],
        format!(
            "default-src 'none'; script-src 'self' 'sha256-{digest}'; style-src 'self'; connect-src 'self'; \
             img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
        .as_str()
    );
    assert!(page.text().await.unwrap().ends_with("<p>page</p>"));

    // The page's settings: the stand-in's authorize page, the app, and the
    // gateway's own origin as the redirect URI.
    let settings: serde_json::Value = http
        .get(format!("{url}/console.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        settings,
        serde_json::json!({
            "authorizeUrl": format!("{}{}", env.github.base_url(), ias_testing::AUTHORIZE_PATH),
            "clientId": ias_testing::CLIENT_ID,
            "redirectUri": gateway.url(),
        })
    );
    env.stop().await;
}

#[tokio::test]
async fn api_v1_reaches_the_server_as_sent() {
    let env = TestEnv::start().await;
    env.github.on_code("gw-1", Behavior::token("gho_gateway_1"));
    let package = package();
    let gateway = gateway(&env, package.path(), env.server_url()).await;
    let api = format!("{}{API_PREFIX}", gateway.url().trim_end_matches('/'));
    let http = reqwest::Client::new();

    let ok = http
        .post(format!("{api}/oauth/token"))
        .header("content-type", "application/json")
        .header("x-request-id", "gateway-test-1")
        .body(r#"{"provider":"github","code":"gw-1"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["content-type"], "application/json");
    assert_eq!(ok.headers()["cache-control"], "no-store");
    let token: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(token["accessToken"], "gho_gateway_1");

    // The server's own answers pass through: its error body, its method check.
    let bad = http
        .post(format!("{api}/oauth/token?x=1"))
        .header("content-type", "text/plain")
        .body("code")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let error: serde_json::Value = bad.json().await.unwrap();
    assert_eq!(
        (error["group"].as_str(), error["code"].as_i64()),
        (Some("request"), Some(0))
    );
    let get = http.get(format!("{api}/oauth/token")).send().await.unwrap();
    assert_eq!(get.status(), 405);

    // A body past the gateway's own limit is refused there.
    let big = http
        .post(format!("{api}/oauth/token"))
        .header("content-type", "application/json")
        .body(vec![b' '; MAX_FORWARDED_BODY + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(big.status(), 413);
    assert_eq!(
        big.text().await.unwrap(),
        format!("The gateway forwards bodies of at most {MAX_FORWARDED_BODY} bytes.\n")
    );
    env.stop().await;
}

#[tokio::test]
async fn a_server_that_is_down_is_a_502_saying_where() {
    let env = TestEnv::start().await;
    let package = package();
    let down = format!("http://{}", ias_testing::free_loopback_address());
    let gateway = gateway(&env, package.path(), down.clone()).await;
    let answer = reqwest::Client::new()
        .post(format!("{}api/v1/oauth/token", gateway.url()))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 502);
    let text = answer.text().await.unwrap();
    assert!(
        text.starts_with(&format!("The gateway cannot reach ias-server at {down}: ")),
        "{text}"
    );
    env.stop().await;
}

#[test]
fn a_package_without_its_build_says_what_to_run() {
    let package = package();
    let site = |dir: &std::path::Path| Site {
        package: dir.to_path_buf(),
        api: String::new(),
        authorize_url: String::new(),
        client_id: String::new(),
    };
    assert_eq!(site(package.path()).missing_build(), None);
    std::fs::remove_file(package.path().join("dist/console/app.js")).unwrap();
    let missing = site(package.path()).missing_build().unwrap();
    assert!(
        missing.contains("run `npm ci && npm run build` in"),
        "{missing}"
    );
    assert!(missing.contains("dist/console/app.js"), "{missing}");
}
