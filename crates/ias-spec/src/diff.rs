//! Comparing two contracts: every change, where it is, and whether a client
//! generated from (or written against) the old document can stop working
//! against the new one — at run time, or at compile time once regenerated.
//!
//! The rules, by where a change is:
//!
//! | change | request side | response side |
//! |---|---|---|
//! | operation removed, moved (path or method), operationId changed | breaking | |
//! | operation added | compatible | |
//! | property added | breaking if required, else compatible | compatible |
//! | property removed | breaking (regenerated code loses the field) | breaking |
//! | optional → required | breaking | compatible |
//! | required → optional | compatible | breaking |
//! | type or format changed | breaking | breaking |
//! | enum value added | compatible | breaking (progenitor's enums are exhaustive) |
//! | enum value removed | breaking | compatible |
//! | enum introduced or dropped | breaking (the generated type changes) | breaking |
//! | made nullable | compatible | breaking |
//! | a bound tightened (`minLength` up, `maximum` down, ...) | breaking | compatible |
//! | a bound loosened | compatible | breaking |
//! | `pattern`, `multipleOf`, ... changed | breaking | breaking |
//! | a constraint introduced | breaking | compatible, unless the generated type changes |
//! | a constraint dropped | compatible, unless the generated type changes | breaking |
//! | extra properties refused (`additionalProperties: false`) | breaking | compatible |
//! | extra properties allowed again | compatible | breaking |
//! | security required where none was, or changed | breaking | |
//! | security no longer required | compatible | |
//! | status code added / removed | | compatible / breaking |
//! | media type added / removed | compatible / breaking | compatible / breaking |
//! | descriptions, summaries, examples, `x-*`, `deprecated`, tags | documentation: no bump | |
//!
//! "The generated type changes": typify (progenitor's type generator) turns a
//! string with `minLength`, `maxLength` or `pattern` into a validated newtype,
//! and an integer with a `minimum` into an unsigned or non-zero type; adding or
//! dropping such a constraint changes the Rust type, which breaks code that
//! compiles against it on either side.
//!
//! `$ref`s are resolved before comparing (see [`crate::model`]), so moving a
//! schema into `components` is not a change.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value;

use crate::model::{
    Body, Contract, Operation, Parameter, Schema, LOWER_BOUNDS, OTHER_CONSTRAINTS, UPPER_BOUNDS,
};

/// The version bump a change needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bump {
    /// Documentation only.
    None,
    /// A compatible change to the contract.
    Minor,
    /// A breaking change.
    Major,
}

impl Bump {
    /// `"none"`, `"minor"`, `"major"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Bump::None => "none",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }
}

/// One difference between two documents.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Where, as a JSON Pointer into the operation (after `$ref` resolution).
    pub location: String,
    /// A stable, machine-readable name of the rule (`property-removed`, ...).
    pub kind: &'static str,
    /// The bump it needs; `Major` means breaking.
    pub bump: Bump,
    /// One line for people.
    pub message: String,
    /// What the old (or spec) side says, when there is something to say.
    pub old: Option<String>,
    /// What the new (or server) side says.
    pub new: Option<String>,
}

impl Change {
    /// Whether a client of the old document can break.
    pub fn breaking(&self) -> bool {
        self.bump == Bump::Major
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.bump {
            Bump::Major => "breaking",
            Bump::Minor => "compatible",
            Bump::None => "docs",
        };
        write!(f, "{label:<10} {}: {}", self.location, self.message)
    }
}

/// Which way data flows through a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// Sent by clients: the new schema must accept what old clients send.
    Request,
    /// Received by clients: old clients must understand what the new one sends.
    Response,
}

/// Every change between two documents (as JSON), contract and documentation.
pub fn diff_documents(old: &Value, new: &Value) -> Result<Vec<Change>, String> {
    let old_contract = crate::model::contract(old).map_err(|e| format!("old document: {e}"))?;
    let new_contract = crate::model::contract(new).map_err(|e| format!("new document: {e}"))?;
    let mut changes = diff_contracts(&old_contract, &new_contract);
    documentation_changes(old, new, &mut String::new(), None, &mut changes);
    Ok(changes)
}

/// The contract changes between two contracts.
pub fn diff_contracts(old: &Contract, new: &Contract) -> Vec<Change> {
    let mut d = Differ {
        changes: Vec::new(),
    };
    let ids_new: BTreeMap<&str, &(String, String)> = new
        .operations
        .iter()
        .filter(|(_, op)| !op.operation_id.is_empty())
        .map(|(k, op)| (op.operation_id.as_str(), k))
        .collect();
    let mut moved_to: BTreeSet<&(String, String)> = BTreeSet::new();
    for (key, old_op) in &old.operations {
        let loc = op_pointer(key);
        let label = op_label(key);
        match new.operations.get(key) {
            Some(new_op) => d.operation(&loc, &label, old_op, new_op),
            None => match ids_new
                .get(old_op.operation_id.as_str())
                .filter(|k| !old.operations.contains_key(**k))
            {
                Some(to) => {
                    moved_to.insert(to);
                    let kind = if to.0 == key.0 {
                        "method-changed"
                    } else {
                        "path-changed"
                    };
                    d.push(
                        &loc,
                        kind,
                        Bump::Major,
                        format!(
                            "operation {} moved from {label} to {}",
                            old_op.operation_id,
                            op_label(to)
                        ),
                        Some(label.clone()),
                        Some(op_label(to)),
                    );
                }
                None => d.push(
                    &loc,
                    "operation-removed",
                    Bump::Major,
                    format!("operation {label} ({}) was removed", old_op.operation_id),
                    Some(label.clone()),
                    None,
                ),
            },
        }
    }
    for (key, new_op) in &new.operations {
        if !old.operations.contains_key(key) && !moved_to.contains(key) {
            let label = op_label(key);
            d.push(
                &op_pointer(key),
                "operation-added",
                Bump::Minor,
                format!("operation {label} ({}) was added", new_op.operation_id),
                None,
                Some(label),
            );
        }
    }
    d.changes
}

struct Differ {
    changes: Vec<Change>,
}

impl Differ {
    fn push(
        &mut self,
        loc: &str,
        kind: &'static str,
        bump: Bump,
        message: String,
        old: Option<String>,
        new: Option<String>,
    ) {
        self.changes.push(Change {
            location: loc.to_string(),
            kind,
            bump,
            message,
            old,
            new,
        });
    }

    fn operation(&mut self, loc: &str, label: &str, old: &Operation, new: &Operation) {
        if old.operation_id != new.operation_id {
            self.push(
                &format!("{loc}/operationId"),
                "operation-id-changed",
                Bump::Major,
                format!(
                    "{label}: operationId changed from {} to {} (the generated method is renamed)",
                    old.operation_id, new.operation_id
                ),
                Some(old.operation_id.clone()),
                Some(new.operation_id.clone()),
            );
        }
        if old.tags != new.tags {
            self.push(
                &format!("{loc}/tags"),
                "tags-changed",
                Bump::None,
                format!(
                    "{label}: tags changed from {:?} to {:?}",
                    old.tags, new.tags
                ),
                Some(format!("{:?}", old.tags)),
                Some(format!("{:?}", new.tags)),
            );
        }
        if old.security != new.security {
            let show = |s: &BTreeSet<BTreeSet<String>>| {
                if s.is_empty() {
                    "none".to_string()
                } else {
                    format!("{s:?}")
                }
            };
            let (bump, message) = if new.security.is_empty() {
                (
                    Bump::Minor,
                    format!("{label}: authentication is no longer required"),
                )
            } else if old.security.is_empty() {
                (
                    Bump::Major,
                    format!(
                        "{label}: authentication is now required ({})",
                        show(&new.security)
                    ),
                )
            } else {
                (
                    Bump::Major,
                    format!("{label}: security requirements changed"),
                )
            };
            self.push(
                &format!("{loc}/security"),
                "security-changed",
                bump,
                message,
                Some(show(&old.security)),
                Some(show(&new.security)),
            );
        }
        self.parameters(loc, label, &old.parameters, &new.parameters);
        self.request_body(
            loc,
            label,
            old.request_body.as_ref(),
            new.request_body.as_ref(),
        );
        self.responses(loc, label, &old.responses, &new.responses);
    }

    /// `required` went from `was` to `is` for something on `side`: becoming
    /// required breaks senders (requests), becoming optional breaks receivers
    /// (responses). `kinds` names the two directions.
    fn required_change(
        &mut self,
        loc: &str,
        what: &str,
        (was, is): (bool, bool),
        side: Side,
        kinds: [&'static str; 2],
    ) {
        let (kind, breaks_on, became, before) = match (was, is) {
            (false, true) => (kinds[0], Side::Request, "required", "optional"),
            (true, false) => (kinds[1], Side::Response, "optional", "required"),
            _ => return,
        };
        let bump = if side == breaks_on {
            Bump::Major
        } else {
            Bump::Minor
        };
        self.push(
            loc,
            kind,
            bump,
            format!("{what} became {became}"),
            Some(before.into()),
            Some(became.into()),
        );
    }

    fn parameters(
        &mut self,
        loc: &str,
        label: &str,
        old: &BTreeMap<(String, String), Parameter>,
        new: &BTreeMap<(String, String), Parameter>,
    ) {
        for (key, o) in old {
            let ploc = format!("{loc}/parameters/{}/{}", key.0, escape(&key.1));
            let what = format!("{label}: {} parameter {}", key.0, key.1);
            match new.get(key) {
                None => self.push(
                    &ploc,
                    "parameter-removed",
                    Bump::Major,
                    format!("{what} was removed"),
                    Some("present".into()),
                    None,
                ),
                Some(n) => {
                    self.required_change(
                        &ploc,
                        &what,
                        (o.required, n.required),
                        Side::Request,
                        ["parameter-required", "parameter-optional"],
                    );
                    self.schema(
                        &format!("{ploc}/schema"),
                        &what,
                        &o.schema,
                        &n.schema,
                        Side::Request,
                    );
                }
            }
        }
        for (key, n) in new {
            if !old.contains_key(key) {
                let ploc = format!("{loc}/parameters/{}/{}", key.0, escape(&key.1));
                let what = format!("{label}: {} parameter {}", key.0, key.1);
                let (bump, adj) = if n.required {
                    (Bump::Major, "required")
                } else {
                    (Bump::Minor, "optional")
                };
                self.push(
                    &ploc,
                    "parameter-added",
                    bump,
                    format!("{what} was added ({adj})"),
                    None,
                    Some(adj.into()),
                );
            }
        }
    }

    fn request_body(&mut self, loc: &str, label: &str, old: Option<&Body>, new: Option<&Body>) {
        let bloc = format!("{loc}/requestBody");
        let what = format!("{label}: request body");
        match (old, new) {
            (None, None) => {}
            (None, Some(n)) => {
                let (bump, adj) = if n.required {
                    (Bump::Major, "required")
                } else {
                    (Bump::Minor, "optional")
                };
                self.push(
                    &bloc,
                    "request-body-added",
                    bump,
                    format!("{what} was added ({adj})"),
                    None,
                    Some(adj.into()),
                );
            }
            (Some(_), None) => self.push(
                &bloc,
                "request-body-removed",
                Bump::Major,
                format!("{what} was removed"),
                Some("present".into()),
                None,
            ),
            (Some(o), Some(n)) => {
                self.required_change(
                    &bloc,
                    &what,
                    (o.required, n.required),
                    Side::Request,
                    ["request-body-required", "request-body-optional"],
                );
                self.content(&bloc, &what, &o.content, &n.content, Side::Request);
            }
        }
    }

    fn responses(
        &mut self,
        loc: &str,
        label: &str,
        old: &BTreeMap<String, Body>,
        new: &BTreeMap<String, Body>,
    ) {
        for (status, o) in old {
            let rloc = format!("{loc}/responses/{status}");
            let what = format!("{label}: response {status}");
            match new.get(status) {
                None => self.push(
                    &rloc,
                    "status-removed",
                    Bump::Major,
                    format!("{what} was removed"),
                    Some(status.clone()),
                    None,
                ),
                Some(n) => self.content(&rloc, &what, &o.content, &n.content, Side::Response),
            }
        }
        for status in new.keys().filter(|s| !old.contains_key(*s)) {
            self.push(
                &format!("{loc}/responses/{status}"),
                "status-added",
                Bump::Minor,
                format!("{label}: response {status} was added"),
                None,
                Some(status.clone()),
            );
        }
    }

    fn content(
        &mut self,
        loc: &str,
        what: &str,
        old: &BTreeMap<String, Schema>,
        new: &BTreeMap<String, Schema>,
        side: Side,
    ) {
        for (media, o) in old {
            let mloc = format!("{loc}/content/{}/schema", escape(media));
            match new.get(media) {
                None => self.push(
                    &mloc,
                    "media-type-removed",
                    Bump::Major,
                    format!("{what}: media type {media} was removed"),
                    Some(media.clone()),
                    None,
                ),
                Some(n) => self.schema(&mloc, what, o, n, side),
            }
        }
        for media in new.keys().filter(|m| !old.contains_key(*m)) {
            self.push(
                &format!("{loc}/content/{}", escape(media)),
                "media-type-added",
                Bump::Minor,
                format!("{what}: media type {media} was added"),
                None,
                Some(media.clone()),
            );
        }
    }

    fn schema(&mut self, loc: &str, what: &str, old: &Schema, new: &Schema, side: Side) {
        if old.recursive.is_some() || new.recursive.is_some() {
            if old.recursive != new.recursive {
                self.push(
                    loc,
                    "type-changed",
                    Bump::Major,
                    format!("{what}: recursive schema changed"),
                    old.recursive.clone(),
                    new.recursive.clone(),
                );
            }
            return;
        }
        if old.type_ != new.type_ {
            self.push(
                loc,
                "type-changed",
                Bump::Major,
                format!(
                    "{what}: type changed from {} to {}",
                    old.type_label(),
                    new.type_label()
                ),
                Some(old.type_label()),
                Some(new.type_label()),
            );
            return;
        }
        if old.format != new.format {
            self.push(
                loc,
                "format-changed",
                Bump::Major,
                format!(
                    "{what}: format changed from {} to {}",
                    old.type_label(),
                    new.type_label()
                ),
                Some(old.type_label()),
                Some(new.type_label()),
            );
        }
        if old.nullable != new.nullable {
            let widened = new.nullable;
            let bump = match (side, widened) {
                (Side::Request, true) | (Side::Response, false) => Bump::Minor,
                _ => Bump::Major,
            };
            let message = if widened {
                "may now be null"
            } else {
                "may no longer be null"
            };
            self.push(
                loc,
                "nullable-changed",
                bump,
                format!("{what}: {message}"),
                Some(old.nullable.to_string()),
                Some(new.nullable.to_string()),
            );
        }
        self.enums(loc, what, old, new, side);
        self.constraints(loc, what, old, new, side);
        self.extra_properties(loc, what, old, new, side);
        self.properties(loc, what, old, new, side);
        if let (Some(o), Some(n)) = (&old.items, &new.items) {
            self.schema(
                &format!("{loc}/items"),
                &format!("{what} items"),
                o,
                n,
                side,
            );
        } else if old.items.is_some() != new.items.is_some() {
            self.push(
                &format!("{loc}/items"),
                "type-changed",
                Bump::Major,
                format!("{what}: items changed"),
                None,
                None,
            );
        }
        if old.alternatives != new.alternatives {
            self.push(
                loc,
                "alternatives-changed",
                Bump::Major,
                format!("{what}: oneOf/anyOf alternatives changed"),
                None,
                None,
            );
        }
    }

    fn constraints(&mut self, loc: &str, what: &str, old: &Schema, new: &Schema, side: Side) {
        let type_ = old.type_.as_deref().unwrap_or_default();
        for key in LOWER_BOUNDS
            .iter()
            .chain(UPPER_BOUNDS)
            .chain(OTHER_CONSTRAINTS)
        {
            let (o, n) = (old.constraints.get(key), new.constraints.get(key));
            if o == n {
                continue;
            }
            let retypes = generated_type_depends_on(type_, key);
            let (kind, bump, message) = match (o, n) {
                (None, Some(n)) => {
                    let bump = if side == Side::Request || retypes {
                        Bump::Major
                    } else {
                        Bump::Minor
                    };
                    let why = if retypes {
                        " (the generated type changes)"
                    } else {
                        ""
                    };
                    (
                        "constraint-added",
                        bump,
                        format!("{what}: {key}: {n} was introduced{why}"),
                    )
                }
                (Some(o), None) => {
                    let bump = if side == Side::Response || retypes {
                        Bump::Major
                    } else {
                        Bump::Minor
                    };
                    let why = if retypes {
                        " (the generated type changes)"
                    } else {
                        ""
                    };
                    (
                        "constraint-dropped",
                        bump,
                        format!("{what}: {key}: {o} was dropped{why}"),
                    )
                }
                (Some(o), Some(n)) => {
                    let tighter = match (o.as_f64(), n.as_f64()) {
                        (Some(a), Some(b)) if LOWER_BOUNDS.contains(key) => Some(b > a),
                        (Some(a), Some(b)) if UPPER_BOUNDS.contains(key) => Some(b < a),
                        _ => None, // a pattern or a flag: no direction to judge
                    };
                    let bump = match (tighter, side) {
                        (Some(true), Side::Response) | (Some(false), Side::Request) => Bump::Minor,
                        _ => Bump::Major,
                    };
                    (
                        "constraint-changed",
                        bump,
                        format!("{what}: {key} changed from {o} to {n}"),
                    )
                }
                (None, None) => continue,
            };
            self.push(
                &format!("{loc}/{key}"),
                kind,
                bump,
                message,
                o.map(Value::to_string),
                n.map(Value::to_string),
            );
        }
    }

    fn extra_properties(&mut self, loc: &str, what: &str, old: &Schema, new: &Schema, side: Side) {
        let (was, is) = (
            old.additional_properties != Some(false),
            new.additional_properties != Some(false),
        );
        if was == is {
            return;
        }
        let (bump, message) = match (is, side) {
            (false, Side::Request) => (Bump::Major, "properties not listed are now refused"),
            (false, Side::Response) => (
                Bump::Minor,
                "no properties beyond those listed will be sent",
            ),
            (true, Side::Request) => (Bump::Minor, "properties not listed are now accepted"),
            (true, Side::Response) => (Bump::Major, "properties not listed may now be sent"),
        };
        self.push(
            &format!("{loc}/additionalProperties"),
            "additional-properties-changed",
            bump,
            format!("{what}: {message}"),
            Some(was.to_string()),
            Some(is.to_string()),
        );
    }

    fn enums(&mut self, loc: &str, what: &str, old: &Schema, new: &Schema, side: Side) {
        let show = |v: &Value| v.to_string();
        match (&old.enum_values, &new.enum_values) {
            (None, None) => {}
            (None, Some(n)) => self.push(
                &format!("{loc}/enum"),
                "enum-introduced",
                Bump::Major,
                format!(
                    "{what}: now restricted to {} (the generated type changes)",
                    list(n)
                ),
                None,
                Some(list(n)),
            ),
            (Some(o), None) => self.push(
                &format!("{loc}/enum"),
                "enum-dropped",
                Bump::Major,
                format!(
                    "{what}: no longer restricted to {} (the generated type changes)",
                    list(o)
                ),
                Some(list(o)),
                None,
            ),
            (Some(o), Some(n)) => {
                for v in o.iter().filter(|v| !n.contains(v)) {
                    let bump = if side == Side::Request {
                        Bump::Major
                    } else {
                        Bump::Minor
                    };
                    self.push(
                        &format!("{loc}/enum"),
                        "enum-value-removed",
                        bump,
                        format!("{what}: enum value {} was removed", show(v)),
                        Some(list(o)),
                        Some(list(n)),
                    );
                }
                for v in n.iter().filter(|v| !o.contains(v)) {
                    let bump = if side == Side::Request {
                        Bump::Minor
                    } else {
                        Bump::Major
                    };
                    self.push(
                        &format!("{loc}/enum"),
                        "enum-value-added",
                        bump,
                        format!("{what}: enum value {} was added", show(v)),
                        Some(list(o)),
                        Some(list(n)),
                    );
                }
            }
        }
    }

    fn properties(&mut self, loc: &str, what: &str, old: &Schema, new: &Schema, side: Side) {
        for (name, o) in &old.properties {
            let ploc = format!("{loc}/properties/{}", escape(name));
            let pwhat = format!("{what}: property {name}");
            let Some(n) = new.properties.get(name) else {
                self.push(
                    &ploc,
                    "property-removed",
                    Bump::Major,
                    format!("{pwhat} was removed"),
                    Some(o.type_label()),
                    None,
                );
                continue;
            };
            self.required_change(
                &ploc,
                &pwhat,
                (old.required.contains(name), new.required.contains(name)),
                side,
                ["required-added", "required-removed"],
            );
            self.schema(&ploc, &pwhat, o, n, side);
        }
        for (name, n) in &new.properties {
            if old.properties.contains_key(name) {
                continue;
            }
            let required = new.required.contains(name);
            let adj = if required { "required" } else { "optional" };
            let bump = if side == Side::Request && required {
                Bump::Major
            } else {
                Bump::Minor
            };
            self.push(
                &format!("{loc}/properties/{}", escape(name)),
                "property-added",
                bump,
                format!(
                    "{what}: {adj} property {name} ({}) was added",
                    n.type_label()
                ),
                None,
                Some(format!("{adj} {}", n.type_label())),
            );
        }
    }
}

/// Whether typify's Rust type for a schema of this `type` depends on `key`
/// (see the module docs).
fn generated_type_depends_on(type_: &str, key: &str) -> bool {
    matches!(
        (type_, key),
        ("string", "minLength" | "maxLength" | "pattern")
            | ("integer", "minimum" | "exclusiveMinimum")
    )
}

fn list(values: &[Value]) -> String {
    format!(
        "[{}]",
        values
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn op_label(key: &(String, String)) -> String {
    format!("{} {}", key.1.to_uppercase(), key.0)
}

fn op_pointer(key: &(String, String)) -> String {
    format!("/paths/{}/{}", escape(&key.0), key.1)
}

/// RFC 6901 escaping of one pointer segment.
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Keys whose values are documentation.
fn is_doc_key(key: &str) -> bool {
    matches!(
        key,
        "description"
            | "summary"
            | "example"
            | "examples"
            | "title"
            | "externalDocs"
            | "default"
            | "servers"
            | "contact"
            | "deprecated"
            | "license"
            | "termsOfService"
    ) || key.starts_with("x-")
}

/// Keys whose children are names (of paths, properties, statuses...), not keywords.
fn holds_names(key: &str) -> bool {
    matches!(
        key,
        "paths"
            | "properties"
            | "responses"
            | "content"
            | "schemas"
            | "headers"
            | "securitySchemes"
            | "links"
            | "callbacks"
            | "encoding"
            | "variables"
            | "requestBodies"
            | "parameters"
    )
}

/// Documentation differences, found by walking both raw documents together.
fn documentation_changes(
    old: &Value,
    new: &Value,
    loc: &mut String,
    parent: Option<&str>,
    out: &mut Vec<Change>,
) {
    let (Value::Object(o), Value::Object(n)) = (old, new) else {
        if let (Value::Array(o), Value::Array(n)) = (old, new) {
            if o.len() == n.len() {
                for (i, (a, b)) in o.iter().zip(n).enumerate() {
                    let len = loc.len();
                    loc.push_str(&format!("/{i}"));
                    documentation_changes(a, b, loc, None, out);
                    loc.truncate(len);
                }
            }
        }
        return;
    };
    let names_here = parent.is_some_and(holds_names);
    let keys: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
    for key in keys {
        let (a, b) = (o.get(key), n.get(key));
        let len = loc.len();
        loc.push('/');
        loc.push_str(&escape(key));
        if loc == "/info/version" || loc == "/openapi" {
            // The version is judged by the version rule, not listed.
        } else if !names_here && (is_doc_key(key) || loc == "/tags") {
            if a != b {
                out.push(Change {
                    location: loc.clone(),
                    kind: "documentation",
                    bump: Bump::None,
                    message: format!("{key} changed"),
                    old: a.map(Value::to_string),
                    new: b.map(Value::to_string),
                });
            }
        } else if let (Some(a), Some(b)) = (a, b) {
            documentation_changes(a, b, loc, Some(key), out);
        }
        loc.truncate(len);
    }
}
