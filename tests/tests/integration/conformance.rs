//! The server's OpenAPI document (from the `IasApi` trait alone, no
//! implementation) against `api-spec/ias-public-api.yaml`: neither may drift.

use std::path::Path;

use ias_spec::{conformance, ChangeKind, Mismatch};
use serde_json::{json, Value};

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

/// The spec's first operation with a JSON request body and a JSON success
/// response (read from the spec, whatever it holds), for the mutations: its
/// path, method and success status, and the names of the two schemas.
struct Target {
    path: String,
    method: String,
    status: String,
    request: String,
    response: String,
}

impl Target {
    fn of(spec: &Value) -> Self {
        let schema_name = |schema: &Value| {
            let r = schema["$ref"].as_str()?;
            Some(r.rsplit('/').next()?.to_string())
        };
        let json_schema = |v: &Value| schema_name(&v["content"]["application/json"]["schema"]);
        let operations =
            spec["paths"]
                .as_object()
                .into_iter()
                .flatten()
                .flat_map(|(path, item)| {
                    item.as_object()
                        .into_iter()
                        .flatten()
                        .map(move |(m, op)| (path, m, op))
                });
        operations
            .filter_map(|(path, method, op)| {
                let request = json_schema(&op["requestBody"])?;
                let (status, response) = op["responses"]
                    .as_object()?
                    .iter()
                    .filter(|(status, _)| status.starts_with('2'))
                    .find_map(|(status, r)| Some((status.clone(), json_schema(r)?)))?;
                Some(Target {
                    path: path.clone(),
                    method: method.clone(),
                    status,
                    request,
                    response,
                })
            })
            .next()
            .expect(
                "the mutations need an operation with a JSON request body and a JSON success \
                 response ($refs to component schemas); the spec has none",
            )
    }

    /// The operation's JSON Pointer, for locations.
    fn pointer(&self) -> String {
        format!("/paths/{}/{}", self.path.replace('/', "~1"), self.method)
    }

    fn body(&self) -> String {
        format!(
            "{}/requestBody/content/application~1json/schema",
            self.pointer()
        )
    }

    fn ok(&self) -> String {
        format!(
            "{}/responses/{}/content/application~1json/schema",
            self.pointer(),
            self.status
        )
    }
}

/// A property name no real evolution will add.
const FIXTURE: &str = "xConformanceFixtureOnly";

/// An edit of the parsed spec.
type Edit = Box<dyn Fn(&mut Value, &Target)>;

/// One row: an edit of the parsed spec, and a mismatch it must give (at this
/// location, of this kind). Going from spec to server, what only the spec has
/// was "removed" and what only the server has was "added".
struct Mutation {
    name: &'static str,
    edit: Edit,
    location: String,
    kind: ChangeKind,
}

fn add_required_property(spec: &mut Value, schema: &str) {
    let schema = &mut spec["components"]["schemas"][schema];
    schema["properties"][FIXTURE] = json!({"type": "string"});
    schema["required"]
        .as_array_mut()
        .unwrap()
        .push(json!(FIXTURE));
}

/// The first property of a schema that satisfies `pred`.
fn property_where(spec: &Value, schema: &str, pred: impl Fn(&Value) -> bool) -> String {
    let properties = spec["components"]["schemas"][schema]["properties"]
        .as_object()
        .unwrap();
    properties
        .iter()
        .find(|(_, p)| pred(p))
        .map(|(name, _)| name.clone())
        .expect("a property of that kind")
}

fn mutations(t: &Target, spec: &Value) -> Vec<Mutation> {
    let with_enum = property_where(spec, &t.request, |p| p.get("enum").is_some());
    let string = property_where(spec, &t.request, |p| {
        p["type"] == "string" && p.get("enum").is_none()
    });
    let row = |name, edit: Edit, location: String, kind| Mutation {
        name,
        edit,
        location,
        kind,
    };
    let (e, s) = (with_enum.clone(), string.clone());
    vec![
        row(
            "a new required request field",
            Box::new(|spec, t| add_required_property(spec, &t.request)),
            format!("{}/properties/{FIXTURE}", t.body()),
            ChangeKind::PropertyRemoved,
        ),
        row(
            "a moved operation",
            Box::new(|spec, t| {
                let paths = spec["paths"].as_object_mut().unwrap();
                let item = paths.remove(&t.path).unwrap();
                paths.insert(format!("{}-old", t.path), item);
            }),
            format!("/paths/{}-old/{}", t.path.replace('/', "~1"), t.method),
            ChangeKind::PathChanged,
        ),
        row(
            "a renamed operation",
            Box::new(|spec, t| {
                let op = &mut spec["paths"][&t.path][&t.method];
                op["operationId"] =
                    json!(format!("{}Renamed", op["operationId"].as_str().unwrap()));
            }),
            format!("{}/operationId", t.pointer()),
            ChangeKind::OperationIdChanged,
        ),
        row(
            "a changed enum",
            Box::new(move |spec, t| {
                let p = &mut spec["components"]["schemas"][&t.request]["properties"][&e];
                p["enum"].as_array_mut().unwrap().push(json!(FIXTURE));
            }),
            format!("{}/properties/{with_enum}/enum", t.body()),
            ChangeKind::EnumValueRemoved,
        ),
        row(
            "a changed property type",
            Box::new(move |spec, t| {
                spec["components"]["schemas"][&t.request]["properties"][&s]["type"] =
                    json!("integer");
            }),
            format!("{}/properties/{string}", t.body()),
            ChangeKind::TypeChanged,
        ),
        row(
            "a new required response field",
            Box::new(|spec, t| add_required_property(spec, &t.response)),
            format!("{}/properties/{FIXTURE}", t.ok()),
            ChangeKind::PropertyRemoved,
        ),
        row(
            "a removed error response",
            Box::new(|spec, t| {
                let responses = spec["paths"][&t.path][&t.method]["responses"]
                    .as_object_mut()
                    .unwrap();
                responses.retain(|status, _| !status.starts_with('5'));
            }),
            format!("{}/responses/5XX", t.pointer()),
            ChangeKind::StatusAdded,
        ),
        row(
            "a different version",
            Box::new(|spec, _| spec["info"]["version"] = json!("99.0.0")),
            "/info/version".to_string(),
            ChangeKind::VersionDiffers,
        ),
    ]
}

#[test]
fn each_drift_is_reported() {
    let original = spec(&spec_text());
    let target = Target::of(&original);
    for m in mutations(&target, &original) {
        let mut edited = original.clone();
        (m.edit)(&mut edited, &target);
        let mismatches = conformance(&edited, &server()).unwrap();
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
    let mut edited = spec(&spec_text());
    let t = Target::of(&edited);
    add_required_property(&mut edited, &t.request);
    let mismatches = conformance(&edited, &server()).unwrap();
    assert_eq!(mismatches.len(), 1, "{}", report(&mismatches));
    assert_eq!(
        mismatches[0].to_string(),
        format!(
            "{}/properties/{FIXTURE}\n    {} {}: request body: property {FIXTURE} \
             is in the spec but not in the server\n    spec says: string\n    server says: (nothing)",
            t.body(),
            t.method.to_uppercase(),
            t.path,
        )
    );
}

/// The server's document names its schemas as the spec does (`$ref`s are
/// resolved before comparing contracts, so a renamed component would
/// otherwise go unseen; clients and tools show these names).
#[test]
fn the_servers_schemas_are_named_as_in_the_spec() {
    let names = |doc: &Value| -> std::collections::BTreeSet<String> {
        doc["components"]["schemas"]
            .as_object()
            .map(|s| s.keys().cloned().collect())
            .unwrap_or_default()
    };
    assert_eq!(names(&server()), names(&spec(&spec_text())));
}

/// What catches a generated type that is wrong for the spec (comparing
/// documents cannot: each type's schema is the spec's own text): every
/// example deserializes into the generated type and serializes back the
/// same, and a request body's example passes the request rules first. That
/// the check can fail is `ias_api::examples`' own test (a wrongly typed field).
#[test]
fn the_spec_examples_round_trip_through_the_generated_types() {
    let spec = spec(&spec_text());
    ias_spec::examples::assert_round_trip(&spec, ias_api::example_round_trip);
}
