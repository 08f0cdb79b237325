//! The server's OpenAPI document (from the `IasApi` trait alone, no
//! implementation) against `api-spec/ias-public-api.yaml`: neither may drift.

use std::path::Path;

use ias_spec::{conformance, Mismatch};
use serde_json::Value;

fn spec_text() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../api-spec/ias-public-api.yaml");
    std::fs::read_to_string(path).unwrap()
}

fn spec(text: &str) -> Value {
    ias_spec::parse("api-spec/ias-public-api.yaml", text)
        .unwrap()
        .json
}

fn server() -> Value {
    ias_api::openapi_document()
}

fn report(m: &[Mismatch]) -> String {
    m.iter()
        .map(|m| format!("- {m}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn server_implements_the_spec() {
    let mismatches = conformance(&spec(&spec_text()), &server()).unwrap();
    assert!(
        mismatches.is_empty(),
        "the server's OpenAPI (ias-api) differs from api-spec/ias-public-api.yaml:\n{}",
        report(&mismatches)
    );
}

/// Applies `edits` to the real spec and returns the mismatches with the server.
fn mismatches_after(edits: &[(&str, &str)]) -> Vec<Mismatch> {
    let mut text = spec_text();
    for (from, to) in edits {
        assert!(text.contains(from), "fixture text {from:?} not in the spec");
        text = text.replacen(from, to, 1);
    }
    conformance(&spec(&text), &server()).unwrap()
}

fn assert_reported(mismatches: &[Mismatch], location: &str, kind: &str) {
    assert!(
        mismatches
            .iter()
            .any(|m| m.0.location == location && m.0.kind == kind),
        "expected {kind} at {location}; got:\n{}",
        report(mismatches)
    );
}

const BODY: &str = "/paths/~1oauth~1token/post/requestBody/content/application~1json/schema";
const OK: &str = "/paths/~1oauth~1token/post/responses/200/content/application~1json/schema";

#[test]
fn a_new_required_request_field_is_reported() {
    let m = mismatches_after(&[(
        "      required:\n        - provider\n        - code\n",
        "        state:\n          type: string\n      required:\n        - provider\n        - code\n        - state\n",
    )]);
    // The spec has a field the server does not: "removed" going from spec to server.
    assert_reported(&m, &format!("{BODY}/properties/state"), "property-removed");
    assert_eq!(m.len(), 1, "{}", report(&m));
    let shown = m[0].to_string();
    assert!(
        shown.contains("spec says: string") && shown.contains("server says: (nothing)"),
        "{shown}"
    );
}

#[test]
fn a_removed_operation_is_reported() {
    let m = mismatches_after(&[("  /oauth/token:\n", "  /oauth/token-old:\n")]);
    assert_reported(&m, "/paths/~1oauth~1token-old/post", "path-changed");
}

#[test]
fn a_renamed_operation_is_reported() {
    let m = mismatches_after(&[(
        "operationId: exchangeAuthorizationCode",
        "operationId: exchangeCode",
    )]);
    assert_reported(
        &m,
        "/paths/~1oauth~1token/post/operationId",
        "operation-id-changed",
    );
}

#[test]
fn a_changed_enum_is_reported() {
    let m = mismatches_after(&[(
        "          enum:\n            - github\n",
        "          enum:\n            - github\n            - gitlab\n",
    )]);
    assert_reported(
        &m,
        &format!("{BODY}/properties/provider/enum"),
        "enum-value-removed",
    );
}

#[test]
fn a_changed_property_type_is_reported() {
    let m = mismatches_after(&[(
        "        code:\n          type: string\n",
        "        code:\n          type: integer\n",
    )]);
    assert_reported(&m, &format!("{BODY}/properties/code"), "type-changed");
}

#[test]
fn a_new_required_response_field_is_reported() {
    let m = mismatches_after(&[(
        "      required:\n        - accessToken\n",
        "        tokenType:\n          type: string\n      required:\n        - accessToken\n        - tokenType\n",
    )]);
    assert_reported(
        &m,
        &format!("{OK}/properties/tokenType"),
        "property-removed",
    );
}

#[test]
fn a_removed_error_response_is_reported() {
    let spec_500 = "        '500':\n";
    let text = spec_text();
    let start = text.find(spec_500).unwrap();
    let end = text.find("components:").unwrap();
    let m = mismatches_after(&[(&text[start..end], "")]);
    assert_reported(
        &m,
        "/paths/~1oauth~1token/post/responses/5XX",
        "status-added",
    );
}

#[test]
fn a_different_version_is_reported() {
    let current = format!("  version: {}", ias_api::API_VERSION);
    let m = mismatches_after(&[(&current, "  version: 99.0.0")]);
    assert_reported(&m, "/info/version", "version-differs");
}
