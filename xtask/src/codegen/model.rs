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
    "additionalProperties",
    "allOf",
    "oneOf",
    "anyOf",
    "discriminator",
    "enum",
    "description",
    "example",
    "title",
    "deprecated",
    "externalDocs",
];
/// Keys of a property schema the generator carries: the type, the rules it
/// applies, documentation. Anything else (`oneOf`, `default`, `readOnly`,
/// `writeOnly`, ...) is refused rather than ignored.
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
    "minItems",
    "maxItems",
    "uniqueItems",
    "multipleOf",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "nullable",
    "description",
    "example",
    "title",
    "deprecated",
    "externalDocs",
];
/// Keys of an array's `items` the generator carries: a type and the rules
/// each item is judged by (`x-ias-secret` makes each a credential).
const ITEMS_KEYS: &[&str] = &[
    "type",
    "format",
    "$ref",
    "enum",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "pattern",
    "multipleOf",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "description",
    "example",
    "title",
];
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
/// Keys of a parameter the generator carries (`content`, `allowEmptyValue`,
/// `allowReserved` and cookies are refused).
const PARAMETER_KEYS: &[&str] = &[
    "name",
    "in",
    "description",
    "required",
    "deprecated",
    "schema",
    "example",
    "examples",
    "style",
    "explode",
];
/// Keys of a parameter's schema: a scalar type and the rules applied to it.
const PARAMETER_SCHEMA_KEYS: &[&str] = &[
    "type",
    "format",
    "enum",
    "$ref",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "pattern",
    "description",
    "example",
    "title",
];
/// Keys of a security scheme the generator carries.
const SECURITY_SCHEME_KEYS: &[&str] = &[
    "type",
    "scheme",
    "bearerFormat",
    "name",
    "in",
    "description",
];
/// The documented error a request without a scheme's credential gets.
pub const SCHEME_ERROR: &str = "x-ias-error";
/// Headers HTTP or OpenAPI gives a meaning of their own (OpenAPI 3.0:
/// `Accept`, `Content-Type` and `Authorization` parameters are ignored).
const RESERVED_HEADERS: &[&str] = &[
    "accept",
    "content-type",
    "authorization",
    "content-length",
    "transfer-encoding",
    "connection",
    "host",
    "cookie",
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
    /// `components.securitySchemes`, in the spec's order.
    pub security_schemes: Vec<SecurityScheme>,
}

/// A security scheme: where a request carries a credential.
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityScheme {
    /// Its name in `components.securitySchemes`.
    pub name: String,
    pub kind: SchemeKind,
    /// `x-ias-error`: the documented pair a request without it gets.
    pub error: (String, i64),
}

/// How a scheme carries its credential.
#[derive(Debug, Clone, PartialEq)]
pub enum SchemeKind {
    /// `type: http`, `scheme: bearer`.
    Bearer,
    /// `type: apiKey`, `in: header`: the header's name (lower case).
    ApiKeyHeader(String),
}

/// Where a parameter is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    Header,
}

/// A parameter of an operation: its rules and Rust field are a
/// [`Property`] (named as the spec spells it), `Presence::Required` when
/// `required: true`.
#[derive(Debug)]
pub struct Parameter {
    pub location: Location,
    pub property: Property,
    /// Its schema as JSON, for the server's document.
    pub schema_json: String,
}

/// An operation's parameters: their struct (a schema of its own, named
/// `{OperationId}Params`, not in `components`) and each one's place.
#[derive(Debug)]
pub struct Params {
    pub schema: Schema,
    pub parameters: Vec<Parameter>,
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
    /// `additionalProperties: false`: properties it does not list are refused.
    pub closed: bool,
}

/// What a component schema becomes in Rust.
#[derive(Debug)]
pub enum Shape {
    /// A struct.
    Object(Vec<Property>),
    /// An enum of string values.
    StringEnum(Vec<String>),
    /// A `oneOf` of object schemas told apart by a discriminator property:
    /// each mapped value and its schema (by name), in the spec's order.
    OneOf {
        property: String,
        variants: Vec<(String, String)>,
    },
}

/// A property of an object schema.
#[derive(Debug, Clone)]
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
    /// `nullable: true`: `null` is a value of its own.
    pub nullable: bool,
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
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Rules {
    pub values: Vec<String>,
    /// `x-ias-enum-error`: the documented pair a value outside `values` gets.
    pub enum_error: Option<(String, i64)>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub pattern: Option<String>,
    /// OpenAPI 3.0's `exclusiveMinimum: true`/`exclusiveMaximum: true`: the
    /// bound itself is out.
    pub exclusive_minimum: bool,
    pub exclusive_maximum: bool,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub unique_items: bool,
    pub multiple_of: Option<f64>,
    /// An array's items: their rules, and whether each is a credential.
    pub items: Option<Box<Rules>>,
    pub item_secret: bool,
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
    /// Its parameters (path-level ones, overridden by its own), if any.
    pub params: Option<Params>,
    /// The security requirements in force (its own, else the document's):
    /// alternatives, each the schemes that must all be present; an empty
    /// alternative is anonymous access. Empty: no credential needed.
    pub security: Vec<Vec<String>>,
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

impl Schema {
    /// A union's discriminator and (value, variant) pairs, for tests.
    #[cfg(test)]
    fn shape_union(&self) -> Option<(&str, Vec<(&str, &str)>)> {
        match &self.shape {
            Shape::OneOf { property, variants } => Some((
                property.as_str(),
                variants
                    .iter()
                    .map(|(v, s)| (v.as_str(), s.as_str()))
                    .collect(),
            )),
            _ => None,
        }
    }
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
    /// An error at `keys`' line: the deepest of them that can be found (a
    /// key inside a flow mapping `{...}` is at its parent's line).
    fn error(&self, keys: &[&str], problem: String) -> anyhow::Error {
        let line = (1..=keys.len())
            .rev()
            .find_map(|n| locate(&self.doc.text, &keys[..n]));
        SpecError::at(&self.doc.name, line, problem).into()
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
        let security_schemes = self.security_schemes()?;
        let mut operations = Vec::new();
        for (path, item) in entries(&self.doc.yaml["paths"]) {
            self.allowed_keys(item, PATH_ITEM_KEYS, &["paths", path], || {
                format!("path {path}")
            })?;
            for method in METHODS {
                if let Some(op) = item.get(*method) {
                    operations.push(self.operation(path, method, op, item, &security_schemes)?);
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
            security_schemes,
        };
        self.check_params_names(&model)?;
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
        let merged;
        let schema = match schema.get("allOf") {
            Some(parts) => {
                merged = self.all_of(name, schema, parts, &mut Vec::new())?;
                &merged
            }
            None => schema,
        };
        let shape = match schema["type"].as_str() {
            _ if schema.get("anyOf").is_some() => bail!(self.error(
                &[&keys[..], &["anyOf"]].concat(),
                format!(
                    "schema {name}: anyOf is not carried: a value may match several of its \
                     schemas, so which Rust type and which rules apply is not one answer; use \
                     oneOf with a discriminator, or {EXTEND}"
                )
            )),
            _ if schema.get("oneOf").is_some() => self.one_of(name, schema)?,
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
        let closed = match schema.get("additionalProperties") {
            None => false,
            Some(Value::Bool(allowed)) if matches!(shape, Shape::Object(_)) => !allowed,
            Some(other) => bail!(self.error(
                &[&keys[..], &["additionalProperties"]].concat(),
                format!(
                    "schema {name}: `additionalProperties: {}` is not carried; the generator \
                     carries `false` (unknown properties refused) or `true` on an object; a \
                     map of values is not generated yet: {EXTEND}",
                    shown(other)
                )
            )),
        };
        Ok(Schema {
            name: name.to_string(),
            rust: name.to_upper_camel_case(),
            description: description(schema),
            shape,
            json: schemars_json(schema),
            refs,
            request_body: false,
            closed,
        })
    }

    /// A `oneOf` of `$ref`s to object schemas, each mapped by the
    /// discriminator (oapi-codegen's two refusals: an inline variant, an
    /// unmapped one; and without a discriminator variants may overlap).
    fn one_of(&self, name: &str, schema: &Value) -> Result<Shape> {
        let keys = ["components", "schemas", name, "oneOf"];
        let at = |problem: String| self.error(&keys, problem);
        let Some(property) = schema["discriminator"]["propertyName"].as_str() else {
            bail!(at(format!(
                "schema {name}: a oneOf without a discriminator is not carried: its variants \
                 may overlap, so a value could be read as more than one; add \
                 `discriminator: {{propertyName: ..., mapping: ...}}`, or {EXTEND}"
            )));
        };
        let mapping: Vec<(&str, &str)> = entries(&schema["discriminator"]["mapping"])
            .filter_map(|(value, target)| Some((value, target.as_str()?)))
            .collect();
        let mut variants = Vec::new();
        for (i, variant) in schema["oneOf"]
            .as_sequence()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let index = format!("#{i}");
            let variant_at =
                |problem: String| self.error(&[&keys[..], &[index.as_str()]].concat(), problem);
            let Some(target) = variant["$ref"].as_str() else {
                bail!(variant_at(format!(
                    "schema {name}: oneOf variant {i} is inline; give it a named schema and a \
                     $ref (each variant is a Rust type of its own)"
                )));
            };
            let values: Vec<&str> = mapping
                .iter()
                .filter(|(_, t)| *t == target)
                .map(|(v, _)| *v)
                .collect();
            let [value] = values.as_slice() else {
                bail!(variant_at(format!(
                    "schema {name}: oneOf variant {target} is {} the discriminator's mapping; map \
                     each variant from exactly one {property} value",
                    if values.is_empty() {
                        "not in"
                    } else {
                        "mapped more than once in"
                    }
                )));
            };
            let variant_name = self.ref_name(target, &variant_at)?;
            let variant_schema = &self.schemas[variant_name];
            let merged;
            let variant_schema = match variant_schema.get("allOf") {
                Some(parts) => {
                    merged = self.all_of(variant_name, variant_schema, parts, &mut Vec::new())?;
                    &merged
                }
                None => variant_schema,
            };
            let required = variant_schema["required"]
                .as_sequence()
                .is_some_and(|r| r.iter().any(|p| p.as_str() == Some(property)));
            if variant_schema["type"].as_str() != Some("object")
                || variant_schema["properties"][property]["type"].as_str() != Some("string")
                || !required
            {
                bail!(variant_at(format!(
                    "schema {name}: oneOf variant {variant_name} must be an object with a \
                     required string property {property} (the discriminator)"
                )));
            }
            variants.push((value.to_string(), variant_name.to_string()));
        }
        if let Some((value, _)) = mapping
            .iter()
            .find(|(v, _)| !variants.iter().any(|(w, _)| w == v))
        {
            bail!(at(format!(
                "schema {name}: the discriminator maps {value} to a schema that is not one of \
                 the oneOf variants"
            )));
        }
        if variants.is_empty() {
            bail!(at(format!("schema {name}: oneOf needs its variants")));
        }
        Ok(Shape::OneOf {
            property: property.to_string(),
            variants,
        })
    }

    /// An `allOf` of `$ref`s to object schemas and inline objects, merged
    /// into one object: properties in order, `required` joined. A property
    /// defined twice differently is refused (which would win is unclear).
    fn all_of(
        &self,
        name: &str,
        schema: &Value,
        parts: &Value,
        seen: &mut Vec<String>,
    ) -> Result<Value> {
        let keys = ["components", "schemas", name, "allOf"];
        let at = |problem: String| self.error(&keys, problem);
        let mut properties = serde_yaml::Mapping::new();
        let mut required: Vec<Value> = Vec::new();
        let mut closed = None;
        let mut add = |part: &Value, from: &str| -> Result<()> {
            for (prop, p) in entries(&part["properties"]) {
                match properties.get(prop) {
                    Some(earlier) if earlier != p => bail!(at(format!(
                        "schema {name}: allOf defines property {prop} twice, differently \
                         ({from} too); define it once"
                    ))),
                    Some(_) => {}
                    None => {
                        properties.insert(prop.into(), p.clone());
                    }
                }
            }
            for r in part["required"].as_sequence().into_iter().flatten() {
                if !required.contains(r) {
                    required.push(r.clone());
                }
            }
            if let Some(extra) = part.get("additionalProperties") {
                closed = Some(extra.clone());
            }
            Ok(())
        };
        let own: Vec<Value> = parts.as_sequence().cloned().unwrap_or_default();
        if own.is_empty() {
            bail!(at(format!("schema {name}: allOf needs a list of schemas")));
        }
        for (i, part) in own.iter().enumerate() {
            let index = format!("#{i}");
            let part_keys = [&keys[..], &[index.as_str()]].concat();
            if let Some(target) = part["$ref"].as_str() {
                let target = self.ref_name(target, &at)?;
                if seen.iter().any(|s| s == target) || target == name {
                    bail!(at(format!(
                        "schema {name}: allOf refers to itself through {target}"
                    )));
                }
                let base = &self.schemas[target];
                let base = match base.get("allOf") {
                    Some(inner) => {
                        seen.push(name.to_string());
                        self.all_of(target, base, inner, seen)?
                    }
                    None if base["type"].as_str() == Some("object") => base.clone(),
                    None => bail!(at(format!(
                        "schema {name}: allOf's {target} is not an object schema; only objects \
                         merge"
                    ))),
                };
                add(&base, target)?;
            } else {
                self.allowed_keys(
                    part,
                    &[
                        "type",
                        "properties",
                        "required",
                        "description",
                        "additionalProperties",
                    ],
                    &part_keys,
                    || format!("schema {name}: allOf's inline part"),
                )?;
                if part["type"].as_str().is_some_and(|t| t != "object") {
                    bail!(self.error(
                        &part_keys,
                        format!("schema {name}: allOf's inline part must be an object")
                    ));
                }
                add(part, "an inline part")?;
            }
        }
        add(schema, "the schema itself")?;
        let mut merged = serde_yaml::Mapping::new();
        merged.insert("type".into(), "object".into());
        merged.insert("properties".into(), Value::Mapping(properties));
        if !required.is_empty() {
            merged.insert("required".into(), Value::Sequence(required));
        }
        if let Some(closed) = closed {
            merged.insert("additionalProperties".into(), closed);
        }
        Ok(Value::Mapping(merged))
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
            let nullable = p.get("nullable").and_then(Value::as_bool) == Some(true);
            if nullable && p.get("$ref").is_some() {
                bail!(at(format!(
                    "{name}.{prop}: `nullable` beside a `$ref` is ignored by OpenAPI 3.0 (a \
                     `$ref`'s siblings are); give the property a type, or {EXTEND}"
                )));
            }
            let plain = matches!(ty, Type::String | Type::Array(_)) && !secret && !nullable;
            out.push(Property {
                name: prop.to_string(),
                field: field_name(prop),
                description: description(p),
                rules: self.rules(name, prop, p, &keys)?,
                plain_when_absent: skip_pointer && plain && presence == Presence::Optional,
                ty,
                presence,
                secret,
                nullable,
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
        for (keyword, bound, flag) in [
            (
                "exclusiveMinimum",
                rules.minimum,
                &mut rules.exclusive_minimum,
            ),
            (
                "exclusiveMaximum",
                rules.maximum,
                &mut rules.exclusive_maximum,
            ),
        ] {
            if let Some(v) = p.get(keyword) {
                *flag =
                    v.as_bool().ok_or_else(|| {
                        at(format!(
                        "{parent}.{prop}: {keyword} must be true or false (OpenAPI 3.0; the bound \
                         is `{}`)",
                        if keyword == "exclusiveMinimum" { "minimum" } else { "maximum" }
                    ))
                    })?;
                if *flag && bound.is_none() {
                    bail!(at(format!(
                        "{parent}.{prop}: {keyword}: true needs the bound it makes exclusive (`{}`)",
                        if keyword == "exclusiveMinimum" { "minimum" } else { "maximum" }
                    )));
                }
            }
        }
        rules.min_items = whole("minItems")?;
        rules.max_items = whole("maxItems")?;
        rules.multiple_of = number("multipleOf")?;
        if rules.multiple_of.is_some_and(|m| m <= 0.0) {
            bail!(at(format!(
                "{parent}.{prop}: multipleOf must be greater than 0"
            )));
        }
        if let Some(unique) = p.get("uniqueItems") {
            rules.unique_items = unique.as_bool().ok_or_else(|| {
                at(format!(
                    "{parent}.{prop}: uniqueItems must be true or false"
                ))
            })?;
        }
        if p["type"].as_str() == Some("integer") && p["format"].as_str() == Some("int32") {
            // Beyond int32 the value would not fit the Rust type: say so as a rule.
            rules.minimum.get_or_insert(f64::from(i32::MIN));
            rules.maximum.get_or_insert(f64::from(i32::MAX));
        }
        if p["type"].as_str() == Some("array") {
            let items = &p["items"];
            let item_keys = [keys, &["items"]].concat();
            let mut item_rules = self.rules(parent, &format!("{prop}[]"), items, &item_keys)?;
            item_rules.items = None;
            rules.item_secret = items.get(SECRET).and_then(Value::as_bool) == Some(true);
            if rules.item_secret && items["type"].as_str() != Some("string") {
                bail!(self.error(
                    &item_keys,
                    format!(
                        "{parent}.{prop}.items: `{SECRET}: true` is for strings (a credential); \
                         these items are not strings"
                    )
                ));
            }
            rules.items = Some(Box::new(item_rules));
        }
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

    fn operation(
        &self,
        path: &str,
        method: &str,
        op: &Value,
        item: &Value,
        schemes: &[SecurityScheme],
    ) -> Result<Operation> {
        let keys = ["paths", path, method];
        let at = |problem: String| self.error(&keys, problem);
        let id = op["operationId"].as_str().unwrap_or_default().to_string();
        let place = format!("{} {path}", method.to_uppercase());
        self.allowed_keys(op, OPERATION_KEYS, &keys, || {
            format!("operation {id} ({place})")
        })?;
        let params = self.params(&id, &place, path, method, op, item)?;
        let security = self.operation_security(&id, &place, path, method, op, schemes)?;
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
        // What the generated endpoint can answer follows from the inputs.
        let mut needed = Vec::new();
        if body.is_some() || params.is_some() {
            needed.push((("request", 0), "the request rules answer with it"));
        }
        if body.is_some() {
            needed.push((("request", 1), "a missing body is answered with it"));
        }
        for ((group, code), why) in needed {
            let status = self.catalogue.get(group, code).map(|e| e.status);
            if !documents(group, code) || status != Some(400) {
                bail!(at(format!(
                    "operation {id} ({place}) must document [group:**{group}**, \
                     code:**{code}**] in its 400 response: {why}"
                )));
            }
        }
        for scheme in schemes {
            let used = security.iter().flatten().any(|s| *s == scheme.name);
            let (group, code) = &scheme.error;
            if used && !documents(group, *code) {
                bail!(at(format!(
                    "operation {id} ({place}) requires security scheme {} but does not \
                     document its `{SCHEME_ERROR}` [group:**{group}**, code:**{code}**]: a \
                     request without the credential is answered with it; list \
                     `- [group:**{group}**, code:**{code}**]: ...` in its 401 response",
                    scheme.name
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
            params,
            security,
            success,
            pairs,
            server_error,
        })
    }

    /// `components.securitySchemes`: bearer tokens and API keys in a header,
    /// each naming the documented error a request without it gets.
    fn security_schemes(&self) -> Result<Vec<SecurityScheme>> {
        let mut out = Vec::new();
        for (name, scheme) in entries(&self.doc.yaml["components"]["securitySchemes"]) {
            let keys = ["components", "securitySchemes", name];
            let at = |problem: String| self.error(&keys, problem);
            self.allowed_keys(scheme, SECURITY_SCHEME_KEYS, &keys, || {
                format!("security scheme {name}")
            })?;
            let ty = scheme["type"].as_str().unwrap_or_default();
            let kind = match ty {
                "http"
                    if scheme["scheme"]
                        .as_str()
                        .is_some_and(|s| s.eq_ignore_ascii_case("bearer")) =>
                {
                    SchemeKind::Bearer
                }
                "apiKey" if scheme["in"].as_str() == Some("header") => {
                    let header = scheme["name"].as_str().unwrap_or_default();
                    if let Some(problem) = header_problem(header) {
                        bail!(at(format!(
                            "security scheme {name}: header {header:?} {problem}"
                        )));
                    }
                    SchemeKind::ApiKeyHeader(header.to_ascii_lowercase())
                }
                _ => bail!(at(format!(
                    "security scheme {name} (type {ty}{}): the server generator carries `type: \
                     http` with `scheme: bearer`, and `type: apiKey` with `in: header`; describe \
                     it as one of those, or {EXTEND}",
                    match (scheme["scheme"].as_str(), scheme["in"].as_str()) {
                        (Some(x), _) | (None, Some(x)) => format!(", {x}"),
                        (None, None) => String::new(),
                    }
                ))),
            };
            let pair = &scheme[SCHEME_ERROR];
            let (group, code) = (pair["group"].as_str(), pair["code"].as_i64());
            let Some(documented) = group.zip(code).and_then(|(g, c)| self.catalogue.get(g, c))
            else {
                bail!(at(format!(
                    "security scheme {name}: `{SCHEME_ERROR}: {{group: GROUP, code: N}}` must \
                     name the documented pair a request without the credential gets (usually a \
                     401); it is {}",
                    if pair.is_null() {
                        "missing".to_string()
                    } else {
                        format!("{}, which no response documents", shown(pair))
                    }
                )));
            };
            out.push(SecurityScheme {
                name: name.to_string(),
                kind,
                error: (documented.group.clone(), documented.code),
            });
        }
        Ok(out)
    }

    /// An operation's security requirements (its own `security`, else the
    /// document's), each scheme one of `components.securitySchemes`.
    fn operation_security(
        &self,
        id: &str,
        place: &str,
        path: &str,
        method: &str,
        op: &Value,
        schemes: &[SecurityScheme],
    ) -> Result<Vec<Vec<String>>> {
        let (security, keys) = match op.get("security") {
            Some(s) => (s, vec!["paths", path, method, "security"]),
            None => (&self.doc.yaml["security"], vec!["security"]),
        };
        let mut out = Vec::new();
        for requirement in security.as_sequence().into_iter().flatten() {
            let mut alternative = Vec::new();
            for (scheme, scopes) in entries(requirement) {
                if !schemes.iter().any(|s| s.name == scheme) {
                    bail!(self.error(
                        &keys,
                        format!(
                            "operation {id} ({place}) requires security scheme {scheme:?}, which \
                             components.securitySchemes does not define"
                        )
                    ));
                }
                if scopes.as_sequence().is_none_or(|s| !s.is_empty()) {
                    bail!(self.error(
                        &keys,
                        format!(
                            "operation {id} ({place}): security scheme {scheme} takes no scopes \
                             (`{scheme}: []`); only OAuth2 and OpenID schemes have scopes"
                        )
                    ));
                }
                alternative.push(scheme.to_string());
            }
            out.push(alternative);
        }
        if out.iter().all(Vec::is_empty) {
            // `[]`, `[{}]`: anonymous access only.
            out.clear();
        }
        Ok(out)
    }

    /// An operation's parameters: the path item's, then its own (which
    /// replace a path item's of the same `in` and `name`).
    fn params(
        &self,
        id: &str,
        place: &str,
        path: &str,
        method: &str,
        op: &Value,
        item: &Value,
    ) -> Result<Option<Params>> {
        let mut found: Vec<(Vec<String>, &Value, bool)> = Vec::new();
        for (owner, list, own) in [
            (vec!["paths", path], item, false),
            (vec!["paths", path, method], op, true),
        ] {
            for (i, p) in list["parameters"]
                .as_sequence()
                .into_iter()
                .flatten()
                .enumerate()
            {
                let mut keys: Vec<String> = owner.iter().map(|k| k.to_string()).collect();
                keys.extend(["parameters".to_string(), format!("#{i}")]);
                let (keys, p) = self.parameter_ref(keys, p)?;
                let same = |q: &Value| q["name"] == p["name"] && q["in"] == p["in"];
                match found.iter().position(|(_, q, _)| same(q)) {
                    Some(at) if found[at].2 == own => {
                        let k: Vec<&str> = keys.iter().map(String::as_str).collect();
                        bail!(self.error(
                            &k,
                            format!(
                                "operation {id} ({place}): parameter {} ({}) is listed twice",
                                shown(&p["name"]),
                                shown(&p["in"])
                            )
                        ));
                    }
                    Some(at) => found[at] = (keys, p, own),
                    None => found.push((keys, p, own)),
                }
            }
        }
        let params_rust = format!("{}Params", id.to_upper_camel_case());
        let mut parameters = Vec::new();
        for (keys, p, _) in &found {
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            parameters.push(self.parameter(id, place, &params_rust, &keys, p)?);
        }
        // Every `{name}` of the path template is a path parameter, and back.
        let template: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        let declared: BTreeSet<&str> = parameters
            .iter()
            .filter(|p| p.location == Location::Path)
            .map(|p| p.property.name.as_str())
            .collect();
        if template != declared {
            let missing: Vec<&&str> = template.difference(&declared).collect();
            let extra: Vec<&&str> = declared.difference(&template).collect();
            bail!(self.error(
                &["paths", path, method],
                format!(
                    "operation {id} ({place}): the path template's variables and its path \
                     parameters differ (in the template only: {missing:?}; declared only: \
                     {extra:?}); declare each `{{name}}` as `in: path`, `required: true`"
                )
            ));
        }
        let mut fields = BTreeSet::new();
        for p in &parameters {
            if !fields.insert(p.property.field.clone()) {
                bail!(self.error(
                    &["paths", path, method],
                    format!(
                        "operation {id} ({place}): two parameters become the Rust field {} \
                         (one is {:?}); rename one",
                        p.property.field, p.property.name
                    )
                ));
            }
        }
        if parameters.is_empty() {
            return Ok(None);
        }
        let properties: Vec<(String, serde_json::Value)> = parameters
            .iter()
            .map(|p| {
                let schema = serde_json::from_str(&p.schema_json).expect("JSON we wrote");
                (p.property.name.clone(), schema)
            })
            .collect();
        let required: Vec<&str> = parameters
            .iter()
            .filter(|p| p.property.presence == Presence::Required)
            .map(|p| p.property.name.as_str())
            .collect();
        let json = serde_json::json!({
            "type": "object",
            "properties": serde_json::Map::from_iter(properties),
            "required": required,
        });
        let mut schema = Schema {
            name: params_rust.clone(),
            rust: params_rust,
            description: Some(format!("The parameters of `{id}` ({place}).")),
            shape: Shape::Object(Vec::new()),
            json: serde_json::to_string_pretty(&json).expect("JSON"),
            refs: BTreeSet::new(),
            request_body: false,
            closed: false,
        };
        let shape = Shape::Object(parameters.iter().map(|p| p.property.clone()).collect());
        schema.refs = refs_of(&shape);
        schema.shape = shape;
        Ok(Some(Params { schema, parameters }))
    }

    /// A parameter, or the one its `$ref` names (`#/components/parameters/X`),
    /// with the keys that locate it.
    fn parameter_ref<'v>(
        &'v self,
        keys: Vec<String>,
        p: &'v Value,
    ) -> Result<(Vec<String>, &'v Value)> {
        let Some(target) = p["$ref"].as_str() else {
            return Ok((keys, p));
        };
        let k: Vec<&str> = keys.iter().map(String::as_str).collect();
        let name = target
            .strip_prefix("#/components/parameters/")
            .ok_or_else(|| {
                self.error(
                    &k,
                    format!("$ref {target:?} is not to #/components/parameters/"),
                )
            })?;
        let found = self.doc.yaml["components"]["parameters"]
            .get(name)
            .ok_or_else(|| {
                self.error(&k, format!("$ref {target:?}: there is no parameter {name}"))
            })?;
        let keys = ["components", "parameters", name]
            .map(str::to_string)
            .to_vec();
        Ok((keys, found))
    }

    fn parameter(
        &self,
        id: &str,
        place: &str,
        params_rust: &str,
        keys: &[&str],
        p: &Value,
    ) -> Result<Parameter> {
        let at = |problem: String| self.error(keys, problem);
        let name = p["name"].as_str().unwrap_or_default();
        let what = || format!("operation {id} ({place}): parameter {name:?}");
        self.allowed_keys(p, PARAMETER_KEYS, keys, what)?;
        if name.is_empty() {
            bail!(at(format!("{}: a parameter needs a `name`", what())));
        }
        let location = match p["in"].as_str() {
            Some("path") => Location::Path,
            Some("query") => Location::Query,
            Some("header") => Location::Header,
            other => bail!(at(format!(
                "{}: `in: {}` is not carried; the server generator carries path, query and \
                 header parameters; {EXTEND}",
                what(),
                other.unwrap_or("(missing)")
            ))),
        };
        // Parameters are scalars (arrays and objects are refused below), for
        // which `explode` changes nothing; the style must be the default.
        let style = match location {
            Location::Query => "form",
            Location::Path | Location::Header => "simple",
        };
        if p.get("style").is_some_and(|s| s.as_str() != Some(style)) {
            bail!(at(format!(
                "{}: only the default style is carried for {} parameters ({style}); remove \
                 `style`, or {EXTEND}",
                what(),
                p["in"].as_str().unwrap_or_default()
            )));
        }
        let required = p["required"].as_bool() == Some(true);
        match location {
            Location::Path if !required => bail!(at(format!(
                "{}: a path parameter must be `required: true` (OpenAPI 3.0)",
                what()
            ))),
            Location::Path if !is_path_variable(name) => bail!(at(format!(
                "{}: a path parameter's name must be letters, digits and `_` (not starting \
                 with a digit), so that the path template can name it",
                what()
            ))),
            Location::Header => {
                if let Some(problem) = header_problem(name) {
                    bail!(at(format!("{}: header {name:?} {problem}", what())));
                }
            }
            _ => {}
        }
        let Some(schema) = p.get("schema") else {
            bail!(at(format!("{}: a parameter needs a `schema`", what())));
        };
        let schema_keys = [keys, &["schema"]].concat();
        let schema_at = |problem: String| self.error(&schema_keys, problem);
        let not_scalar = || {
            schema_at(format!(
                "{}: a parameter must be a string, integer, number or boolean (or a $ref to a \
                 string enum); give its schema one of those types",
                what()
            ))
        };
        match schema["type"].as_str() {
            Some("array") => bail!(schema_at(format!(
                "{}: an array parameter is not carried yet (dropshot's Query cannot bind a \
                 repeated key, dropshot PR #1553, and the generated binding reads one value \
                 per name); send a comma-separated string with a `pattern`, or {EXTEND}",
                what()
            ))),
            // No `type`: a `$ref` (checked below), or any value (refused below).
            Some("string" | "integer" | "number" | "boolean") | None => {}
            Some(_) => bail!(not_scalar()),
        }
        self.allowed_keys(schema, PARAMETER_SCHEMA_KEYS, &schema_keys, what)?;
        self.check_format(schema, &schema_keys, what)?;
        let ty = self.property_type(params_rust, name, schema, &schema_at)?;
        let scalar = match &ty {
            Type::String | Type::I32 | Type::I64 | Type::F64 | Type::Bool => true,
            Type::InlineEnum { .. } => true,
            // A component string schema is an enum (`schema` refuses others).
            Type::Ref(target) => self.schemas[target.as_str()]["type"].as_str() == Some("string"),
            Type::Any | Type::Array(_) => false,
        };
        if !scalar {
            bail!(not_scalar());
        }
        let rules = self.rules(params_rust, name, schema, &schema_keys)?;
        let secret = [p, schema]
            .iter()
            .any(|v| v.get(SECRET).and_then(Value::as_bool) == Some(true));
        if secret && location != Location::Header {
            bail!(at(format!(
                "{}: a credential (`{SECRET}: true`) in the {} is logged by servers and \
                 proxies and kept in browser history (RFC 6750 §5.3); send it in a header \
                 (a header parameter or a security scheme)",
                what(),
                if location == Location::Path {
                    "path"
                } else {
                    "query string"
                }
            )));
        }
        if secret && !matches!(ty, Type::String) {
            bail!(at(format!(
                "{}: `{SECRET}: true` is for strings (a credential); this parameter is not a string",
                what()
            )));
        }
        let field = field_name(name);
        if syn::parse_str::<syn::Ident>(&field).is_err() {
            bail!(at(format!(
                "{}: the name does not make a Rust field name ({field:?}); rename the parameter",
                what()
            )));
        }
        Ok(Parameter {
            location,
            property: Property {
                name: name.to_string(),
                field,
                description: description(p),
                ty,
                presence: if required {
                    Presence::Required
                } else {
                    Presence::Optional
                },
                secret,
                nullable: false,
                plain_when_absent: false,
                rules,
            },
            schema_json: schemars_json(schema),
        })
    }

    /// An operation's parameters struct must not take a component schema's name.
    fn check_params_names(&self, model: &Model) -> Result<()> {
        for op in &model.operations {
            let Some(params) = &op.params else { continue };
            if model.schemas.iter().any(|s| s.rust == params.schema.rust) {
                bail!(self.error(
                    &["components", "schemas", &params.schema.name],
                    format!(
                        "schema {}: the parameters of operation {} are generated as a type of \
                         this name; rename the schema",
                        params.schema.name, op.id
                    )
                ));
            }
        }
        Ok(())
    }

    /// A body's rules may answer a documented error of their own
    /// (`x-ias-enum-error`, its `$ref`s followed): its operation must
    /// document it too.
    fn check_enum_errors(&self, model: &Model) -> Result<()> {
        for op in &model.operations {
            let mut named = Vec::new();
            if let Some(body) = &op.body {
                enum_errors(model, body, &mut BTreeSet::new(), &mut named);
            }
            for p in op.params.iter().flat_map(|p| &p.parameters) {
                if let Some(pair) = &p.property.rules.enum_error {
                    named.push((pair.clone(), format!("parameter {}", p.property.name)));
                }
            }
            for ((group, code), prop) in named {
                if !op.pairs.iter().any(|(g, c)| *g == group && *c == code) {
                    let place = format!("{} {}", op.method.to_uppercase(), op.path);
                    bail!(self.error(
                        &["paths", &op.path, &op.method],
                        format!(
                            "operation {} ({place}): its request can be answered with error \
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
    let properties = match &model.schema(name).shape {
        Shape::Object(properties) => properties,
        Shape::OneOf { variants, .. } => {
            for (_, variant) in variants {
                enum_errors(model, variant, seen, out);
            }
            return;
        }
        Shape::StringEnum(_) => return,
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
    match shape {
        Shape::Object(properties) => properties.iter().for_each(|p| walk(&p.ty, &mut out)),
        Shape::OneOf { variants, .. } => out.extend(variants.iter().map(|(_, v)| v.clone())),
        Shape::StringEnum(_) => {}
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

/// A schema of the spec as the JSON schemars reads (JSON Schema draft 7):
/// OpenAPI 3.0's `minimum: m, exclusiveMinimum: true` is `exclusiveMinimum:
/// m` there (dropshot writes it back as OpenAPI 3.0 in the server's
/// document).
fn schemars_json(schema: &Value) -> String {
    fn walk(v: &mut Value) {
        match v {
            Value::Mapping(map) => {
                for (flag, bound) in [
                    ("exclusiveMinimum", "minimum"),
                    ("exclusiveMaximum", "maximum"),
                ] {
                    match map.get(flag) {
                        Some(Value::Bool(true)) => {
                            if let Some(m) = map.remove(bound) {
                                map.insert(flag.into(), m);
                            }
                        }
                        Some(Value::Bool(false)) => {
                            map.remove(flag);
                        }
                        _ => {}
                    }
                }
                map.values_mut().for_each(walk);
            }
            Value::Sequence(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    // The YAML tree keeps the spec's order (serde_json's map would not).
    let mut schema = schema.clone();
    walk(&mut schema);
    serde_json::to_string_pretty(&schema).expect("a YAML schema is JSON")
}

/// Why `name` cannot be a header parameter or an API key's header, if it cannot.
fn header_problem(name: &str) -> Option<&'static str> {
    let token = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !token {
        return Some("is not a header name (RFC 9110 §5.1: letters, digits and !#$%&'*+-.^_`|~)");
    }
    RESERVED_HEADERS
        .contains(&name.to_ascii_lowercase().as_str())
        .then_some(
            "has a meaning of its own in HTTP or OpenAPI (a credential is a security scheme, \
             the body's type is its media type); use another name",
        )
}

/// Whether `name` can be a variable of a path template (`{name}`).
fn is_path_variable(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
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
            ("          minLength: 1\n", "          minLength: 1\n          readOnly: true\n", "s.yaml:91: Item.name: `readOnly` is not carried by the server generator"),
            ("        status:\n          $ref: '#/components/schemas/Status'\n", "        status:\n          $ref: '#/components/schemas/Status'\n          nullable: true\n", "s.yaml:120: Item.status: `nullable` beside a `$ref` is ignored by OpenAPI 3.0"),
            ("        total:\n          type: integer\n", "        total:\n          type: integer\n          format: uint64\n", "s.yaml:100: Item.total: format \"uint64\" on type integer is not carried"),
            ("            type: string\n          x-go-type", "            type: string\n            nullable: true\n          x-go-type", "s.yaml:111: Item.tags.items: `nullable` is not carried"),
            ("            type: string\n          x-go-type", "            type: integer\n            x-ias-secret: true\n          x-go-type", "s.yaml:109: Item.tags.items: `x-ias-secret: true` is for strings"),
            ("          minLength: 1\n", "          minLength: 1\n          multipleOf: 0\n", "s.yaml:88: Item.name: multipleOf must be greater than 0"),
            ("        total:\n          type: integer\n", "        total:\n          type: integer\n          exclusiveMaximum: true\n", "s.yaml:98: Item.total: exclusiveMaximum: true needs the bound it makes exclusive (`maximum`)"),
            ("    Status:\n      type: string\n", "    Status:\n      type: string\n      additionalProperties: false\n", "s.yaml:131: schema Status: `additionalProperties: false` is not carried"),
            ("    Item:\n      type: object\n", "    Item:\n      type: object\n      additionalProperties:\n        type: string\n", "s.yaml:86: schema Item: `additionalProperties: {\"type\":\"string\"}` is not carried"),
            ("            $ref: '#/components/schemas/Status'\n        kind", "            type: object\n        kind", "s.yaml:112: Item.children: an array of objects is not generated"),
            ("            $ref: '#/components/schemas/Status'\n        kind", "            $ref: '#/components/schemas/Nope'\n        kind", "s.yaml:112: $ref \"#/components/schemas/Nope\": there is no schema Nope"),
            ("        done:\n          type: boolean\n", "        done:\n          type: object\n", "s.yaml:103: Item.done: a property of type object is not generated"),
            ("          x-ias-secret: true\n", "          x-ias-secret: true\n          enum: [1]\n", "s.yaml:126: Item.token: enum values must be strings"),
            ("        token:\n          type: string\n", "        token:\n          type: integer\n", "s.yaml:126: Item.token: `x-ias-secret: true` is for strings"),
            ("x-ias-enum-error: {group: item, code: 1}", "x-ias-enum-error: {group: item, code: 9}", "s.yaml:116: Item.kind: `x-ias-enum-error: {\"group\":\"item\",\"code\":9}` must name a documented pair"),
            ("          enum: [a, b]\n", "", "s.yaml:116: Item.kind: `x-ias-enum-error` needs an `enum`"),
            ("          pattern: '^[a-z]+$'\n", "          pattern: '(['\n", "s.yaml:88: Item.name: pattern \"([\" is not a regular expression the server can apply"),
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

    /// Arrays with sizes, distinct and judged items (secret ones too),
    /// `multipleOf`, `int32` bounds and `additionalProperties: false`.
    #[test]
    fn reads_array_rules_multiples_int32_bounds_and_closed_objects() {
        let text = SPEC
            .replacen(
                "          x-go-type-skip-optional-pointer: true\n        children:",
                "          x-go-type-skip-optional-pointer: true\n          minItems: 1\n          maxItems: 3\n          uniqueItems: true\n        keys:\n          type: array\n          items:\n            type: string\n            minLength: 4\n            x-ias-secret: true\n        children:",
                1,
            )
            .replacen("        tags:\n          type: array\n          items:\n            type: string\n", "        tags:\n          type: array\n          items:\n            type: string\n            pattern: '^[a-z]+$'\n            maxLength: 8\n", 1)
            .replacen("        ratio:\n          type: number\n", "        ratio:\n          type: number\n          multipleOf: 0.25\n", 1)
            .replacen("        count:\n          type: integer\n          format: int32\n          minimum: 1\n          maximum: 5\n", "        count:\n          type: integer\n          format: int32\n", 1)
            .replacen("    Item:\n      type: object\n", "    Item:\n      type: object\n      additionalProperties: false\n", 1);
        let model = read_text(&text).unwrap();
        let item = model.schema("Item");
        assert!(item.closed && !model.schema("ErrStatusMsg").closed);
        let Shape::Object(props) = &item.shape else {
            panic!("an object")
        };
        let prop = |name: &str| props.iter().find(|p| p.name == name).unwrap();
        let tags = &prop("tags").rules;
        assert_eq!(
            (tags.min_items, tags.max_items, tags.unique_items),
            (Some(1), Some(3), true)
        );
        let items = tags.items.as_deref().unwrap();
        assert_eq!(
            (items.pattern.as_deref(), items.max_length),
            (Some("^[a-z]+$"), Some(8))
        );
        let keys = &prop("keys").rules;
        assert!(keys.item_secret && !prop("keys").secret);
        assert_eq!(keys.items.as_deref().unwrap().min_length, Some(4));
        assert_eq!(prop("ratio").rules.multiple_of, Some(0.25));
        // int32 without bounds: its range is the rule.
        let count = &prop("count").rules;
        assert_eq!(
            (count.minimum, count.maximum),
            (Some(f64::from(i32::MIN)), Some(f64::from(i32::MAX)))
        );
    }

    /// `allOf` merges `$ref`'d objects and inline objects into one object;
    /// what cannot merge is refused.
    #[test]
    fn all_of_merges_objects_and_refuses_what_cannot_merge() {
        // `Other` merges `Both`: a cycle when `Both` merges `Other`.
        let with = |all_of: &str| {
            SPEC.replacen(
                "    Status:\n",
                &format!("    Both:\n      allOf:\n{all_of}    Other:\n      allOf:\n        - $ref: '#/components/schemas/Both'\n    Status:\n"),
                1,
            )
        };
        // `name` again, defined as Item defines it: one property.
        let ok = with("        - $ref: '#/components/schemas/Item'\n        - type: object\n          required: [extra]\n          properties:\n            extra:\n              type: string\n              minLength: 2\n            name:\n              type: string\n              minLength: 1\n              maxLength: 9\n              pattern: '^[a-z]+$'\n");
        let model = read_text(&ok).unwrap();
        let Shape::Object(props) = &model.schema("Both").shape else {
            panic!("an object")
        };
        let names: Vec<&str> = props.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names.first(), Some(&"name"));
        assert_eq!(names.last(), Some(&"extra"));
        let extra = props.iter().find(|p| p.name == "extra").unwrap();
        assert_eq!(
            (extra.presence, extra.rules.min_length),
            (Presence::Required, Some(2))
        );
        let name = props.iter().find(|p| p.name == "name").unwrap();
        assert_eq!(name.presence, Presence::Required, "Item's required is kept");
        for (all_of, problem) in [
            ("        - $ref: '#/components/schemas/Status'\n", "allOf's Status is not an object schema"),
            ("        - $ref: '#/components/schemas/Item'\n        - properties:\n            name:\n              type: integer\n", "allOf defines property name twice, differently"),
            ("        - type: string\n", "allOf's inline part must be an object"),
            ("        - $ref: '#/components/schemas/Both'\n", "allOf refers to itself through Both"),
            ("        - $ref: '#/components/schemas/Other'\n", "allOf refers to itself through Both"),
            ("        - $ref: '#/components/schemas/Item'\n        - type: object\n          nullable: true\n", "allOf's inline part: `nullable` is not carried"),
        ] {
            let e = read_text(&with(all_of)).unwrap_err().to_string();
            assert!(e.contains(problem), "{all_of}: {e}");
        }
    }

    /// `oneOf` with a discriminator is a union of its mapped variants; what
    /// cannot be told apart faithfully is refused.
    #[test]
    fn one_of_needs_a_discriminator_mapping_each_variant() {
        let union = |body: &str| {
            SPEC.replacen(
                "    Status:\n",
                &format!(
                    "    A:\n      type: object\n      required: [kind]\n      properties:\n        kind: {{type: string}}\n    B:\n      type: object\n      required: [kind, n]\n      properties:\n        kind: {{type: string}}\n        n: {{type: integer}}\n    U:\n{body}    Status:\n"
                ),
                1,
            )
        };
        let refs = "      oneOf:\n        - $ref: '#/components/schemas/A'\n        - $ref: '#/components/schemas/B'\n";
        let mapping = "      discriminator:\n        propertyName: kind\n        mapping:\n          a: '#/components/schemas/A'\n          b: '#/components/schemas/B'\n";
        let model = read_text(&union(&format!("{refs}{mapping}"))).unwrap();
        assert_eq!(
            model.schema("U").shape_union(),
            Some(("kind", vec![("a", "A"), ("b", "B")]))
        );
        assert_eq!(
            model.schema("U").refs,
            ["A".to_string(), "B".to_string()].into()
        );
        for (body, problem) in [
            (refs.to_string(), "a oneOf without a discriminator is not carried"),
            (format!("      oneOf:\n        - $ref: '#/components/schemas/A'\n        - type: object\n{mapping}"), "oneOf variant 1 is inline"),
            (format!("{refs}      discriminator:\n        propertyName: kind\n        mapping:\n          a: '#/components/schemas/A'\n"), "oneOf variant #/components/schemas/B is not in the discriminator's mapping"),
            (format!("{refs}{mapping}").replace("propertyName: kind", "propertyName: n"), "oneOf variant A must be an object with a required string property n"),
            (format!("{refs}{mapping}          c: '#/components/schemas/Item'\n"), "the discriminator maps c to a schema that is not one of the oneOf variants"),
            (refs.replace("oneOf", "anyOf"), "anyOf is not carried"),
        ] {
            let e = read_text(&union(&body)).unwrap_err().to_string();
            assert!(e.contains(problem), "{body}: {e}");
        }
    }

    /// OpenAPI 3.0's exclusive bounds are flags on the rules, and draft 7's
    /// numbers in the JSON schemars reads (dropshot writes 3.0 back).
    #[test]
    fn exclusive_bounds_are_rules_and_draft_7_for_schemars() {
        let text = SPEC.replacen(
            "        ratio:\n          type: number\n",
            "        ratio:\n          type: number\n          minimum: 0\n          exclusiveMinimum: true\n          maximum: 1\n          exclusiveMaximum: false\n",
            1,
        );
        let model = read_text(&text).unwrap();
        let Shape::Object(props) = &model.schema("Item").shape else {
            panic!("an object")
        };
        let ratio = &props.iter().find(|p| p.name == "ratio").unwrap().rules;
        assert_eq!(
            (
                ratio.minimum,
                ratio.exclusive_minimum,
                ratio.maximum,
                ratio.exclusive_maximum
            ),
            (Some(0.0), true, Some(1.0), false)
        );
        let json: serde_json::Value = serde_json::from_str(&model.schema("Item").json).unwrap();
        assert_eq!(
            json["properties"]["ratio"],
            serde_json::json!({"type": "number", "format": "double", "exclusiveMinimum": 0, "maximum": 1})
        );
        // Inside lists of schemas too.
        let listed: Value = serde_yaml::from_str(
            "oneOf:\n  - {type: number, maximum: 5, exclusiveMaximum: true}\n",
        )
        .unwrap();
        let json: serde_json::Value = serde_json::from_str(&schemars_json(&listed)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"oneOf": [{"type": "number", "exclusiveMaximum": 5}]})
        );
    }

    /// SPEC with an operation that has parameters (path-level and its own)
    /// and a security requirement; its lines start after SPEC's paths.
    const USERS: &str = r#"  /users/{userId}:
    parameters:
      - name: userId
        in: path
        required: true
        description: The user.
        schema:
          type: string
          maxLength: 8
    get:
      operationId: getUser
      security:
        - bearer: []
        - {}
      parameters:
        - name: limit
          in: query
          schema:
            type: integer
            format: int32
            minimum: 1
        - name: X-Tenant
          in: header
          required: true
          schema:
            type: string
            enum: [a, b]
        - $ref: '#/components/parameters/Order'
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
        '401':
          description: |
            - [group:**auth**, code:**1**]: Token required.
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
  securitySchemes:
    bearer:
      type: http
      scheme: bearer
      x-ias-error: {group: auth, code: 1}
    key:
      type: apiKey
      in: header
      name: X-Api-Key
      x-ias-error: {group: auth, code: 1}
  parameters:
    Order:
      name: order
      in: query
      schema:
        $ref: '#/components/schemas/Status'
"#;

    fn users_spec() -> String {
        SPEC.replacen("components:\n", USERS, 1)
    }

    #[test]
    fn reads_parameters_and_security() {
        let model = read_text(&users_spec()).unwrap();
        let op = model.operations.iter().find(|o| o.id == "getUser").unwrap();
        let params = op.params.as_ref().unwrap();
        let got: Vec<(&str, Location, &str, Presence, &Type)> = params
            .parameters
            .iter()
            .map(|p| {
                let q = &p.property;
                (
                    q.name.as_str(),
                    p.location,
                    q.field.as_str(),
                    q.presence,
                    &q.ty,
                )
            })
            .collect();
        let tenant = Type::InlineEnum {
            rust: "GetUserParamsXTenant".into(),
            values: vec!["a".into(), "b".into()],
            description: None,
        };
        assert_eq!(
            got,
            [
                (
                    "userId",
                    Location::Path,
                    "user_id",
                    Presence::Required,
                    &Type::String
                ),
                (
                    "limit",
                    Location::Query,
                    "limit",
                    Presence::Optional,
                    &Type::I32
                ),
                (
                    "X-Tenant",
                    Location::Header,
                    "x_tenant",
                    Presence::Required,
                    &tenant
                ),
                (
                    "order",
                    Location::Query,
                    "order",
                    Presence::Optional,
                    &Type::Ref("Status".into())
                ),
            ]
        );
        assert_eq!(params.schema.rust, "GetUserParams");
        assert_eq!(params.parameters[0].property.rules.max_length, Some(8));
        assert_eq!(
            params.parameters[0].property.description.as_deref(),
            Some("The user.")
        );
        // int32 bounds are rules: the spec's minimum, the type's maximum.
        let limit = &params.parameters[1].property.rules;
        assert_eq!(
            (limit.minimum, limit.maximum),
            (Some(1.0), Some(f64::from(i32::MAX)))
        );
        assert_eq!(params.schema.refs, ["Status".to_string()].into());
        assert_eq!(op.security, [vec!["bearer".to_string()], vec![]]);
        assert_eq!(
            model.security_schemes,
            [
                SecurityScheme {
                    name: "bearer".into(),
                    kind: SchemeKind::Bearer,
                    error: ("auth".into(), 1)
                },
                SecurityScheme {
                    name: "key".into(),
                    kind: SchemeKind::ApiKeyHeader("x-api-key".into()),
                    error: ("auth".into(), 1)
                },
            ]
        );
        // A path variable may start with `_`.
        let underscored = users_spec()
            .replace("{userId}", "{_user}")
            .replace("name: userId", "name: _user");
        assert!(read_text(&underscored).is_ok());
        // An operation without inputs demands no request/0 (deleteItems
        // documents none), one without security no credential.
        let delete = model
            .operations
            .iter()
            .find(|o| o.id == "deleteItems")
            .unwrap();
        assert!(delete.params.is_none() && delete.security.is_empty());
    }

    /// An operation's parameters struct may not take a component schema's name.
    #[test]
    fn a_schema_named_like_a_parameters_struct_is_refused() {
        let text = users_spec().replacen(
            "  schemas:\n",
            "  schemas:\n    GetUserParams:\n      type: string\n      enum: [a]\n",
            1,
        );
        let e = read_text(&text).unwrap_err().to_string();
        assert!(
            e.contains("schema GetUserParams: the parameters of operation getUser are generated as a type of this name; rename the schema"),
            "{e}"
        );
    }

    /// Each refusal of a parameter or a security requirement: (edit from,
    /// edit to, the error's line and words), on SPEC + USERS.
    #[test]
    fn refuses_parameters_and_security_it_cannot_carry_at_their_line() {
        let spec = users_spec();
        #[rustfmt::skip]
        let cases = [
            // parameters
            ("        required: true\n        description: The user.", "        required: false\n        description: The user.", "s.yaml:L3: operation getUser (GET /users/{userId}): parameter \"userId\": a path parameter must be `required: true`"),
            ("      - name: userId\n", "      - name: user-id\n", "s.yaml:L3: operation getUser (GET /users/{userId}): parameter \"user-id\": a path parameter's name must be letters, digits and `_`"),
            ("      - name: userId\n", "      - name: 1user\n", "s.yaml:L3: operation getUser (GET /users/{userId}): parameter \"1user\": a path parameter's name must be letters, digits and `_`"),
            ("  /users/{userId}:\n", "  /users/{userId}/{extra}:\n", "s.yaml:L10: operation getUser (GET /users/{userId}/{extra}): the path template's variables and its path parameters differ (in the template only: [\"extra\"]"),
            ("        - name: limit\n          in: query\n", "        - name: limit\n          in: cookie\n", "s.yaml:L16: operation getUser (GET /users/{userId}): parameter \"limit\": `in: cookie` is not carried"),
            ("        - name: limit\n          in: query\n", "        - name: limit\n          in: query\n          style: spaceDelimited\n", "s.yaml:L16: operation getUser (GET /users/{userId}): parameter \"limit\": only the default style is carried for query parameters (form)"),
            // a scalar's `explode` changes nothing
            ("        - name: limit\n          in: query\n", "        - name: limit\n          in: query\n          explode: false\n", ""),
            ("        - name: limit\n          in: query\n", "        - name: limit\n          in: query\n          allowEmptyValue: true\n", "s.yaml:L18: operation getUser (GET /users/{userId}): parameter \"limit\": `allowEmptyValue` is not carried"),
            ("          schema:\n            type: integer\n            format: int32\n            minimum: 1\n", "          content:\n            application/json:\n              schema: {type: integer}\n", "s.yaml:L18: operation getUser (GET /users/{userId}): parameter \"limit\": `content` is not carried"),
            ("            type: integer\n            format: int32\n            minimum: 1\n", "            type: array\n            items: {type: string}\n", "s.yaml:L18: operation getUser (GET /users/{userId}): parameter \"limit\": an array parameter is not carried yet (dropshot's Query cannot bind a repeated key"),
            ("            type: integer\n            format: int32\n            minimum: 1\n", "            type: object\n", "s.yaml:L18: operation getUser (GET /users/{userId}): parameter \"limit\": a parameter must be a string, integer, number or boolean"),
            ("            type: integer\n            format: int32\n            minimum: 1\n", "            minimum: 1\n", "s.yaml:L18: operation getUser (GET /users/{userId}): parameter \"limit\": a parameter must be a string, integer, number or boolean"),
            ("            format: int32\n", "            format: int32\n            default: 10\n", "s.yaml:L21: operation getUser (GET /users/{userId}): parameter \"limit\": `default` is not carried"),
            ("            format: int32\n", "            format: uint8\n", "s.yaml:L20: operation getUser (GET /users/{userId}): parameter \"limit\": format \"uint8\" on type integer is not carried"),
            ("        - name: limit\n", "        - name: X-Tenant\n          in: header\n          schema: {type: string}\n        - name: limit\n", "s.yaml:L25: operation getUser (GET /users/{userId}): parameter \"X-Tenant\" (\"header\") is listed twice"),
            ("        - name: limit\n", "        - name: Limit\n          in: query\n          schema: {type: string}\n        - name: limit\n", "s.yaml:L10: operation getUser (GET /users/{userId}): two parameters become the Rust field limit"),
            ("        - name: limit\n", "        - name: 1st\n          in: query\n          schema: {type: string}\n        - name: limit\n", "s.yaml:L16: operation getUser (GET /users/{userId}): parameter \"1st\": the name does not make a Rust field name"),
            ("        - name: X-Tenant\n", "        - name: Authorization\n", "s.yaml:L22: operation getUser (GET /users/{userId}): parameter \"Authorization\": header \"Authorization\" has a meaning of its own in HTTP or OpenAPI"),
            ("        - name: X-Tenant\n", "        - name: \"X Tenant\"\n", "s.yaml:L22: operation getUser (GET /users/{userId}): parameter \"X Tenant\": header \"X Tenant\" is not a header name"),
            ("        - name: X-Tenant\n          in: header\n", "        - name: ''\n          in: header\n", "s.yaml:L22: operation getUser (GET /users/{userId}): parameter \"\": a parameter needs a `name`"),
            ("          in: query\n          schema:\n            type: integer\n", "          in: query\n          x-ias-secret: true\n          schema:\n            type: integer\n", "s.yaml:L16: operation getUser (GET /users/{userId}): parameter \"limit\": a credential (`x-ias-secret: true`) in the query string is logged"),
            ("        description: The user.\n", "        description: The user.\n        x-ias-secret: true\n", "s.yaml:L3: operation getUser (GET /users/{userId}): parameter \"userId\": a credential (`x-ias-secret: true`) in the path is logged"),
            ("            enum: [a, b]\n", "            enum: [a, b]\n            x-ias-secret: true\n", "s.yaml:L22: operation getUser (GET /users/{userId}): parameter \"X-Tenant\": `x-ias-secret: true` is for strings"),
            ("            enum: [a, b]\n", "            enum: [a, b]\n            x-ias-enum-error: {group: item, code: 1}\n", "s.yaml:L10: operation getUser (GET /users/{userId}): its request can be answered with error item/1 (`x-ias-enum-error` on parameter X-Tenant)"),
            ("        - $ref: '#/components/parameters/Order'\n", "        - $ref: '#/components/parameters/Nope'\n", "s.yaml:L28: $ref \"#/components/parameters/Nope\": there is no parameter Nope"),
            ("        $ref: '#/components/schemas/Status'\n  schemas:", "        $ref: '#/components/schemas/Item'\n  schemas:", "s.yaml:L72: operation getUser (GET /users/{userId}): parameter \"order\": a parameter must be a string, integer, number or boolean (or a $ref to a string enum)"),
            ("            - [group:**request**, code:**0**]: Invalid field.\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/ErrStatusMsg'\n        '401'", "            - [group:**auth**, code:**9**]: Other.\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/ErrStatusMsg'\n        '401'", "s.yaml:L10: operation getUser (GET /users/{userId}) must document [group:**request**, code:**0**] in its 400 response: the request rules answer with it"),
            // security
            ("        - bearer: []\n", "        - bearer: []\n          other: []\n", "s.yaml:L12: operation getUser (GET /users/{userId}) requires security scheme \"other\", which components.securitySchemes does not define"),
            ("        - bearer: []\n", "        - bearer: [read]\n", "s.yaml:L12: operation getUser (GET /users/{userId}): security scheme bearer takes no scopes"),
            ("        - bearer: []\n", "        - key: []\n", ""),
            ("            - [group:**auth**, code:**1**]: Token required.\n", "            - [group:**auth**, code:**2**]: Token required.\n", "s.yaml:L59: security scheme bearer: `x-ias-error: {group: GROUP, code: N}` must name the documented pair a request without the credential gets (usually a 401); it is {\"group\":\"auth\",\"code\":1}, which no response documents"),
            ("      x-ias-error: {group: auth, code: 1}\n    key", "    key", "s.yaml:L59: security scheme bearer: `x-ias-error: {group: GROUP, code: N}` must name the documented pair a request without the credential gets (usually a 401); it is missing"),
            ("      scheme: bearer\n", "      scheme: basic\n", "s.yaml:L59: security scheme bearer (type http, basic): the server generator carries `type: http` with `scheme: bearer`, and `type: apiKey` with `in: header`"),
            ("      in: header\n      name: X-Api-Key\n", "      in: query\n      name: key\n", "s.yaml:L63: security scheme key (type apiKey, query): the server generator carries"),
            ("      name: X-Api-Key\n", "      name: Content-Type\n", "s.yaml:L63: security scheme key: header \"Content-Type\" has a meaning of its own"),
            ("      scheme: bearer\n", "      scheme: bearer\n      flows: {}\n", "s.yaml:L62: security scheme bearer: `flows` is not carried"),
        ];
        let first = spec
            .lines()
            .position(|l| l == "  /users/{userId}:")
            .unwrap();
        let mut failures = Vec::new();
        for (from, to, expected) in cases {
            assert!(spec.contains(from), "{from:?} is not in the spec");
            // `L<n>`: the n-th line of USERS.
            let expected = match expected.split_once(":L") {
                Some((file, rest)) => {
                    let (n, tail) = rest.split_once(':').unwrap();
                    format!("{file}:{}:{tail}", first + n.parse::<usize>().unwrap())
                }
                None => expected.to_string(),
            };
            match read_text(&spec.replacen(from, to, 1)) {
                Ok(_) if expected.is_empty() => {}
                Ok(_) => failures.push(format!("accepted: {to:?}\n  expected: {expected}")),
                Err(e) if expected.is_empty() || !e.to_string().starts_with(&expected) => {
                    failures.push(format!("{e}\n  expected: {expected}"))
                }
                Err(_) => {}
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// The parameter shapes of oapi-codegen's round-trip test
    /// (`internal/test/parameters/parameters.yaml`, Apache-2.0), one row
    /// each, written anew here: carried, or refused with the reason. Each row
    /// is a parameter of getUser (in place of `limit`) and, for a path
    /// parameter, the path template it needs.
    #[test]
    fn oapi_codegen_parameter_shapes_are_carried_or_refused() {
        const OBJECT: &str = "{$ref: '#/components/schemas/Item'}";
        const INTS: &str = "{type: array, items: {type: integer}}";
        let array = "an array parameter is not carried yet";
        let scalar = "a parameter must be a string, integer, number or boolean";
        let style = "only the default style is carried";
        let content = "`content` is not carried";
        let path =
            |name: &str, rest: &str| format!("{{name: {name}, in: path, required: true, {rest}}}");
        #[rustfmt::skip]
        let cases: Vec<(&str, String, Option<&str>)> = vec![
            // path: a simple primitive is carried; arrays and objects, in any style, are not
            ("/users/{userId}/{param}", path("param", "style: simple, schema: {type: integer, format: int32}"), None),
            ("/users/{userId}/{param}", path("param", &format!("style: simple, explode: false, schema: {INTS}")), Some(array)),
            ("/users/{userId}/{param*}", path("param", &format!("style: simple, explode: true, schema: {INTS}")), Some(array)),
            ("/users/{userId}/{param}", path("param", &format!("style: simple, schema: {OBJECT}")), Some(scalar)),
            ("/users/{userId}/{param}", path("param", &format!("style: label, schema: {INTS}")), Some(style)),
            ("/users/{userId}/{id}", path("id", &format!("style: matrix, explode: true, schema: {INTS}")), Some(style)),
            ("/users/{userId}/{param}", path("param", "content: {application/json: {schema: {type: string}}}"), Some(content)),
            // query (form): primitives, exploded or not, are carried; arrays and objects are not
            ("", "{name: ep, in: query, explode: true, schema: {type: integer}}".into(), None),
            ("", "{name: p, in: query, explode: false, schema: {type: integer}}".into(), None),
            ("", format!("{{name: ea, in: query, style: form, explode: true, schema: {INTS}}}"), Some(array)),
            ("", format!("{{name: a, in: query, style: form, explode: false, schema: {INTS}}}"), Some(array)),
            ("", format!("{{name: eo, in: query, explode: true, schema: {OBJECT}}}"), Some(scalar)),
            ("", "{name: co, in: query, content: {application/json: {schema: {type: string}}}}".into(), Some(content)),
            // header: primitives are carried; arrays and objects are not
            ("", "{name: X-Primitive, in: header, explode: false, schema: {type: integer}}".into(), None),
            ("", "{name: X-Primitive-Exploded, in: header, explode: true, schema: {type: integer}}".into(), None),
            ("", format!("{{name: X-Array, in: header, explode: true, schema: {INTS}}}"), Some(array)),
            ("", format!("{{name: X-Object, in: header, schema: {OBJECT}}}"), Some(scalar)),
            // cookie: not carried
            ("", "{name: p, in: cookie, schema: {type: integer}}".into(), Some("`in: cookie` is not carried")),
        ];
        let spec = users_spec();
        let limit = "        - name: limit\n          in: query\n          schema:\n            type: integer\n            format: int32\n            minimum: 1\n";
        assert!(spec.contains(limit));
        let mut failures = Vec::new();
        let at = 1 + spec
            .lines()
            .position(|l| l == "        - name: limit")
            .unwrap();
        for (template, parameter, refused) in cases {
            let mut text = spec.replacen(limit, &format!("        - {parameter}\n"), 1);
            if !template.is_empty() {
                text = text.replacen("  /users/{userId}:\n", &format!("  {template}:\n"), 1);
            }
            match (read_text(&text), refused) {
                (Ok(_), None) => {}
                // At the parameter's line (its keys are in a flow mapping).
                (Err(e), Some(why))
                    if e.to_string().contains(why)
                        && e.to_string().starts_with(&format!("s.yaml:{}:", at)) => {}
                (got, _) => failures.push(format!("{parameter}: {:?}", got.map(|_| "carried"))),
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
        let expected = "s.yaml:31: operation createItem (POST /items): its request can be answered with error item/1 (`x-ias-enum-error` on Item.kind), which the operation does not document";
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
