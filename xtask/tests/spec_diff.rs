//! `cargo xtask spec-diff`: a table of spec pairs with the expected
//! classification, required bump, version verdict and exit code.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

const BASE: &str = r##"openapi: 3.0.3
info:
  title: Fixture
  version: 1.2.3
paths:
  /items:
    get:
      operationId: listItems
      tags: [items]
      summary: List items.
      parameters:
        - name: limit
          in: query
          required: false
          schema:
            type: integer
            format: int32
      responses:
        '200':
          description: The items.
          content:
            application/json:
              schema:
                type: array
                items:
                  $ref: '#/components/schemas/Item'
    post:
      operationId: createItem
      tags: [items]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/NewItem'
      responses:
        '201':
          description: Created.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Item'
        '400':
          description: Bad request.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Error'
components:
  schemas:
    NewItem:
      type: object
      required: [name, kind]
      properties:
        name:
          type: string
          description: The name.
          maxLength: 64
        kind:
          type: string
          enum: [a, b]
        note:
          type: string
    Item:
      type: object
      required: [id, name, status]
      properties:
        id:
          type: integer
          format: int64
        name:
          type: string
          example: widget
        status:
          type: string
          enum: [active, archived]
        note:
          type: string
    Error:
      type: object
      required: [code]
      properties:
        code:
          type: integer
          minimum: 100
        message:
          type: string
"##;

/// One row: edits to BASE giving NEW (the version is set separately), and what
/// spec-diff must answer.
struct Case {
    name: &'static str,
    edits: &'static [(&'static str, &'static str)],
    version: &'static str,
    breaking: bool,
    bump: &'static str,
    exit: i32,
    /// A change of this kind must be listed (`None`: no change at all).
    kind: Option<&'static str>,
}

const NEW_ITEM_REQUIRED: &str = "      required: [name, kind]\n";
const ITEM_REQUIRED: &str = "      required: [id, name, status]\n";

const CASES: &[Case] = &[
    Case { name: "identical", edits: &[], version: "1.2.3", breaking: false, bump: "none", exit: 0, kind: None },
    Case {
        name: "operation removed, major bump",
        edits: &[("    get:\n      operationId: listItems", "    x-get:\n      operationId: listItems")],
        version: "2.0.0",
        breaking: true,
        bump: "major",
        exit: 0,
        kind: Some("operation-removed"),
    },
    Case {
        name: "operation removed, minor bump only",
        edits: &[("    get:\n      operationId: listItems", "    x-get:\n      operationId: listItems")],
        version: "1.3.0",
        breaking: true,
        bump: "major",
        exit: 1,
        kind: Some("operation-removed"),
    },
    Case {
        name: "method changed",
        edits: &[("    get:\n      operationId: listItems", "    put:\n      operationId: listItems")],
        version: "2.0.0",
        breaking: true,
        bump: "major",
        exit: 0,
        kind: Some("method-changed"),
    },
    Case {
        name: "path changed",
        edits: &[("  /items:\n", "  /things:\n")],
        version: "1.2.4",
        breaking: true,
        bump: "major",
        exit: 1,
        kind: Some("path-changed"),
    },
    Case {
        name: "operationId changed",
        edits: &[("operationId: createItem", "operationId: addItem")],
        version: "1.3.0",
        breaking: true,
        bump: "major",
        exit: 1,
        kind: Some("operation-id-changed"),
    },
    Case {
        name: "operation added, minor bump",
        edits: &[("components:\n", "  /health:\n    get:\n      operationId: health\n      responses:\n        '200':\n          description: ok\ncomponents:\n")],
        version: "1.3.0",
        breaking: false,
        bump: "minor",
        exit: 0,
        kind: Some("operation-added"),
    },
    Case {
        name: "operation added, patch bump only",
        edits: &[("components:\n", "  /health:\n    get:\n      operationId: health\n      responses:\n        '200':\n          description: ok\ncomponents:\n")],
        version: "1.2.4",
        breaking: false,
        bump: "minor",
        exit: 1,
        kind: Some("operation-added"),
    },
    Case {
        name: "request: new required property",
        edits: &[(NEW_ITEM_REQUIRED, "      required: [name, kind, size]\n"), ("        note:\n          type: string\n    Item:", "        note:\n          type: string\n        size:\n          type: integer\n    Item:")],
        version: "2.0.0",
        breaking: true,
        bump: "major",
        exit: 0,
        kind: Some("property-added"),
    },
    Case {
        name: "request: new optional property",
        edits: &[("        note:\n          type: string\n    Item:", "        note:\n          type: string\n        size:\n          type: integer\n    Item:")],
        version: "1.3.0",
        breaking: false,
        bump: "minor",
        exit: 0,
        kind: Some("property-added"),
    },
    Case {
        name: "request: optional made required",
        edits: &[(NEW_ITEM_REQUIRED, "      required: [name, kind, note]\n")],
        version: "1.3.0",
        breaking: true,
        bump: "major",
        exit: 1,
        kind: Some("required-added"),
    },
    Case {
        name: "request: required made optional",
        edits: &[(NEW_ITEM_REQUIRED, "      required: [name]\n")],
        version: "1.3.0",
        breaking: false,
        bump: "minor",
        exit: 0,
        kind: Some("required-removed"),
    },
    Case {
        name: "request: property type changed",
        edits: &[("        name:\n          type: string\n          description: The name.", "        name:\n          type: integer\n          description: The name.")],
        version: "2.0.0",
        breaking: true,
        bump: "major",
        exit: 0,
        kind: Some("type-changed"),
    },
    Case {
        name: "request: format changed",
        edits: &[("          type: string\n          description: The name.", "          type: string\n          format: email\n          description: The name.")],
        version: "1.3.0",
        breaking: true,
        bump: "major",
        exit: 1,
        kind: Some("format-changed"),
    },
    Case {
        name: "request: enum value removed",
        edits: &[("enum: [a, b]", "enum: [a]")],
        version: "2.0.0",
        breaking: true,
        bump: "major",
        exit: 0,
        kind: Some("enum-value-removed"),
    },
    Case {
        name: "request: enum value added",
        edits: &[("enum: [a, b]", "enum: [a, b, c]")],
        version: "1.3.0",
        breaking: false,
        bump: "minor",
        exit: 0,
        kind: Some("enum-value-added"),
    },
    Case {
        name: "response: property removed",
        edits: &[("        note:\n          type: string\n    Error:", "    Error:")],
        version: "1.3.0",
        breaking: true,
        bump: "major",
        exit: 1,
        kind: Some("property-removed"),
    },
    Case {
        name: "response: required made optional",
        edits: &[(ITEM_REQUIRED, "      required: [id, name]\n")],
        version: "2.0.0",
        breaking: true,
        bump: "major",
        exit: 0,
        kind: Some("required-removed"),
    },
    Case {
        name: "response: optional made required",
        edits: &[(ITEM_REQUIRED, "      required: [id, name, status, note]\n")],
        version: "1.3.0",
        breaking: false,
        bump: "minor",
        exit: 0,
        kind: Some("required-added"),
    },
    Case {
        name: "response: type changed",
        edits: &[("        id:\n          type: integer\n          format: int64", "        id:\n          type: string")],
        version: "2.0.0",
        breaking: true,
        bump: "major",
        exit: 0,
        kind: Some("type-changed"),
    },
    Case {
        name: "response: format changed",
        edits: &[("          format: int64", "          format: int32")],
        version: "1.3.0",
        breaking: true,
        bump: "major",
        exit: 1,
        kind: Some("format-changed"),
    },
    Case {
        name: "response: new property",
        edits: &[("        message:\n          type: string\n", "        message:\n          type: string\n        details:\n          type: array\n          items:\n            type: string\n")],
        version: "1.3.0",
        breaking: false,
        bump: "minor",
        exit: 0,
        kind: Some("property-added"),
    },
    Case {
        name: "response: enum value added",
        edits: &[("enum: [active, archived]", "enum: [active, archived, deleted]")],
        version: "1.3.0",
        breaking: true,
        bump: "major",
        exit: 1,
        kind: Some("enum-value-added"),
    },
    Case {
        name: "response: enum value removed",
        edits: &[("enum: [active, archived]", "enum: [active]")],
        version: "1.3.0",
        breaking: false,
        bump: "minor",
        exit: 0,
        kind: Some("enum-value-removed"),
    },
    Case {
        name: "status code removed",
        edits: &[("        '400':\n          description: Bad request.", "        x-400:\n          description: Bad request.")],
        version: "2.0.0",
        breaking: true,
        bump: "major",
        exit: 0,
        kind: Some("status-removed"),
    },
    Case {
        name: "status code added",
        edits: &[("        '400':\n          description: Bad request.", "        '409':\n          description: Conflict.\n        '400':\n          description: Bad request.")],
        version: "1.3.0",
        breaking: false,
        bump: "minor",
        exit: 0,
        kind: Some("status-added"),
    },
    Case {
        name: "query parameter added, required",
        edits: &[("            format: int32\n", "            format: int32\n        - name: cursor\n          in: query\n          required: true\n          schema:\n            type: string\n")],
        version: "1.3.0",
        breaking: true,
        bump: "major",
        exit: 1,
        kind: Some("parameter-added"),
    },
    Case {
        name: "query parameter made required",
        edits: &[("          required: false\n", "          required: true\n")],
        version: "2.0.0",
        breaking: true,
        bump: "major",
        exit: 0,
        kind: Some("parameter-required"),
    },
    Case {
        name: "descriptions and summaries only",
        edits: &[("description: The name.", "description: The item's name."), ("summary: List items.", "summary: Lists the items.")],
        version: "1.2.3",
        breaking: false,
        bump: "none",
        exit: 0,
        kind: Some("documentation"),
    },
    Case {
        name: "examples and vendor extensions only",
        edits: &[("example: widget", "example: gadget"), ("      operationId: createItem\n", "      operationId: createItem\n      x-go-name: createItem\n")],
        version: "1.2.3",
        breaking: false,
        bump: "none",
        exit: 0,
        kind: Some("documentation"),
    },
    Case {
        name: "schema moved into components ($ref) is no change",
        edits: &[(
            "                type: array\n                items:\n                  $ref: '#/components/schemas/Item'\n",
            "                $ref: '#/components/schemas/Items'\n",
        ), ("    Error:\n", "    Items:\n      type: array\n      items:\n        $ref: '#/components/schemas/Item'\n    Error:\n")],
        version: "1.2.3",
        breaking: false,
        bump: "none",
        exit: 0,
        kind: None,
    },
    Case {
        name: "breaking change with a major bump from 1.x",
        edits: &[("enum: [a, b]", "enum: [b]")],
        version: "2.0.0",
        breaking: true,
        bump: "major",
        exit: 0,
        kind: Some("enum-value-removed"),
    },
    Case {
        name: "request: bound loosened (maxLength raised)",
        edits: &[("maxLength: 64", "maxLength: 128")],
        version: "1.3.0",
        breaking: false,
        bump: "minor",
        exit: 0,
        kind: Some("constraint-changed"),
    },
    Case {
        name: "request: bound tightened (maxLength lowered)",
        edits: &[("maxLength: 64", "maxLength: 32")],
        version: "1.3.0",
        breaking: true,
        bump: "major",
        exit: 1,
        kind: Some("constraint-changed"),
    },
    Case {
        name: "request: constraint introduced (minLength)",
        edits: &[("        note:\n          type: string\n    Item:", "        note:\n          type: string\n          minLength: 1\n    Item:")],
        version: "2.0.0",
        breaking: true,
        bump: "major",
        exit: 0,
        kind: Some("constraint-added"),
    },
    Case {
        name: "response: bound tightened (minimum raised)",
        edits: &[("minimum: 100", "minimum: 200")],
        version: "1.3.0",
        breaking: false,
        bump: "minor",
        exit: 0,
        kind: Some("constraint-changed"),
    },
    Case {
        name: "response: bound loosened (minimum lowered)",
        edits: &[("minimum: 100", "minimum: 0")],
        version: "1.3.0",
        breaking: true,
        bump: "major",
        exit: 1,
        kind: Some("constraint-changed"),
    },
    Case {
        name: "response: constraint dropped",
        edits: &[("          minimum: 100\n", "")],
        version: "2.0.0",
        breaking: true,
        bump: "major",
        exit: 0,
        kind: Some("constraint-dropped"),
    },
    Case {
        name: "request: extra properties refused",
        edits: &[("    NewItem:\n      type: object\n", "    NewItem:\n      type: object\n      additionalProperties: false\n")],
        version: "1.3.0",
        breaking: true,
        bump: "major",
        exit: 1,
        kind: Some("additional-properties-changed"),
    },
    Case {
        name: "security now required",
        edits: &[("paths:\n", "security:\n  - bearer: []\npaths:\n")],
        version: "2.0.0",
        breaking: true,
        bump: "major",
        exit: 0,
        kind: Some("security-changed"),
    },
    Case {
        name: "operation deprecated (documentation)",
        edits: &[("      operationId: listItems\n", "      operationId: listItems\n      deprecated: true\n")],
        version: "1.2.3",
        breaking: false,
        bump: "none",
        exit: 0,
        kind: Some("documentation"),
    },
    Case {
        name: "version goes down",
        edits: &[],
        version: "1.2.2",
        breaking: false,
        bump: "none",
        exit: 1,
        kind: None,
    },
];

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
fn table_of_spec_pairs() {
    assert!(CASES.len() >= 20);
    let dir = tempfile::tempdir().unwrap();
    let old = write(dir.path(), "old.yaml", BASE);
    let mut failures = Vec::new();
    for case in CASES {
        let mut text = BASE.to_string();
        for (from, to) in case.edits {
            assert!(
                text.contains(from),
                "{}: fixture text {from:?} not found",
                case.name
            );
            text = text.replacen(from, to, 1);
        }
        text = text.replacen("version: 1.2.3", &format!("version: {}", case.version), 1);
        let new = write(dir.path(), "new.yaml", &text);
        let out = xtask(&["spec-diff", &old, &new, "--format", "json"]);
        let json: Value = match serde_json::from_slice(&out.stdout) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!(
                    "{}: no JSON ({e}): {}",
                    case.name,
                    String::from_utf8_lossy(&out.stderr)
                ));
                continue;
            }
        };
        let kinds: Vec<&str> = json["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["kind"].as_str().unwrap())
            .collect();
        let got = (
            json["breaking"].as_bool().unwrap(),
            json["requiredBump"].as_str().unwrap().to_string(),
            out.status.code().unwrap(),
        );
        let want = (case.breaking, case.bump.to_string(), case.exit);
        let kind_ok = match case.kind {
            Some(kind) => kinds.contains(&kind),
            None => kinds.is_empty(),
        };
        if got != want || !kind_ok || json["versionOk"].as_bool().unwrap() != (case.exit == 0) {
            failures.push(format!(
                "{}: got {got:?} kinds {kinds:?}, want {want:?} kind {:?}",
                case.name, case.kind
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
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
