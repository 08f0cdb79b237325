//! `cargo xtask serve`: ias-server against a local GitHub stand-in, for trying
//! the API without GitHub credentials. Never use it in production: the
//! production binary is `ias-server`, which only talks to the configured GitHub.
//!
//! It also serves the development console behind a gateway
//! ([`ias_testing::console`]): the page on `IAS_CONSOLE_ADDRESS` (default
//! `127.0.0.1:8081`), the API under `/api/v1` on the same origin, and the
//! stand-in's consent page for "Sign in with GitHub". The console's origin
//! is the OAuth app's registered redirect URI, on both sides.

use std::path::PathBuf;
use std::time::Duration;

use ias_testing::console::{GatewayListener, Site};
use ias_testing::{Behavior, GitHubError, StandInConfig, TestEnv, TestEnvOptions};

/// Where the console's TypeScript package is, unless `IAS_CONSOLE_DIR` says.
const CONSOLE_PACKAGE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../crates/ias-client/typescript"
);

fn address(setting: &str, default: &str) -> anyhow::Result<std::net::SocketAddr> {
    let value = std::env::var(setting).unwrap_or_else(|_| default.to_string());
    value
        .parse()
        .map_err(|_| anyhow::anyhow!("{setting} = {value:?} is not HOST:PORT (such as {default})"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let bind_address = address("IAS_BIND_ADDRESS", "127.0.0.1:8080")?;
    let console_address = address("IAS_CONSOLE_ADDRESS", "127.0.0.1:8081")?;
    let gateway = GatewayListener::bind(console_address).await.map_err(|e| {
        anyhow::anyhow!("cannot serve the console on {console_address}: {e}; set IAS_CONSOLE_ADDRESS to another HOST:PORT")
    })?;
    let console_url = gateway.url();
    let options = TestEnvOptions {
        github_app: StandInConfig::new(ias_testing::CLIENT_ID, ias_testing::CLIENT_SECRET)
            .with_redirect_uri(console_url.clone()),
        redirect_uri: Some(console_url.clone()),
        bind_address: Some(bind_address),
        log_to_stderr: true,
        upstream_timeout: Duration::from_secs(10),
        ..Default::default()
    };
    // Registered before binding, so a signal during start-up stops cleanly.
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let env = TestEnv::start_with(options)
        .await
        .map_err(|e| anyhow::anyhow!("cannot start the development server on {bind_address}: {e:#}; set IAS_BIND_ADDRESS to another HOST:PORT"))?;
    let codes = [
        (
            "dev-ok",
            Behavior::ReusableToken("gho_dev_token_not_real".into()),
            "200 with an access token",
        ),
        (
            "dev-bad",
            Behavior::Error(GitHubError::BadVerificationCode),
            "400 oauth/2",
        ),
        (
            "dev-unverified",
            Behavior::Error(GitHubError::UnverifiedUserEmail),
            "400 oauth/2",
        ),
        ("dev-down", Behavior::Status(503), "500 oauth/1200"),
        (
            "dev-slow",
            Behavior::delayed(
                Duration::from_secs(3),
                Behavior::ReusableToken("gho_dev_slow".into()),
            ),
            "200 after 3 s",
        ),
    ];
    for (code, behavior, _) in &codes {
        env.github.on_code(*code, behavior.clone());
    }
    // PKCE: a code issued for the challenge of RFC 7636's example verifier.
    const PKCE_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    env.github.on_code_with_challenge(
        "dev-pkce",
        ias_testing::s256_challenge(PKCE_VERIFIER),
        Behavior::ReusableToken("gho_dev_pkce_not_real".into()),
    );
    let url = env.server_url();
    let site = Site {
        package: std::env::var_os("IAS_CONSOLE_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(CONSOLE_PACKAGE)),
        api: url.clone(),
        authorize_url: format!("{}{}", env.github.base_url(), ias_testing::AUTHORIZE_PATH),
        client_id: ias_testing::CLIENT_ID.to_string(),
    };
    if let Some(missing) = site.missing_build() {
        eprintln!("warning: {missing}");
    }
    let _gateway = gateway.serve(site);
    println!(
        "ias-server (development) on {url}, with a GitHub stand-in on {}",
        env.github.base_url()
    );
    println!("console (development) on {console_url}: \"Sign in with GitHub\" through the stand-in's consent page, the API under {console_url}api/v1");
    println!("Try:\n  curl -s {url}/oauth/token -H 'Content-Type: application/json' -d '{{\"provider\":\"github\",\"code\":\"dev-ok\"}}'");
    println!("PKCE (the console started the flow with code_challenge=S256(verifier)):\n  curl -s {url}/oauth/token -H 'Content-Type: application/json' -d '{{\"provider\":\"github\",\"code\":\"dev-pkce\",\"codeVerifier\":\"{PKCE_VERIFIER}\"}}'");
    println!("Codes the stand-in knows (any other code answers 400 oauth/2):");
    for (code, _, outcome) in &codes {
        println!("  {code:<16} {outcome}");
    }
    println!(
        "  {:<16} 200 with the verifier above, 400 oauth/2 without it or with another",
        "dev-pkce"
    );
    println!("Ctrl-C (or SIGTERM) stops.");
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    env.stop().await;
    Ok(())
}
