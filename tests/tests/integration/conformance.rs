//! The server's OpenAPI document (from the `IasApi` trait alone, no
//! implementation) against `api-spec/ias-public-api.yaml`: neither may drift.

use std::path::Path;

use ias_spec::{conformance, ChangeKind, Mismatch};
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
        "the server's OpenAPI (ias-api) differs from api-spec/ias-public-api.yaml \
         (its info.version is ias_api::API_VERSION, which follows the spec's):\n{}",
        report(&mismatches)
    );
}

const BODY: &str = "/paths/~1oauth~1token/post/requestBody/content/application~1json/schema";
const OK: &str = "/paths/~1oauth~1token/post/responses/200/content/application~1json/schema";

/// One row: an edit of the real spec, and a mismatch it must give (at this
/// location, of this kind). Going from spec to server, what only the spec has
/// was "removed" and what only the server has was "added".
struct Mutation {
    name: &'static str,
    from: String,
    to: String,
    location: String,
    kind: ChangeKind,
}

fn mutations() -> Vec<Mutation> {
    let text = spec_text();
    let errors_500 =
        &text[text.find("        '500':\n").unwrap()..text.find("components:").unwrap()];
    let row = |name, from: &str, to: &str, location: &str, kind| Mutation {
        name,
        from: from.into(),
        to: to.into(),
        location: location.into(),
        kind,
    };
    vec![
        row(
            "a new required request field",
            "      required:\n        - provider\n        - code\n",
            "        state:\n          type: string\n      required:\n        - provider\n        - code\n        - state\n",
            &format!("{BODY}/properties/state"),
            ChangeKind::PropertyRemoved,
        ),
        row(
            "a removed operation",
            "  /oauth/token:\n",
            "  /oauth/token-old:\n",
            "/paths/~1oauth~1token-old/post",
            ChangeKind::PathChanged,
        ),
        row(
            "a renamed operation",
            "operationId: exchangeAuthorizationCode",
            "operationId: exchangeCode",
            "/paths/~1oauth~1token/post/operationId",
            ChangeKind::OperationIdChanged,
        ),
        row(
            "a changed enum",
            "          enum:\n            - github\n",
            "          enum:\n            - github\n            - gitlab\n",
            &format!("{BODY}/properties/provider/enum"),
            ChangeKind::EnumValueRemoved,
        ),
        row(
            "a changed property type",
            "        code:\n          type: string\n",
            "        code:\n          type: integer\n",
            &format!("{BODY}/properties/code"),
            ChangeKind::TypeChanged,
        ),
        row(
            "a new required response field",
            "      required:\n        - accessToken\n",
            "        tokenType:\n          type: string\n      required:\n        - accessToken\n        - tokenType\n",
            &format!("{OK}/properties/tokenType"),
            ChangeKind::PropertyRemoved,
        ),
        row(
            "a removed error response",
            errors_500,
            "",
            "/paths/~1oauth~1token/post/responses/5XX",
            ChangeKind::StatusAdded,
        ),
        row(
            "a different version",
            &format!("  version: {}", ias_api::API_VERSION),
            "  version: 99.0.0",
            "/info/version",
            ChangeKind::VersionDiffers,
        ),
    ]
}

#[test]
fn each_drift_is_reported() {
    for m in mutations() {
        let mut text = spec_text();
        assert!(
            text.contains(&m.from),
            "{}: fixture text {:?} not in the spec",
            m.name,
            m.from
        );
        text = text.replacen(&m.from, &m.to, 1);
        let mismatches = conformance(&spec(&text), &server()).unwrap();
        assert!(
            mismatches
                .iter()
                .any(|x| x.0.location == m.location && x.0.kind == m.kind),
            "{}: expected {} at {}; got:\n{}",
            m.name,
            m.kind,
            m.location,
            report(&mismatches)
        );
    }
}

/// A field only the spec has is worded as such, with both sides shown.
#[test]
fn a_mismatch_says_what_the_spec_and_the_server_say() {
    let m = &mutations()[0];
    let text = spec_text().replacen(&m.from, &m.to, 1);
    let mismatches = conformance(&spec(&text), &server()).unwrap();
    assert_eq!(mismatches.len(), 1, "{}", report(&mismatches));
    assert_eq!(
        mismatches[0].to_string(),
        format!(
            "{BODY}/properties/state\n    POST /oauth/token: request body: property state \
             is in the spec but not in the server\n    spec says: string\n    server says: (nothing)"
        )
    );
}
