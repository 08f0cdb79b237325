//! `cargo xtask serve`: ias-server against a local GitHub stand-in, for trying
//! the API without GitHub credentials. Never use it in production: the
//! production binary is `ias-server`, which only talks to the configured GitHub.

use std::time::Duration;

use ias_testing::{Behavior, GitHubError, TestEnv, TestEnvOptions};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let bind = std::env::var("IAS_BIND_ADDRESS").unwrap_or_else(|_| "127.0.0.1:8080".to_string());
    let bind_address = bind.parse().map_err(|_| {
        anyhow::anyhow!("IAS_BIND_ADDRESS = {bind:?} is not HOST:PORT (such as 127.0.0.1:8080)")
    })?;
    let options = TestEnvOptions {
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
        .map_err(|e| anyhow::anyhow!("cannot start the development server on {bind}: {e:#}; set IAS_BIND_ADDRESS to another HOST:PORT"))?;
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
    println!(
        "ias-server (development) on {url}, with a GitHub stand-in on {}",
        env.github.base_url()
    );
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
