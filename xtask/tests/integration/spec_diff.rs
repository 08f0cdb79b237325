//! `cargo xtask spec-diff` end to end: exit codes, the JSON and text outputs,
//! errors. The rules themselves are tested where they live, in
//! `crates/ias-spec/tests/rules.rs`, on the same fixture.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

const BASE: &str = include_str!("../../../crates/ias-spec/tests/fixture.yaml");

fn xtask(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn exit_code_and_verdict_follow_the_version_rule() {
    let dir = tempfile::tempdir().unwrap();
    let old = write(dir.path(), "old.yaml", BASE);
    let breaking = ("enum: [a, b]", "enum: [a]");
    // (edit, new version, breaking, required bump, exit)
    let cases = [
        (None, "1.2.3", false, "none", 0),
        (None, "1.2.2", false, "none", 1),
        (Some(breaking), "1.3.0", true, "major", 1),
        (Some(breaking), "2.0.0", true, "major", 0),
    ];
    for (edit, version, breaking, bump, exit) in cases {
        let mut text = BASE.replacen("version: 1.2.3", &format!("version: {version}"), 1);
        if let Some((from, to)) = edit {
            text = text.replacen(from, to, 1);
        }
        let new = write(dir.path(), "new.yaml", &text);
        let out = xtask(&["spec-diff", &old, &new, "--format", "json"]);
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        let got = (
            json["breaking"].as_bool(),
            json["requiredBump"].as_str(),
            json["versionOk"].as_bool(),
            out.status.code(),
        );
        assert_eq!(
            got,
            (Some(breaking), Some(bump), Some(exit == 0), Some(exit)),
            "{edit:?} with version {version}"
        );
    }
}

#[test]
fn json_changes_have_location_kind_breaking_and_message() {
    let dir = tempfile::tempdir().unwrap();
    let old = write(dir.path(), "old.yaml", BASE);
    let new = write(
        dir.path(),
        "new.yaml",
        &BASE.replace("enum: [a, b]", "enum: [a]"),
    );
    let out = xtask(&["spec-diff", &old, &new, "--format", "json"]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["changes"][0],
        serde_json::json!({
            "location": "/paths/~1items/post/requestBody/content/application~1json/schema/properties/kind/enum",
            "kind": "enum-value-removed",
            "breaking": true,
            "message": "POST /items: request body: property kind: enum value \"b\" was removed"
        })
    );
    assert_eq!(json["versionOk"], false);
}

#[test]
fn text_output_says_which_bump_is_needed() {
    let dir = tempfile::tempdir().unwrap();
    let old = write(dir.path(), "old.yaml", BASE);
    let new = write(
        dir.path(),
        "new.yaml",
        &BASE.replace("enum: [active, archived]", "enum: [active, archived, gone]"),
    );
    let out = xtask(&["spec-diff", &old, &new]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("breaking   /paths/~1items/get/responses/200/content/application~1json/schema/items/properties/status/enum"), "{text}");
    assert!(
        text.contains("version rule violated: the changes need a major bump"),
        "{text}"
    );
    assert!(
        text.contains("set info.version to 2.0.0 or later"),
        "{text}"
    );
}

#[test]
fn parse_and_usage_errors_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let old = write(dir.path(), "old.yaml", BASE);
    let bad = write(
        dir.path(),
        "bad.yaml",
        &BASE.replace("  title: Fixture", "  title: [Fixture"),
    );
    let out = xtask(&["spec-diff", &old, &bad]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.yaml:") && err.contains("invalid YAML"),
        "{err}"
    );

    let unversioned = write(
        dir.path(),
        "v.yaml",
        &BASE.replace("version: 1.2.3", "version: latest"),
    );
    let out = xtask(&["spec-diff", &old, &unversioned]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("v.yaml: new info.version \"latest\" is not semver"));

    let out = xtask(&["spec-diff", &old]);
    assert_eq!(out.status.code(), Some(2), "one file is a usage error");
    let out = xtask(&[
        "spec-diff",
        &old,
        &dir.path().join("missing.yaml").display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.yaml: cannot read"));
}

#[test]
fn base_compares_a_git_revision_with_the_working_tree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = xtask(&[
        "--root",
        root.to_str().unwrap(),
        "spec-diff",
        "--base",
        "no-such-revision-xyz",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("cannot read api-spec/ias-public-api.yaml at revision no-such-revision-xyz"));
}
