//! ARCHITECTURE.md's dependency invariants, from `cargo metadata`: the xtask
//! never depends on the server, and the contract crate has no HTTP client.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// Each workspace member's dependencies (normal and build; not dev), by name.
fn workspace_dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .current_dir(&root)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: Value = serde_json::from_slice(&out.stdout).unwrap();
    metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["kind"].as_str() != Some("dev"))
                .map(|d| d["name"].as_str().unwrap().to_string())
                .collect();
            (p["name"].as_str().unwrap().to_string(), deps)
        })
        .collect()
}

/// `krate` and every workspace member it depends on, transitively; with the
/// outside crates any of them names directly.
fn closure(krate: &str) -> BTreeSet<String> {
    let members = workspace_dependencies();
    let mut seen = BTreeSet::new();
    let mut todo = vec![krate.to_string()];
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(deps) = members.get(&name) {
            todo.extend(deps.iter().cloned());
        }
    }
    seen
}

#[test]
fn the_xtask_never_depends_on_the_server() {
    let deps = closure("xtask");
    assert!(
        deps.contains("ias-spec"),
        "the closure is computed: {deps:?}"
    );
    for server in ["ias-server", "ias-testing", "github-standin", "dropshot"] {
        assert!(
            !deps.contains(server),
            "xtask depends on {server}: {deps:?}"
        );
    }
}

#[test]
fn the_contract_crate_has_no_http_client() {
    let deps = closure("ias-api");
    assert!(
        deps.contains("dropshot"),
        "the closure is computed: {deps:?}"
    );
    for client in ["reqwest", "ias-server", "hyper-util", "ureq", "isahc"] {
        assert!(
            !deps.contains(client),
            "ias-api depends on {client}: {deps:?}"
        );
    }
}
