//! A normalized view of an OpenAPI 3.0 document: what a client depends on,
//! with `$ref`s resolved and documentation left out.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::error::RefError;

/// The contract of a document: its operations.
#[derive(Debug, Clone, PartialEq)]
pub struct Contract {
    /// `info.version`.
    pub version: String,
    /// Operations by path and method.
    pub operations: BTreeMap<OperationKey, Operation>,
}

/// Where an operation is: its path template and method (lower case, as the
/// document spells it).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OperationKey {
    /// The path template, such as `/oauth/token`.
    pub path: String,
    /// `get`, `post`, ...
    pub method: String,
}

impl OperationKey {
    /// The key of `method` on `path`.
    pub fn new(path: &str, method: &str) -> Self {
        OperationKey {
            path: path.to_string(),
            method: method.to_string(),
        }
    }

    /// `POST /oauth/token`, for messages.
    pub fn label(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.path)
    }

    /// Its JSON pointer in the document, `/paths/~1oauth~1token/post`.
    pub fn pointer(&self) -> String {
        format!("/paths/{}/{}", crate::diff::escape(&self.path), self.method)
    }
}

/// Which parameter: where it goes (`query`, `path`, `header`, `cookie`) and
/// its name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ParameterKey {
    /// `in`.
    pub location: String,
    /// `name`.
    pub name: String,
}

/// One operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// `operationId` (empty when absent).
    pub operation_id: String,
    /// `tags`.
    pub tags: BTreeSet<String>,
    /// Security requirements in force (the operation's, else the document's):
    /// alternatives, each a set of scheme names; empty means none needed.
    pub security: BTreeSet<BTreeSet<String>>,
    /// Parameters by where they go and their name.
    pub parameters: BTreeMap<ParameterKey, Parameter>,
    /// The request body, if any.
    pub request_body: Option<Body>,
    /// Responses by status (`200`, `4XX`, `default`).
    pub responses: BTreeMap<String, Body>,
}

/// A parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// `required`.
    pub required: bool,
    /// Its schema.
    pub schema: Schema,
}

/// A request body or a response: media types and their schemas.
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    /// `required` (request bodies only; responses are `true`).
    pub required: bool,
    /// Schemas by media type (a media type without a schema has `Schema::any()`).
    pub content: BTreeMap<String, Schema>,
}

/// A schema, reduced to what constrains data.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schema {
    /// `type`; `None` means any type.
    pub type_: Option<String>,
    /// `format`.
    pub format: Option<String>,
    /// `nullable`.
    pub nullable: bool,
    /// `enum` values, when restricted.
    pub enum_values: Option<Vec<Value>>,
    /// `properties`.
    pub properties: BTreeMap<String, Schema>,
    /// `required`.
    pub required: BTreeSet<String>,
    /// `items`.
    pub items: Option<Box<Schema>>,
    /// `oneOf`/`anyOf` alternatives (compared as a whole).
    pub alternatives: Vec<Schema>,
    /// A `$ref` met again inside itself: the name, not expanded further.
    pub recursive: Option<String>,
    /// Validation keywords (`minLength`, `maximum`, `pattern`, ...) by name.
    pub constraints: BTreeMap<&'static str, Value>,
    /// `additionalProperties`: `Some(false)` when extra properties are refused.
    pub additional_properties: Option<bool>,
}

/// Validation keywords compared by [`crate::diff`]: lower bounds, upper bounds,
/// and the rest (compared for equality).
pub const LOWER_BOUNDS: &[&str] = &["minLength", "minimum", "minItems", "minProperties"];
/// See [`LOWER_BOUNDS`].
pub const UPPER_BOUNDS: &[&str] = &["maxLength", "maximum", "maxItems", "maxProperties"];
/// See [`LOWER_BOUNDS`].
pub const OTHER_CONSTRAINTS: &[&str] = &[
    "pattern",
    "multipleOf",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "uniqueItems",
];

impl Schema {
    /// The schema that accepts anything.
    pub fn any() -> Schema {
        Schema::default()
    }

    /// A short description of the type, for messages: `string`, `integer (int64)`, `any`.
    pub fn type_label(&self) -> String {
        let mut label = self.type_.clone().unwrap_or_else(|| "any".to_string());
        if let Some(f) = &self.format {
            label = format!("{label} ({f})");
        }
        label
    }
}

/// Reads the contract out of a document given as JSON (YAML converted with
/// [`yaml_to_json`]). Errors name what could not be resolved.
pub fn contract(doc: &Value) -> Result<Contract, RefError> {
    let version = doc
        .pointer("/info/version")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut operations = BTreeMap::new();
    let resolver = Resolver { root: doc };
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let item = resolver.deref(item)?;
            let shared = item.get("parameters").cloned().unwrap_or(Value::Null);
            for method in [
                "get", "put", "post", "delete", "options", "head", "patch", "trace",
            ] {
                let Some(op) = item.get(method) else { continue };
                let mut operation = resolver.operation(op, &shared)?;
                operation.security = security(op.get("security").or_else(|| doc.get("security")));
                operations.insert(OperationKey::new(path, method), operation);
            }
        }
    }
    Ok(Contract {
        version,
        operations,
    })
}

/// Security requirement alternatives; `[]` and `[{}]` both mean "none".
fn security(v: Option<&Value>) -> BTreeSet<BTreeSet<String>> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .map(|alt| alt.keys().cloned().collect::<BTreeSet<String>>())
        .filter(|alt| !alt.is_empty())
        .collect()
}

/// A number with no fraction as an integer: `0.0` (how schemars writes a
/// bound) and `0` (how a spec does) are one bound.
fn whole_as_integer(v: &Value) -> Value {
    match v.as_f64() {
        Some(f) if v.is_f64() && f.fract() == 0.0 && f.abs() < 9e15 => Value::from(f as i64),
        _ => v.clone(),
    }
}

/// Converts a YAML value to JSON, turning non-string keys (such as an
/// unquoted `200:`) into strings.
pub fn yaml_to_json(v: &serde_yaml::Value) -> Value {
    match v {
        serde_yaml::Value::Null => Value::Null,
        serde_yaml::Value::Bool(b) => Value::Bool(*b),
        serde_yaml::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64().map(Value::from).unwrap_or(Value::Null)
            }
        }
        serde_yaml::Value::String(s) => Value::String(s.clone()),
        serde_yaml::Value::Sequence(seq) => Value::Array(seq.iter().map(yaml_to_json).collect()),
        serde_yaml::Value::Mapping(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = match k {
                        serde_yaml::Value::String(s) => s.clone(),
                        other => serde_yaml::to_string(other)
                            .unwrap_or_default()
                            .trim()
                            .to_string(),
                    };
                    (key, yaml_to_json(v))
                })
                .collect(),
        ),
        serde_yaml::Value::Tagged(t) => yaml_to_json(&t.value),
    }
}

struct Resolver<'a> {
    root: &'a Value,
}

impl Resolver<'_> {
    /// Follows `$ref`s (local ones) until a value that is not a reference.
    fn deref<'v>(&'v self, v: &'v Value) -> Result<&'v Value, RefError> {
        let mut current = v;
        let mut seen = 0;
        while let Some(r) = current.get("$ref").and_then(Value::as_str) {
            let pointer = r
                .strip_prefix('#')
                .ok_or_else(|| RefError::NotLocal(r.to_string()))?;
            current = self
                .root
                .pointer(pointer)
                .ok_or_else(|| RefError::Unresolved(r.to_string()))?;
            seen += 1;
            if seen > 64 {
                return Err(RefError::Cycle(r.to_string()));
            }
        }
        Ok(current)
    }

    fn operation(&self, op: &Value, shared_parameters: &Value) -> Result<Operation, RefError> {
        let operation_id = op
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let tags = op
            .get("tags")
            .and_then(Value::as_array)
            .map(|t| {
                t.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let mut parameters = BTreeMap::new();
        for list in [
            shared_parameters,
            op.get("parameters").unwrap_or(&Value::Null),
        ] {
            for p in list.as_array().into_iter().flatten() {
                let p = self.deref(p)?;
                let name = p
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let location = p
                    .get("in")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let required = p
                    .get("required")
                    .and_then(Value::as_bool)
                    .unwrap_or(location == "path");
                let schema = match p.get("schema") {
                    Some(s) => self.schema(s, &mut Vec::new())?,
                    None => Schema::any(),
                };
                parameters.insert(
                    ParameterKey { location, name },
                    Parameter { required, schema },
                );
            }
        }
        let request_body = match op.get("requestBody") {
            None => None,
            Some(b) => {
                let b = self.deref(b)?;
                Some(Body {
                    required: b.get("required").and_then(Value::as_bool).unwrap_or(false),
                    content: self.content(b)?,
                })
            }
        };
        let mut responses = BTreeMap::new();
        for (status, r) in op
            .get("responses")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let r = self.deref(r)?;
            responses.insert(
                status.to_uppercase(),
                Body {
                    required: true,
                    content: self.content(r)?,
                },
            );
        }
        Ok(Operation {
            operation_id,
            tags,
            security: BTreeSet::new(),
            parameters,
            request_body,
            responses,
        })
    }

    fn content(&self, body: &Value) -> Result<BTreeMap<String, Schema>, RefError> {
        let mut out = BTreeMap::new();
        for (media, m) in body
            .get("content")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let schema = match m.get("schema") {
                Some(s) => self.schema(s, &mut Vec::new())?,
                None => Schema::any(),
            };
            out.insert(media.to_ascii_lowercase(), schema);
        }
        Ok(out)
    }

    /// Normalizes a schema: `$ref`s resolved (a cycle stops at its name),
    /// `allOf` merged, `true`/`{}` as any; documentation keys ignored.
    fn schema(&self, v: &Value, stack: &mut Vec<String>) -> Result<Schema, RefError> {
        if let Value::Bool(true) = v {
            return Ok(Schema::any());
        }
        if let Some(r) = v.get("$ref").and_then(Value::as_str) {
            if stack.iter().any(|s| s == r) {
                return Ok(Schema {
                    recursive: Some(r.to_string()),
                    ..Schema::any()
                });
            }
            stack.push(r.to_string());
            let target = self.deref(v)?;
            let result = self.schema(target, stack);
            stack.pop();
            return result;
        }
        let mut s = Schema {
            type_: v.get("type").and_then(Value::as_str).map(str::to_string),
            format: v.get("format").and_then(Value::as_str).map(str::to_string),
            nullable: v.get("nullable").and_then(Value::as_bool).unwrap_or(false),
            enum_values: v.get("enum").and_then(Value::as_array).cloned(),
            required: v
                .get("required")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            ..Schema::any()
        };
        for (name, p) in v
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            s.properties.insert(name.clone(), self.schema(p, stack)?);
        }
        if let Some(items) = v.get("items") {
            s.items = Some(Box::new(self.schema(items, stack)?));
        }
        for key in ["oneOf", "anyOf"] {
            for alt in v.get(key).and_then(Value::as_array).into_iter().flatten() {
                s.alternatives.push(self.schema(alt, stack)?);
            }
        }
        fold_alternatives(&mut s);
        for key in LOWER_BOUNDS
            .iter()
            .chain(UPPER_BOUNDS)
            .chain(OTHER_CONSTRAINTS)
        {
            if let Some(c) = v.get(*key) {
                s.constraints.insert(key, whole_as_integer(c));
            }
        }
        s.additional_properties = match v.get("additionalProperties") {
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => Some(true), // a schema for extra properties: they are allowed
            None => None,
        };
        for part in v
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let part = self.schema(part, stack)?;
            merge_into(&mut s, part);
        }
        // An object or array described only by its members.
        if s.type_.is_none() {
            if !s.properties.is_empty() || !s.required.is_empty() {
                s.type_ = Some("object".to_string());
            } else if s.items.is_some() {
                s.type_ = Some("array".to_string());
            }
        }
        Ok(s)
    }
}

/// `oneOf`/`anyOf` in the two shapes that mean something simpler: a single
/// alternative is that alternative, and alternatives that are each a list of
/// values of one type (how schemars writes a documented Rust enum) are one
/// `enum`.
fn fold_alternatives(s: &mut Schema) {
    if s.alternatives.len() == 1 {
        let only = s.alternatives.pop().expect("one alternative");
        merge_into(s, only);
        return;
    }
    let enum_only = |a: &Schema| {
        a.enum_values.is_some()
            && a.properties.is_empty()
            && a.items.is_none()
            && a.alternatives.is_empty()
    };
    if s.alternatives.len() > 1 && s.alternatives.iter().all(enum_only) {
        let first = s.alternatives[0].clone();
        if s.alternatives.iter().all(|a| {
            a.type_ == first.type_ && a.format == first.format && a.nullable == first.nullable
        }) {
            let values: Vec<Value> = s
                .alternatives
                .drain(..)
                .flat_map(|a| a.enum_values.unwrap_or_default())
                .collect();
            merge_into(
                s,
                Schema {
                    enum_values: Some(values),
                    ..first
                },
            );
        }
    }
}

/// `allOf`: the data must satisfy both, so constraints add up.
fn merge_into(s: &mut Schema, part: Schema) {
    if s.type_.is_none() {
        s.type_ = part.type_;
    }
    if s.format.is_none() {
        s.format = part.format;
    }
    s.nullable = s.nullable || part.nullable;
    if s.enum_values.is_none() {
        s.enum_values = part.enum_values;
    }
    for (k, v) in part.properties {
        s.properties.entry(k).or_insert(v);
    }
    s.required.extend(part.required);
    if s.items.is_none() {
        s.items = part.items;
    }
    s.alternatives.extend(part.alternatives);
    for (k, v) in part.constraints {
        s.constraints.entry(k).or_insert(v);
    }
    if s.additional_properties.is_none() {
        s.additional_properties = part.additional_properties;
    }
    if s.recursive.is_none() {
        s.recursive = part.recursive;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn refs_are_resolved_and_all_of_is_flattened() {
        let doc = json!({
            "info": {"version": "1.0.0"},
            "paths": {"/a": {"post": {
                "operationId": "a",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/R"}}}},
                "responses": {"200": {"description": "ok"}}
            }}},
            "components": {"schemas": {
                "R": {"type": "object", "required": ["p"], "properties": {"p": {"allOf": [{"$ref": "#/components/schemas/P"}], "description": "x"}}},
                "P": {"type": "string", "enum": ["a"]}
            }}
        });
        let c = contract(&doc).unwrap();
        let op = &c.operations[&OperationKey::new("/a", "post")];
        let body = &op.request_body.as_ref().unwrap().content["application/json"];
        assert_eq!(body.properties["p"].type_.as_deref(), Some("string"));
        assert_eq!(body.properties["p"].enum_values, Some(vec![json!("a")]));
        assert!(body.required.contains("p"));
    }

    #[test]
    fn documented_enums_written_as_one_of_are_one_enum() {
        let doc = json!({"paths": {"/e": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {
            "oneOf": [
                {"type": "string", "enum": ["a"], "description": "A."},
                {"type": "string", "enum": ["b"], "description": "B."}
            ]
        }}}}}}}}});
        let c = contract(&doc).unwrap();
        let s = &c.operations[&OperationKey::new("/e", "get")].responses["200"].content
            ["application/json"];
        assert_eq!(s.type_.as_deref(), Some("string"));
        assert_eq!(s.enum_values, Some(vec![json!("a"), json!("b")]));
        assert!(s.alternatives.is_empty());
    }

    #[test]
    fn cycles_stop_at_the_reference() {
        let doc = json!({
            "paths": {"/t": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/T"}}}}}}}},
            "components": {"schemas": {"T": {"type": "object", "properties": {"child": {"$ref": "#/components/schemas/T"}}}}}
        });
        let c = contract(&doc).unwrap();
        let s = &c.operations[&OperationKey::new("/t", "get")].responses["200"].content
            ["application/json"];
        assert_eq!(
            s.properties["child"].recursive.as_deref(),
            Some("#/components/schemas/T")
        );
    }

    #[test]
    fn bounds_compare_as_numbers() {
        let doc = |minimum: Value| {
            let schema = json!({"type": "number", "minimum": minimum, "maximum": 0.5});
            Resolver { root: &Value::Null }
                .schema(&schema, &mut Vec::new())
                .unwrap()
        };
        assert_eq!(doc(json!(0)), doc(json!(0.0)));
        assert_ne!(doc(json!(0)), doc(json!(0.5)));
        assert_eq!(doc(json!(2)).constraints["maximum"], json!(0.5));
    }

    #[test]
    fn dangling_refs_are_errors() {
        let doc = json!({"paths": {"/a": {"get": {"responses": {"200": {"$ref": "#/components/responses/Nope"}}}}}});
        assert_eq!(
            contract(&doc).unwrap_err(),
            RefError::Unresolved("#/components/responses/Nope".into())
        );
    }
}
