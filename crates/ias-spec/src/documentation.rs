//! Documentation differences: descriptions, summaries, examples, `x-*`,
//! `deprecated`, tags. They need no version bump but are listed, so that a
//! reviewer sees them. Found by walking both raw documents together, since the
//! contract model ([`crate::model`]) leaves documentation out.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::diff::{escape, Change, ChangeKind, Side};

/// Where the documented errors' Rust names are: contract, not documentation.
const ERROR_NAMES_AT: &str = "/components/x-ias-error-names";

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

/// Appends the documentation differences between two documents (as JSON) to
/// `out`.
pub fn changes(old: &Value, new: &Value, out: &mut Vec<Change>) {
    walk(old, new, &mut String::new(), None, out);
}

/// Walks both raw documents together; `loc` is the JSON Pointer so far.
fn walk(old: &Value, new: &Value, loc: &mut String, parent: Option<&str>, out: &mut Vec<Change>) {
    let (Value::Object(o), Value::Object(n)) = (old, new) else {
        if let (Value::Array(o), Value::Array(n)) = (old, new) {
            if o.len() == n.len() {
                for (i, (a, b)) in o.iter().zip(n).enumerate() {
                    let len = loc.len();
                    loc.push_str(&format!("/{i}"));
                    walk(a, b, loc, None, out);
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
        } else if loc == ERROR_NAMES_AT {
            // Names in generated code: the catalogue's diff judges them.
        } else if !names_here && (is_doc_key(key) || loc == "/tags") {
            if a != b {
                // Documentation is the same on either side: no bump.
                out.push(Change::new(
                    ChangeKind::Documentation,
                    Side::Request,
                    loc.clone(),
                    format!("{key} changed"),
                    a.map(Value::to_string),
                    b.map(Value::to_string),
                ));
            }
        } else if let (Some(a), Some(b)) = (a, b) {
            walk(a, b, loc, Some(key), out);
        }
        loc.truncate(len);
    }
}
