//! The server generator's model: the spec read once, in its own order, into
//! what the rendering needs — schemas with their properties (type, presence,
//! secrecy, rules) and operations with their inputs, answers and documented
//! errors.
//!
//! Every refusal happens here, naming the spec's file and line: whatever the
//! model holds, the renderers ([`super::render`]) can carry faithfully. What
//! the model does not carry (a keyword, a `format`, a shape) is an error, never
//! silently left out.

use std::collections::BTreeSet;

use anyhow::{bail, Result};
use heck::{ToSnakeCase, ToUpperCamelCase};
use ias_spec::{locate, Catalogue, SpecDocument, SpecError};
use serde_yaml::Value;

/// The extension that marks a credential property (`x-ias-secret: true`):
/// typed so it never prints, in the server and in the client.
pub const SECRET: &str = "x-ias-secret";
/// The extension that answers a value outside a property's `enum` with a
/// documented error instead of `request/0` (`x-ias-enum-error: {group, code}`).
pub const ENUM_ERROR: &str = "x-ias-enum-error";
/// gin's `binding: required` (oapi-codegen's extra tags): present and not the
/// zero value.
const EXTRA_TAGS: &str = "x-oapi-codegen-extra-tags";
/// oapi-codegen's marker for an optional field that is a plain value, empty
/// when absent (and left out of the JSON when empty).
const SKIP_POINTER: &str = "x-go-type-skip-optional-pointer";
/// The error body every refusal and documented error is answered in.
const HOUSE_BODY: &str = "#/components/schemas/ErrStatusMsg";
/// Where a new shape is taught to the generator, for messages.
const EXTEND: &str = "extend the generator (xtask/src/codegen/model.rs)";

/// Keys of a component schema (an object or a string enum).
const SCHEMA_KEYS: &[&str] = &[
    "type",
    "properties",
    "required",
    "enum",
    "description",
    "example",
    "title",
    "deprecated",
    "externalDocs",
];
/// Keys of a property schema the generator carries: the type, the rules it
/// applies, documentation. Anything else (`nullable`, `minItems`, `oneOf`,
/// `default`, `readOnly`, ...) is refused rather than ignored.
const PROPERTY_KEYS: &[&str] = &[
    "type",
    "format",
    "enum",
    "$ref",
    "items",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "pattern",
    "description",
    "example",
    "title",
    "deprecated",
    "externalDocs",
];
/// Keys of an array's `items` the generator carries (rules on items are not
/// applied, so they are refused).
const ITEMS_KEYS: &[&str] = &["type", "format", "$ref", "description", "example", "title"];
/// Keys of a path item the generator carries (parameters are refused where
/// they are read).
const PATH_ITEM_KEYS: &[&str] = &[
    "summary",
    "description",
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "trace",
    "parameters",
];
/// Keys of an operation the generator carries (or refuses where it reads them).
const OPERATION_KEYS: &[&str] = &[
    "tags",
    "summary",
    "description",
    "externalDocs",
    "operationId",
    "parameters",
    "requestBody",
    "responses",
    "deprecated",
    "security",
];
/// The `format`s the generator carries, by type: each picks the Rust type.
/// Any other (`date-time`, `uuid`, `email`, ...) would be a check nobody
/// makes, so it is refused.
const FORMATS: &[(&str, &[&str])] = &[
    ("integer", &["int32", "int64"]),
    ("number", &["float", "double"]),
];
/// The HTTP methods of a path item, in OpenAPI's order.
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The document, as the server generator carries it.
#[derive(Debug)]
pub struct Model {
    /// `info.title`.
    pub title: String,
    /// `info.version` (semver).
    pub version: String,
    /// `components.schemas`, in the spec's order.
    pub schemas: Vec<Schema>,
    /// Every operation, in the spec's order.
    pub operations: Vec<Operation>,
}

/// A component schema.
#[derive(Debug)]
pub struct Schema {
    /// Its name in the spec.
    pub name: String,
    /// Its Rust type's name.
    pub rust: String,
    pub description: Option<String>,
    pub shape: Shape,
    /// The schema itself as JSON, in the spec's order: its `JsonSchema`.
    pub json: String,
    /// The component schemas it `$ref`s.
    pub refs: BTreeSet<String>,
    /// Whether an operation takes it as its request body.
    pub request_body: bool,
}

/// What a component schema becomes in Rust.
#[derive(Debug)]
pub enum Shape {
    /// A struct.
    Object(Vec<Property>),
    /// An enum of string values.
    StringEnum(Vec<String>),
}

/// A property of an object schema.
#[derive(Debug)]
pub struct Property {
    /// Its name on the wire.
    pub name: String,
    /// Its Rust field name (snake_case; a keyword as a raw identifier).
    pub field: String,
    pub description: Option<String>,
    pub ty: Type,
    pub presence: Presence,
    /// `x-ias-secret`: a credential, typed `Secret`.
    pub secret: bool,
    /// An optional string or array that is a plain value, left out when empty.
    pub plain_when_absent: bool,
    pub rules: Rules,
}

/// A property's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    String,
    I32,
    I64,
    F64,
    Bool,
    /// No `type`: any JSON value.
    Any,
    Array(Box<Type>),
    /// A `$ref` to a component schema (by its name in the spec).
    Ref(String),
    /// A string enum written inline: a Rust enum named after its parent and
    /// property.
    InlineEnum {
        rust: String,
        values: Vec<String>,
        description: Option<String>,
    },
}

/// When a property must be there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Optional,
    /// In the schema's `required`.
    Required,
    /// gin's `binding: required`: present and not the zero value.
    NonZero,
}

/// The request rules of a property (besides its type and presence).
#[derive(Debug, Default, PartialEq)]
pub struct Rules {
    pub values: Vec<String>,
    /// `x-ias-enum-error`: the documented pair a value outside `values` gets.
    pub enum_error: Option<(String, i64)>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub pattern: Option<String>,
}

/// An operation.
#[derive(Debug)]
pub struct Operation {
    pub id: String,
    /// Lower case, as in the spec.
    pub method: String,
    pub path: String,
    pub tags: Vec<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    /// The request body's schema (a required JSON body).
    pub body: Option<String>,
    pub success: Success,
    /// Its documented pairs, in the spec's order.
    pub pairs: Vec<(String, i64)>,
    /// The documented 5xx dropshot's own failures become.
    pub server_error: (String, i64),
}

/// The one success response of an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Success {
    /// 200, 201 or 202 with a JSON body (a component schema).
    Body(u16, String),
    /// 204.
    NoContent,
}

impl Model {
    /// The component schema named `name`.
    pub fn schema(&self, name: &str) -> &Schema {
        self.schemas
            .iter()
            .find(|s| s.name == name)
            .expect("refs are checked when the model is read")
    }
}

/// Reads the model of `doc`, or the first thing it cannot carry.
pub fn read(doc: &SpecDocument, catalogue: &Catalogue) -> Result<Model> {
    Reader {
        doc,
        catalogue,
        schemas: &doc.yaml["components"]["schemas"],
    }
    .model()
}

struct Reader<'a> {
    doc: &'a SpecDocument,
    catalogue: &'a Catalogue,
    /// `components.schemas` (a mapping, or null when there is none).
    schemas: &'a Value,
}

/// A mapping's entries with string keys, in order.
fn entries(v: &Value) -> impl Iterator<Item = (&str, &Value)> {
    v.as_mapping()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.as_str()?, v)))
}

/// A value as one-line JSON, for messages.
fn shown(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| format!("{v:?}"))
}

impl Reader<'_> {
    fn error(&self, keys: &[&str], problem: String) -> anyhow::Error {
        SpecError::at(&self.doc.name, locate(&self.doc.text, keys), problem).into()
    }

    fn model(&self) -> Result<Model> {
        let info = &self.doc.yaml["info"];
        let title = info["title"].as_str().unwrap_or_default().to_string();
        let version = info["version"].as_str().unwrap_or_default().to_string();
        if semver_like(&version).is_none() {
            bail!(self.error(
                &["info", "version"],
                format!("info.version {version:?} is not a semver version (MAJOR.MINOR.PATCH)")
            ));
        }
        let mut operations = Vec::new();
        for (path, item) in entries(&self.doc.yaml["paths"]) {
            self.allowed_keys(item, PATH_ITEM_KEYS, &["paths", path], || {
                format!("path {path}")
            })?;
            for method in METHODS {
                if let Some(op) = item.get(*method) {
                    operations.push(self.operation(path, method, op, item)?);
                }
            }
        }
        let bodies: BTreeSet<&str> = operations
            .iter()
            .filter_map(|o| o.body.as_deref())
            .collect();
        let mut schemas = Vec::new();
        for (name, schema) in entries(self.schemas) {
            let mut schema = self.schema(name, schema)?;
            schema.request_body = bodies.contains(name);
            schemas.push(schema);
        }
        let model = Model {
            title,
            version,
            schemas,
            operations,
        };
        self.check_enum_errors(&model)?;
        self.check_house_body(&model)?;
        Ok(model)
    }

    /// `ias-api`'s runtime answers every refusal with `ErrStatusMsg` and its
    /// `ValidationDetail`s, building them field by field: the spec must
    /// define both as the contract does (names, types, presence).
    fn check_house_body(&self, model: &Model) -> Result<()> {
        use Presence::{NonZero, Optional};
        /// A property as the runtime needs it: (type, presence, plain when absent).
        type Needed = (Type, Presence, bool);
        let plain = |t: Type| (t, Optional, true);
        let expected: [(&str, Vec<(&str, Needed)>); 2] = [
            (
                "ErrStatusMsg",
                vec![
                    ("group", (Type::String, NonZero, false)),
                    ("code", (Type::I64, NonZero, false)),
                    ("message", plain(Type::String)),
                    ("traces", plain(Type::Array(Box::new(Type::String)))),
                    (
                        "validationDetail",
                        plain(Type::Array(Box::new(Type::Ref("ValidationDetail".into())))),
                    ),
                ],
            ),
            (
                "ValidationDetail",
                vec![
                    ("field", plain(Type::String)),
                    ("expression", plain(Type::String)),
                    ("argument", plain(Type::String)),
                    ("originalValue", (Type::Any, Optional, false)),
                    ("reason", plain(Type::String)),
                ],
            ),
        ];
        for (name, want) in expected {
            let found = model.schemas.iter().find(|s| s.name == name);
            let got: Option<Vec<(&str, Needed)>> = match found.map(|s| &s.shape) {
                Some(Shape::Object(props)) => Some(
                    props
                        .iter()
                        .map(|p| {
                            (
                                p.name.as_str(),
                                (p.ty.clone(), p.presence, p.plain_when_absent),
                            )
                        })
                        .collect(),
                ),
                _ => None,
            };
            if got.as_ref() != Some(&want) {
                let keys: &[&str] = if found.is_some() {
                    &["components", "schemas", name]
                } else {
                    &["components", "schemas"]
                };
                let fields: Vec<&str> = want.iter().map(|(f, _)| *f).collect();
                bail!(self.error(
                    keys,
                    format!(
                        "schema {name}: every refusal is answered in ErrStatusMsg, which \
                         ias-api's runtime builds field by field, so the spec must define \
                         {name} {{{}}} as api-spec/ias-public-api.yaml does (same types, \
                         `binding: required` and `x-go-type-skip-optional-pointer`); {}",
                        fields.join(", "),
                        if found.is_some() {
                            "this one differs"
                        } else {
                            "it is missing"
                        }
                    )
                ));
            }
        }
        Ok(())
    }

    fn schema(&self, name: &str, schema: &Value) -> Result<Schema> {
        let keys = ["components", "schemas", name];
        self.allowed_keys(schema, SCHEMA_KEYS, &keys, || format!("schema {name}"))?;
        let shape = match schema["type"].as_str() {
            Some("object") => Shape::Object(self.properties(name, schema)?),
            Some("string") if schema.get("enum").is_some() => {
                let at = |problem: String| self.error(&keys, problem);
                Shape::StringEnum(self.enum_values(schema, &at, || format!("schema {name}"))?)
            }
            _ => bail!(self.error(
                &keys,
                format!(
                    "schema {name}: the generator makes Rust types of objects and string \
                     enums; this schema is neither (type {}); describe it as one, or {EXTEND}",
                    shown(&schema["type"])
                )
            )),
        };
        let refs = refs_of(&shape);
        Ok(Schema {
            name: name.to_string(),
            rust: name.to_upper_camel_case(),
            description: description(schema),
            shape,
            json: serde_json::to_string_pretty(schema).expect("a YAML schema is JSON"),
            refs,
            request_body: false,
        })
    }

    fn properties(&self, name: &str, schema: &Value) -> Result<Vec<Property>> {
        let required: BTreeSet<&str> = schema["required"]
            .as_sequence()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut out = Vec::new();
        for (prop, p) in entries(&schema["properties"]) {
            let keys = ["components", "schemas", name, "properties", prop];
            let at = |problem: String| self.error(&keys, problem);
            let what = || format!("{name}.{prop}");
            self.allowed_keys(p, PROPERTY_KEYS, &keys, what)?;
            self.check_format(p, &keys, what)?;
            if p["type"].as_str() == Some("array") {
                let items_at = [&keys[..], &["items"]].concat();
                let items_what = || format!("{name}.{prop}.items");
                self.allowed_keys(&p["items"], ITEMS_KEYS, &items_at, items_what)?;
                self.check_format(&p["items"], &items_at, items_what)?;
            }
            let secret = p.get(SECRET).and_then(Value::as_bool) == Some(true);
            if secret && p["type"].as_str() != Some("string") {
                bail!(at(format!(
                    "{name}.{prop}: `{SECRET}: true` is for strings (a credential); this \
                     property is not a string"
                )));
            }
            let binding = p[EXTRA_TAGS]["binding"]
                .as_str()
                .is_some_and(|b| b.split(',').any(|t| t.trim() == "required"));
            let presence = if binding {
                Presence::NonZero
            } else if required.contains(prop) {
                Presence::Required
            } else {
                Presence::Optional
            };
            let ty = self.property_type(name, prop, p, &at)?;
            let skip_pointer = p.get(SKIP_POINTER).and_then(Value::as_bool) == Some(true);
            let plain = matches!(ty, Type::String | Type::Array(_)) && !secret;
            out.push(Property {
                name: prop.to_string(),
                field: field_name(prop),
                description: description(p),
                rules: self.rules(name, prop, p, &keys)?,
                plain_when_absent: skip_pointer && plain && presence == Presence::Optional,
                ty,
                presence,
                secret,
            });
        }
        Ok(out)
    }

    /// A property's type (before `Option` or `Secret`).
    fn property_type(
        &self,
        parent: &str,
        prop: &str,
        p: &Value,
        at: &dyn Fn(String) -> anyhow::Error,
    ) -> Result<Type> {
        if let Some(target) = p["$ref"].as_str() {
            return Ok(Type::Ref(self.ref_name(target, at)?.to_string()));
        }
        Ok(match p["type"].as_str() {
            Some("string") if p.get("enum").is_some() => Type::InlineEnum {
                rust: format!(
                    "{}{}",
                    parent.to_upper_camel_case(),
                    prop.to_upper_camel_case()
                ),
                values: self.enum_values(p, at, || format!("{parent}.{prop}"))?,
                description: description(p),
            },
            Some("string") => Type::String,
            Some("integer") => match p["format"].as_str() {
                Some("int32") => Type::I32,
                _ => Type::I64,
            },
            Some("number") => Type::F64,
            Some("boolean") => Type::Bool,
            Some("array") => {
                let items = &p["items"];
                match items["type"].as_str() {
                    Some("array" | "object") => bail!(at(format!(
                        "{parent}.{prop}: an array of {}s is not generated; give the items a \
                         named schema and a $ref, or {EXTEND}",
                        items["type"].as_str().unwrap_or_default()
                    ))),
                    None if items.get("$ref").is_none() => bail!(at(format!(
                        "{parent}.{prop}: an array needs `items` with a type or a $ref"
                    ))),
                    _ => Type::Array(Box::new(self.property_type(parent, prop, items, at)?)),
                }
            }
            // (`properties` without a `type` is refused by the allowlist.)
            None => Type::Any,
            other => bail!(at(format!(
                "{parent}.{prop}: a property of type {} is not generated; give it a named \
                 schema in components.schemas and a $ref, or {EXTEND}",
                other.unwrap_or("object (inline)")
            ))),
        })
    }

    fn rules(&self, parent: &str, prop: &str, p: &Value, keys: &[&str]) -> Result<Rules> {
        let at = |problem: String| self.error(keys, problem);
        let mut rules = Rules::default();
        if p.get("enum").is_some() {
            rules.values = self.enum_values(p, &at, || format!("{parent}.{prop}"))?;
        }
        if let Some(pair) = p.get(ENUM_ERROR) {
            let (group, code) = (pair["group"].as_str(), pair["code"].as_i64());
            let documented = group.zip(code).and_then(|(g, c)| self.catalogue.get(g, c));
            let Some(documented) = documented else {
                bail!(at(format!(
                    "{parent}.{prop}: `{ENUM_ERROR}: {}` must name a documented pair as \
                     {{group: GROUP, code: N}}; document it in an error response first",
                    shown(pair)
                )));
            };
            if p.get("enum").is_none() {
                bail!(at(format!(
                    "{parent}.{prop}: `{ENUM_ERROR}` needs an `enum`"
                )));
            }
            rules.enum_error = Some((documented.group.clone(), documented.code));
        }
        let whole = |keyword: &str| -> Result<Option<u64>> {
            p.get(keyword)
                .map(|n| {
                    n.as_u64().ok_or_else(|| {
                        at(format!("{parent}.{prop}: {keyword} must be a whole number"))
                    })
                })
                .transpose()
        };
        rules.min_length = whole("minLength")?;
        rules.max_length = whole("maxLength")?;
        let number = |keyword: &str| -> Result<Option<f64>> {
            p.get(keyword)
                .map(|n| {
                    n.as_f64()
                        .ok_or_else(|| at(format!("{parent}.{prop}: {keyword} must be a number")))
                })
                .transpose()
        };
        rules.minimum = number("minimum")?;
        rules.maximum = number("maximum")?;
        if let Some(pattern) = p.get("pattern") {
            let pattern = pattern
                .as_str()
                .ok_or_else(|| at(format!("{parent}.{prop}: pattern must be a string")))?;
            if let Err(e) = regex::Regex::new(pattern) {
                bail!(at(format!(
                    "{parent}.{prop}: pattern {pattern:?} is not a regular expression the server \
                     can apply: {e}"
                )));
            }
            rules.pattern = Some(pattern.to_string());
        }
        Ok(rules)
    }

    fn enum_values(
        &self,
        schema: &Value,
        at: &dyn Fn(String) -> anyhow::Error,
        what: impl Fn() -> String,
    ) -> Result<Vec<String>> {
        schema["enum"]
            .as_sequence()
            .into_iter()
            .flatten()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| at(format!("{}: enum values must be strings", what())))
            })
            .collect()
    }

    fn ref_name<'r>(
        &self,
        target: &'r str,
        at: &dyn Fn(String) -> anyhow::Error,
    ) -> Result<&'r str> {
        let name = target
            .strip_prefix("#/components/schemas/")
            .ok_or_else(|| at(format!("$ref {target:?} is not to #/components/schemas/")))?;
        if self.schemas.get(name).is_none() {
            bail!(at(format!("$ref {target:?}: there is no schema {name}")));
        }
        Ok(name)
    }

    fn operation(&self, path: &str, method: &str, op: &Value, item: &Value) -> Result<Operation> {
        let keys = ["paths", path, method];
        let at = |problem: String| self.error(&keys, problem);
        let id = op["operationId"].as_str().unwrap_or_default().to_string();
        let place = format!("{} {path}", method.to_uppercase());
        self.allowed_keys(op, OPERATION_KEYS, &keys, || {
            format!("operation {id} ({place})")
        })?;
        let has = |v: &Value, key| {
            v.get(key)
                .and_then(Value::as_sequence)
                .is_some_and(|s| !s.is_empty())
        };
        if has(op, "parameters") || has(item, "parameters") {
            bail!(at(format!(
                "operation {id} ({place}) has parameters; the server generator does not \
                 generate parameters yet; remove them, or {EXTEND}"
            )));
        }
        // An operation's own `security` replaces the document's; a requirement
        // with no scheme (`{}`) is anonymous access.
        let (security, where_) = match op.get("security") {
            Some(s) => (s, vec!["paths", path, method, "security"]),
            None => (&self.doc.yaml["security"], vec!["security"]),
        };
        let requirements: Vec<Vec<&str>> = security
            .as_sequence()
            .into_iter()
            .flatten()
            .map(|r| entries(r).map(|(scheme, _)| scheme).collect())
            .collect();
        if !requirements.is_empty() && requirements.iter().all(|r| !r.is_empty()) {
            let schemes: Vec<&str> = requirements.concat();
            bail!(self.error(
                &where_,
                format!(
                    "operation {id} ({place}) requires security ({}); the server generator does \
                     not carry security requirements yet, so the endpoint would be served without \
                     them. Remove the requirement, or {EXTEND}",
                    schemes.join(", ")
                )
            ));
        }
        let body = match op.get("requestBody") {
            None => None,
            Some(body) => {
                let schema = &body["content"]["application/json"]["schema"];
                let Some(target) = schema["$ref"].as_str() else {
                    bail!(at(format!(
                        "operation {id} ({place}): the request body must be \
                         application/json with a $ref to a components schema"
                    )));
                };
                if body["required"].as_bool() != Some(true) {
                    bail!(at(format!(
                        "operation {id} ({place}): the request body must be `required: true`; \
                         an optional body is not generated; make it required, or {EXTEND}"
                    )));
                }
                Some(self.ref_name(target, &at)?.to_string())
            }
        };
        // Every error is answered in the house body: the spec must say so.
        for (status, response) in entries(&op["responses"]) {
            let schema = &response["content"]["application/json"]["schema"]["$ref"];
            if status.starts_with(['4', '5']) && schema.as_str() != Some(HOUSE_BODY) {
                bail!(self.error(
                    &["paths", path, method, "responses", status],
                    format!(
                        "operation {id} ({place}) response {status}: an error response must be \
                         application/json with `$ref: '{HOUSE_BODY}'`: the server answers every \
                         error in it"
                    )
                ));
            }
        }
        let success: Vec<(&str, &Value)> = entries(&op["responses"])
            .filter(|(status, _)| status.starts_with('2'))
            .collect();
        let [(status, response)] = success.as_slice() else {
            bail!(at(format!(
                "operation {id} ({place}) must document exactly one 2xx response (it has {})",
                success.len()
            )));
        };
        let body_type = match response["content"]["application/json"]["schema"]["$ref"].as_str() {
            Some(target) => Some(self.ref_name(target, &at)?.to_string()),
            None if response.get("content").is_none() => None,
            None => bail!(at(format!(
                "operation {id} ({place}) response {status}: the body must be \
                 application/json with a $ref to a components schema"
            ))),
        };
        let success = match (*status, body_type) {
            (s @ ("200" | "201" | "202"), Some(t)) => Success::Body(s.parse().unwrap(), t),
            ("204", None) => Success::NoContent,
            (s, t) => bail!(at(format!(
                "operation {id} ({place}): a {s} response {} is not generated; use 200, \
                 201 or 202 with a JSON body, or 204 without one",
                if t.is_some() {
                    "with a body"
                } else {
                    "without a body"
                }
            ))),
        };
        let pairs = self
            .catalogue
            .operations
            .iter()
            .find(|o| o.operation_id == id)
            .map(|o| o.pairs.clone())
            .unwrap_or_default();
        let documents =
            |group: &str, code: i64| pairs.iter().any(|(g, c)| g == group && *c == code);
        let Some(server_error) = pairs
            .iter()
            .find(|(g, c)| self.catalogue.get(g, *c).is_some_and(|e| e.status >= 500))
            .cloned()
        else {
            bail!(at(format!(
                "operation {id} ({place}) documents no 5xx error; dropshot and the \
                 server answer their own failures with one, so document a pair in a \
                 500 response (`- [group:**GROUP**, code:**N**]: Message.`)"
            )));
        };
        let mut needed = vec![("request", 0)];
        if body.is_some() {
            needed.push(("request", 1));
        }
        for (group, code) in needed {
            let status = self.catalogue.get(group, code).map(|e| e.status);
            if !documents(group, code) || status != Some(400) {
                bail!(at(format!(
                    "operation {id} ({place}) must document [group:**{group}**, \
                     code:**{code}**] in its 400 response: the request rules and the \
                     JSON body answer with it"
                )));
            }
        }
        Ok(Operation {
            id,
            method: method.to_string(),
            path: path.to_string(),
            tags: op["tags"]
                .as_sequence()
                .into_iter()
                .flatten()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect(),
            summary: op["summary"].as_str().map(str::to_string),
            description: op["description"].as_str().map(str::to_string),
            body,
            success,
            pairs,
            server_error,
        })
    }

    /// A body's rules may answer a documented error of their own
    /// (`x-ias-enum-error`, its `$ref`s followed): its operation must
    /// document it too.
    fn check_enum_errors(&self, model: &Model) -> Result<()> {
        for op in &model.operations {
            let Some(body) = &op.body else { continue };
            let mut named = Vec::new();
            enum_errors(model, body, &mut BTreeSet::new(), &mut named);
            for ((group, code), prop) in named {
                if !op.pairs.iter().any(|(g, c)| *g == group && *c == code) {
                    let place = format!("{} {}", op.method.to_uppercase(), op.path);
                    bail!(self.error(
                        &["paths", &op.path, &op.method],
                        format!(
                            "operation {} ({place}): its body can be answered with error \
                             {group}/{code} (`{ENUM_ERROR}` on {prop}), which the operation does \
                             not document; list `- [group:**{group}**, code:**{code}**]: ...` in \
                             its error responses",
                            op.id
                        )
                    ));
                }
            }
        }
        Ok(())
    }

    /// Refuses a `format` the generator does not carry for the schema's type.
    fn check_format(&self, p: &Value, keys: &[&str], what: impl Fn() -> String) -> Result<()> {
        let Some(format) = p.get("format") else {
            return Ok(());
        };
        let ty = p["type"].as_str().unwrap_or("(none)");
        let carried = FORMATS
            .iter()
            .find(|(t, _)| *t == ty)
            .map_or(&[][..], |(_, f)| *f);
        if format.as_str().is_some_and(|f| carried.contains(&f)) {
            return Ok(());
        }
        let known = FORMATS
            .iter()
            .map(|(t, f)| format!("{t}: {}", f.join(", ")))
            .collect::<Vec<_>>()
            .join("; ");
        bail!(self.error(
            &[keys, &["format"]].concat(),
            format!(
                "{}: format {} on type {ty} is not carried by the server generator (no \
                 rule would check it); it carries {known}. Remove it, or {EXTEND}",
                what(),
                shown(format)
            )
        ))
    }

    /// Refuses a key the generator does not carry (extensions `x-*` are
    /// allowed: they are the spec's own notes, or read where they matter).
    fn allowed_keys(
        &self,
        object: &Value,
        allowed: &[&str],
        keys: &[&str],
        what: impl Fn() -> String,
    ) -> Result<()> {
        for (key, _) in entries(object) {
            if !key.starts_with("x-") && !allowed.contains(&key) {
                bail!(self.error(
                    &[keys, &[key]].concat(),
                    format!(
                        "{}: `{key}` is not carried by the server generator (it would be \
                         silently ignored); remove it, or {EXTEND}",
                        what()
                    )
                ));
            }
        }
        Ok(())
    }
}

/// The `x-ias-enum-error` pairs a schema's rules can answer with (its
/// `$ref`s followed), with the `schema.property` that names each.
fn enum_errors(
    model: &Model,
    name: &str,
    seen: &mut BTreeSet<String>,
    out: &mut Vec<((String, i64), String)>,
) {
    if !seen.insert(name.to_string()) {
        return;
    }
    let Shape::Object(properties) = &model.schema(name).shape else {
        return;
    };
    for p in properties {
        if let Some(pair) = &p.rules.enum_error {
            out.push((pair.clone(), format!("{name}.{}", p.name)));
        }
        let mut ty = &p.ty;
        while let Type::Array(item) = ty {
            ty = item;
        }
        if let Type::Ref(target) = ty {
            enum_errors(model, target, seen, out);
        }
    }
}

/// The component schemas a shape's properties `$ref` (directly or as array
/// items: where a carried schema can hold one).
fn refs_of(shape: &Shape) -> BTreeSet<String> {
    fn walk(ty: &Type, out: &mut BTreeSet<String>) {
        match ty {
            Type::Ref(name) => {
                out.insert(name.clone());
            }
            Type::Array(item) => walk(item, out),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    if let Shape::Object(properties) = shape {
        properties.iter().for_each(|p| walk(&p.ty, &mut out));
    }
    out
}

fn description(v: &Value) -> Option<String> {
    v["description"]
        .as_str()
        .filter(|d| !d.trim().is_empty())
        .map(str::to_string)
}

/// A property's Rust field name: snake_case; a keyword as a raw identifier,
/// except the four that cannot be one (`self`, `Self`, `super`, `crate`),
/// which get a trailing `_`.
fn field_name(prop: &str) -> String {
    let name = prop.to_snake_case();
    if matches!(name.as_str(), "self" | "Self" | "super" | "crate") {
        format!("{name}_")
    } else if syn::parse_str::<syn::Ident>(&name).is_err() {
        format!("r#{name}")
    } else {
        name
    }
}

fn semver_like(v: &str) -> Option<()> {
    let mut parts = v.split('.');
    for _ in 0..3 {
        parts.next()?.parse::<u64>().ok()?;
    }
    parts.next().is_none().then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every shape the model carries, in one small spec.
    const SPEC: &str = r#"openapi: 3.0.3
info:
  title: Shapes
  version: 1.2.3
paths:
  /items:
    get:
      operationId: listItems
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Item'
        '400':
          description: |
            - [group:**request**, code:**0**]: Invalid field.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/ErrStatusMsg'
        '500':
          description: |
            - [group:**item**, code:**500**]: Failed.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/ErrStatusMsg'
    post:
      operationId: createItem
      tags: [items]
      summary: Create.
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/Item'
      responses:
        '201':
          description: created
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Item'
        '400':
          description: |
            - [group:**request**, code:**0**]: Invalid field.
            - [group:**request**, code:**1**]: Body required.
            - [group:**item**, code:**1**]: Unknown kind.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/ErrStatusMsg'
        '500':
          description: |
            - [group:**item**, code:**500**]: Failed.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/ErrStatusMsg'
    delete:
      operationId: deleteItems
      responses:
        '204':
          description: gone
        '400':
          description: |
            - [group:**request**, code:**0**]: Invalid field.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/ErrStatusMsg'
        '500':
          description: |
            - [group:**item**, code:**500**]: Failed.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/ErrStatusMsg'
components:
  schemas:
    Item:
      type: object
      required: [name, type]
      properties:
        name:
          type: string
          minLength: 1
          maxLength: 9
          pattern: '^[a-z]+$'
        count:
          type: integer
          format: int32
          minimum: 1
          maximum: 5
        total:
          type: integer
        ratio:
          type: number
          format: double
        done:
          type: boolean
        anything:
          description: Any JSON.
        tags:
          type: array
          items:
            type: string
          x-go-type-skip-optional-pointer: true
        children:
          type: array
          items:
            $ref: '#/components/schemas/Status'
        kind:
          type: string
          enum: [a, b]
          x-ias-enum-error: {group: item, code: 1}
        status:
          $ref: '#/components/schemas/Status'
        type:
          type: string
          x-oapi-codegen-extra-tags:
            binding: required
        token:
          type: string
          x-ias-secret: true
    Status:
      type: string
      enum: [active, archived]
    ErrStatusMsg:
      type: object
      properties:
        group: {type: string, x-oapi-codegen-extra-tags: {binding: required}}
        code: {type: integer, x-oapi-codegen-extra-tags: {binding: required}}
        message: {type: string, x-go-type-skip-optional-pointer: true}
        traces: {type: array, items: {type: string}, x-go-type-skip-optional-pointer: true}
        validationDetail:
          type: array
          items: {$ref: '#/components/schemas/ValidationDetail'}
          x-go-type-skip-optional-pointer: true
    ValidationDetail:
      type: object
      properties:
        field: {type: string, x-go-type-skip-optional-pointer: true}
        expression: {type: string, x-go-type-skip-optional-pointer: true}
        argument: {type: string, x-go-type-skip-optional-pointer: true}
        originalValue: {x-go-type-skip-optional-pointer: true}
        reason: {type: string, x-go-type-skip-optional-pointer: true}
"#;

    fn read_text(text: &str) -> Result<Model> {
        let doc = ias_spec::parse("s.yaml", text).map_err(anyhow::Error::from)?;
        let catalogue = Catalogue::of(&doc)?;
        read(&doc, &catalogue)
    }

    #[test]
    fn reads_every_carried_shape_in_the_spec_order() {
        let model = read_text(SPEC).unwrap();
        assert_eq!(
            (model.title.as_str(), model.version.as_str()),
            ("Shapes", "1.2.3")
        );
        let names: Vec<_> = model.schemas.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            ["Item", "Status", "ErrStatusMsg", "ValidationDetail"]
        );
        assert!(model.schema("Item").request_body && !model.schema("Status").request_body);
        assert_eq!(model.schema("Item").refs, ["Status".to_string()].into());
        let Shape::Object(props) = &model.schema("Item").shape else {
            panic!("an object")
        };
        let summary: Vec<(&str, &str, &Type, Presence, bool, bool)> = props
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.field.as_str(),
                    &p.ty,
                    p.presence,
                    p.secret,
                    p.plain_when_absent,
                )
            })
            .collect();
        let inline = Type::InlineEnum {
            rust: "ItemKind".into(),
            values: vec!["a".into(), "b".into()],
            description: None,
        };
        let status = Type::Ref("Status".into());
        let array_of = |t: Type| Type::Array(Box::new(t));
        use Presence::*;
        #[rustfmt::skip]
        assert_eq!(summary, vec![
            ("name", "name", &Type::String, Required, false, false),
            ("count", "count", &Type::I32, Optional, false, false),
            ("total", "total", &Type::I64, Optional, false, false),
            ("ratio", "ratio", &Type::F64, Optional, false, false),
            ("done", "done", &Type::Bool, Optional, false, false),
            ("anything", "anything", &Type::Any, Optional, false, false),
            ("tags", "tags", &array_of(Type::String), Optional, false, true),
            ("children", "children", &array_of(status.clone()), Optional, false, false),
            ("kind", "kind", &inline, Optional, false, false),
            ("status", "status", &status, Optional, false, false),
            ("type", "r#type", &Type::String, NonZero, false, false),
            ("token", "token", &Type::String, Optional, true, false),
        ]);
        assert_eq!(
            props[0].rules,
            Rules {
                min_length: Some(1),
                max_length: Some(9),
                pattern: Some("^[a-z]+$".into()),
                ..Rules::default()
            }
        );
        assert_eq!(
            (props[1].rules.minimum, props[1].rules.maximum),
            (Some(1.0), Some(5.0))
        );
        assert_eq!(props[8].rules.values, ["a", "b"]);
        assert_eq!(props[8].rules.enum_error, Some(("item".into(), 1)));
        assert_eq!(props[5].description.as_deref(), Some("Any JSON."));
        let Shape::StringEnum(values) = &model.schema("Status").shape else {
            panic!("an enum")
        };
        assert_eq!(values, &["active", "archived"]);

        let ops: Vec<_> = model
            .operations
            .iter()
            .map(|o| {
                (
                    o.id.as_str(),
                    o.method.as_str(),
                    o.body.as_deref(),
                    o.success.clone(),
                    o.pairs.len(),
                )
            })
            .collect();
        #[rustfmt::skip]
        assert_eq!(ops, vec![
            ("listItems", "get", None, Success::Body(200, "Item".into()), 2),
            ("createItem", "post", Some("Item"), Success::Body(201, "Item".into()), 4),
            ("deleteItems", "delete", None, Success::NoContent, 2),
        ]);
        let create = &model.operations[1];
        assert_eq!(create.server_error, ("item".to_string(), 500));
        assert_eq!(
            (create.tags.clone(), create.summary.as_deref()),
            (vec!["items".to_string()], Some("Create."))
        );
        // The JsonSchema is the spec's schema, in the spec's order.
        let json = &model.schema("Status").json;
        assert!(
            json.find("\"type\"").unwrap() < json.find("\"enum\"").unwrap(),
            "{json}"
        );
    }

    #[test]
    fn field_names_are_rust_names() {
        #[rustfmt::skip]
        let cases = [
            ("accessToken", "access_token"), ("type", "r#type"), ("match", "r#match"),
            ("self", "self_"), ("super", "super_"), ("crate", "crate_"), ("HTTPStatus", "http_status"),
        ];
        for (prop, field) in cases {
            assert_eq!(field_name(prop), field);
            let parsed = if let Some(raw) = field.strip_prefix("r#") {
                syn::parse_str::<syn::Ident>(&format!("r#{raw}")).is_ok()
            } else {
                syn::parse_str::<syn::Ident>(field).is_ok()
            };
            assert!(parsed, "{field} is not an identifier");
        }
    }

    /// Each refusal: (edit from, edit to, the error's line and words).
    #[test]
    fn refuses_what_it_cannot_carry_at_its_line() {
        #[rustfmt::skip]
        let cases = [
            ("  version: 1.2.3", "  version: one", "s.yaml:4: info.version \"one\" is not a semver version"),
            ("    Status:\n      type: string\n", "    Status:\n      type: integer\n", "s.yaml:129: schema Status: the generator makes Rust types of objects and string enums; this schema is neither (type \"integer\")"),
            ("          minLength: 1\n", "          minLength: 1\n          nullable: true\n", "s.yaml:91: Item.name: `nullable` is not carried by the server generator"),
            ("        total:\n          type: integer\n", "        total:\n          type: integer\n          format: uint64\n", "s.yaml:100: Item.total: format \"uint64\" on type integer is not carried"),
            ("            type: string\n          x-go-type", "            type: string\n            pattern: x\n          x-go-type", "s.yaml:111: Item.tags.items: `pattern` is not carried"),
            ("            $ref: '#/components/schemas/Status'\n        kind", "            type: object\n        kind", "s.yaml:112: Item.children: an array of objects is not generated"),
            ("            $ref: '#/components/schemas/Status'\n        kind", "            $ref: '#/components/schemas/Nope'\n        kind", "s.yaml:112: $ref \"#/components/schemas/Nope\": there is no schema Nope"),
            ("        done:\n          type: boolean\n", "        done:\n          type: object\n", "s.yaml:103: Item.done: a property of type object is not generated"),
            ("          x-ias-secret: true\n", "          x-ias-secret: true\n          enum: [1]\n", "s.yaml:126: Item.token: enum values must be strings"),
            ("        token:\n          type: string\n", "        token:\n          type: integer\n", "s.yaml:126: Item.token: `x-ias-secret: true` is for strings"),
            ("x-ias-enum-error: {group: item, code: 1}", "x-ias-enum-error: {group: item, code: 9}", "s.yaml:116: Item.kind: `x-ias-enum-error: {\"group\":\"item\",\"code\":9}` must name a documented pair"),
            ("          enum: [a, b]\n", "", "s.yaml:116: Item.kind: `x-ias-enum-error` needs an `enum`"),
            ("          pattern: '^[a-z]+$'\n", "          pattern: '(['\n", "s.yaml:88: Item.name: pattern \"([\" is not a regular expression the server can apply"),
            ("    get:\n      operationId: listItems\n", "    get:\n      operationId: listItems\n      parameters:\n        - {name: q, in: query, schema: {type: string}}\n", "s.yaml:7: operation listItems (GET /items) has parameters"),
            ("    get:\n      operationId: listItems\n", "    get:\n      operationId: listItems\n      security:\n        - bearer: []\n", "s.yaml:9: operation listItems (GET /items) requires security (bearer)"),
            ("    get:\n      operationId: listItems\n", "    get:\n      operationId: listItems\n      servers: []\n", "s.yaml:9: operation listItems (GET /items): `servers` is not carried"),
            ("  /items:\n", "  /items:\n    servers: []\n", "s.yaml:7: path /items: `servers` is not carried"),
            ("      requestBody:\n        required: true\n", "      requestBody:\n        required: false\n", "s.yaml:30: operation createItem (POST /items): the request body must be `required: true`"),
            ("              $ref: '#/components/schemas/Item'\n      responses:\n        '201'", "              type: object\n      responses:\n        '201'", "s.yaml:30: operation createItem (POST /items): the request body must be application/json with a $ref"),
            ("        '201':\n          description: created\n", "        '201':\n          description: created\n        '202':\n          description: accepted\n", "s.yaml:30: operation createItem (POST /items) must document exactly one 2xx response (it has 2)"),
            ("        '204':\n          description: gone\n", "        '200':\n          description: gone\n", "s.yaml:63: operation deleteItems (DELETE /items): a 200 response without a body is not generated"),
            ("        '204':\n          description: gone\n", "        '204':\n          description: gone\n          content:\n            text/plain: {}\n", "s.yaml:63: operation deleteItems (DELETE /items) response 204: the body must be application/json"),
            ("            - [group:**request**, code:**1**]: Body required.\n", "", "s.yaml:30: operation createItem (POST /items) must document [group:**request**, code:**1**]"),
            ("            - [group:**item**, code:**1**]: Unknown kind.\n", "", "s.yaml:115: Item.kind: `x-ias-enum-error"),
            // a string schema without an enum is neither an object nor an enum
            ("    Status:\n      type: string\n      enum: [active, archived]\n", "    Status:\n      type: string\n", "s.yaml:129: schema Status: the generator makes Rust types of objects and string enums; this schema is neither (type \"string\")"),
            ("        tags:\n          type: array\n          items:\n            type: string\n", "        tags:\n          type: array\n", "s.yaml:107: Item.tags: an array needs `items` with a type or a $ref"),
            // request/1 documented by the operation, under another status
            ("            - [group:**request**, code:**1**]: Body required.\n            - [group:**item**, code:**1**]: Unknown kind.\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/ErrStatusMsg'\n", "            - [group:**item**, code:**1**]: Unknown kind.\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/ErrStatusMsg'\n        '422':\n          description: |\n            - [group:**request**, code:**1**]: Body required.\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/ErrStatusMsg'\n", "s.yaml:30: operation createItem (POST /items) must document [group:**request**, code:**1**] in its 400 response"),
            ("                $ref: '#/components/schemas/ErrStatusMsg'\n", "                $ref: '#/components/schemas/Item'\n", "s.yaml:16: operation listItems (GET /items) response 400: an error response must be application/json with `$ref: '#/components/schemas/ErrStatusMsg'`"),
            ("    ErrStatusMsg:\n", "    ErrStatus:\n", "s.yaml:83: schema ErrStatusMsg: every refusal is answered in ErrStatusMsg, which ias-api's runtime builds field by field, so the spec must define ErrStatusMsg {group, code, message, traces, validationDetail} as api-spec/ias-public-api.yaml does"),
            ("        reason: {type: string,", "        reason: {type: integer,", "s.yaml:143: schema ValidationDetail: every refusal is answered in ErrStatusMsg"),
        ];
        let mut failures = Vec::new();
        for (from, to, expected) in cases {
            assert!(SPEC.contains(from), "{from:?} is not in the spec");
            match read_text(&SPEC.replacen(from, to, 1)) {
                Ok(_) => failures.push(format!("accepted: {to:?}\n  expected: {expected}")),
                Err(e) if !e.to_string().starts_with(expected) => {
                    failures.push(format!("{e}\n  expected: {expected}"))
                }
                Err(_) => {}
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn an_operation_must_document_the_pairs_its_body_can_answer() {
        // item/1 documented by another operation, not by createItem.
        let text = SPEC
            .replacen("            - [group:**item**, code:**1**]: Unknown kind.\n", "", 1)
            .replacen(
                "            - [group:**request**, code:**0**]: Invalid field.\n          content:",
                "            - [group:**request**, code:**0**]: Invalid field.\n            - [group:**item**, code:**1**]: Unknown kind.\n          content:",
                1,
            );
        let e = read_text(&text).unwrap_err().to_string();
        let expected = "s.yaml:31: operation createItem (POST /items): its body can be answered with error item/1 (`x-ias-enum-error` on Item.kind), which the operation does not document";
        assert!(e.starts_with(expected), "{e}");
    }

    /// `request/1` documented, but by another operation only: the pair is in
    /// the catalogue (under 400), and still not this operation's.
    #[test]
    fn an_operation_with_a_body_documents_request_1_itself() {
        let text = SPEC
            .replacen("            - [group:**request**, code:**1**]: Body required.\n", "", 1)
            .replacen(
                "            - [group:**request**, code:**0**]: Invalid field.\n          content:",
                "            - [group:**request**, code:**0**]: Invalid field.\n            - [group:**request**, code:**1**]: Body required.\n          content:",
                1,
            );
        let e = read_text(&text).unwrap_err().to_string();
        let expected = "s.yaml:31: operation createItem (POST /items) must document [group:**request**, code:**1**] in its 400 response";
        assert!(e.starts_with(expected), "{e}");
    }
}
