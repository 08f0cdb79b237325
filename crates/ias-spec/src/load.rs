//! Reading an OpenAPI document with errors that point at the file and line.

use std::fmt;
use std::path::Path;

use openapiv3::OpenAPI;

/// An OpenAPI document read from YAML (or JSON, which is YAML) text.
#[derive(Debug, Clone)]
pub struct SpecDocument {
    /// How the document is named in messages (usually its workspace-relative path).
    pub name: String,
    /// The text the document was parsed from.
    pub text: String,
    /// The parsed document.
    pub openapi: OpenAPI,
    /// The same document as JSON (for [`crate::model`] and [`crate::diff`]);
    /// its maps are sorted by key.
    pub json: serde_json::Value,
    /// The same document as YAML values, its maps in the spec's order (what
    /// the server generator reads: one tree, in order).
    pub yaml: serde_yaml::Value,
}

/// Why a document could not be used: the file, where in it, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The document's name as given to [`parse`] or [`load`].
    pub file: String,
    /// 1-based line, when the problem has a place in the text.
    pub line: Option<usize>,
    /// 1-based column, when the parser reports one.
    pub column: Option<usize>,
    /// What is wrong, in words.
    pub problem: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.problem)
    }
}

impl std::error::Error for SpecError {}

impl SpecError {
    /// An error at a line found with [`locate`] (or at no line).
    pub fn at(file: &str, line: Option<usize>, problem: impl Into<String>) -> Self {
        SpecError {
            file: file.to_string(),
            line,
            column: None,
            problem: problem.into(),
        }
    }
}

/// Reads and parses `path`, naming it `name` in errors.
pub fn load(path: &Path, name: &str) -> Result<SpecDocument, SpecError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| SpecError::at(name, None, format!("cannot read {}: {e}", path.display())))?;
    parse(name, &text)
}

/// Parses an OpenAPI 3.0.x document and checks what every tool here relies on:
/// the version, and one unique `operationId` per operation.
pub fn parse(name: &str, text: &str) -> Result<SpecDocument, SpecError> {
    let yaml_error = |e: serde_yaml::Error, what: &str| {
        let location = e.location();
        SpecError {
            file: name.to_string(),
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
            problem: format!("{what}: {e}"),
        }
    };
    // Syntax first, so that a YAML mistake is reported as one.
    let value: serde_yaml::Value =
        serde_yaml::from_str(text).map_err(|e| yaml_error(e, "invalid YAML"))?;
    let version = value
        .get("openapi")
        .and_then(|v| v.as_str())
        .ok_or_else(|| {
            SpecError::at(
                name,
                None,
                "not an OpenAPI 3.0 document: the top-level `openapi: 3.0.x` field is missing",
            )
        })?;
    if !version.trim().starts_with("3.0.") {
        return Err(SpecError::at(
            name,
            locate(text, &["openapi"]),
            format!(
                "OpenAPI {version} is not supported: this workspace (and progenitor) \
                 reads OpenAPI 3.0.x documents; set `openapi: 3.0.3`"
            ),
        ));
    }
    // Parsed from the text (not `value`) so that errors carry a location.
    let openapi: OpenAPI = serde_yaml::from_str(text)
        .map_err(|e| yaml_error(e, "not a valid OpenAPI 3.0 document"))?;

    let mut seen = std::collections::BTreeMap::<String, String>::new();
    for (path, item) in &openapi.paths.paths {
        let Some(item) = item.as_item() else {
            return Err(SpecError::at(
                name,
                locate(text, &["paths", path]),
                format!("path {path} is a $ref; path items must be written inline"),
            ));
        };
        for (method, op) in item.iter() {
            let place = format!("{} {path}", method.to_uppercase());
            let Some(id) = op.operation_id.as_deref().filter(|id| !id.is_empty()) else {
                return Err(SpecError::at(
                    name,
                    locate(text, &["paths", path, method]),
                    format!(
                        "operation {place} has no operationId; every operation needs one \
                         (it names the generated client method)"
                    ),
                ));
            };
            if let Some(other) = seen.insert(id.to_string(), place.clone()) {
                return Err(SpecError::at(
                    name,
                    locate(text, &["paths", path, method]),
                    format!("operationId {id} is used by both {other} and {place}; make it unique"),
                ));
            }
        }
    }
    Ok(SpecDocument {
        name: name.to_string(),
        text: text.to_string(),
        openapi,
        json: crate::model::yaml_to_json(&value),
        yaml: value,
    })
}

/// The 1-based line of a block-style YAML key path such as
/// `["paths", "/oauth/token", "post"]`, or `None` when it cannot be found
/// (flow style, JSON on one line, or a missing key). A key `#N` is the N-th
/// (from 0) item of a block sequence (`- ...`), so
/// `["paths", "/items", "get", "parameters", "#1", "schema"]` is the schema
/// of the second parameter.
pub fn locate(text: &str, keys: &[&str]) -> Option<usize> {
    let mut parent_indent: Option<usize> = None;
    let mut start = 0;
    let lines: Vec<&str> = text.lines().collect();
    let mut found = None;
    for key in keys {
        let mut hit = None;
        // The parent's children are at the indent of its first one; deeper
        // lines belong to them (a `code:` inside a sibling is not the key).
        let mut child_indent = None;
        let mut item = key.strip_prefix('#').and_then(|n| n.parse::<usize>().ok());
        for (i, line) in lines.iter().enumerate().skip(start) {
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let indent = line.len() - trimmed.len();
            if let Some(p) = parent_indent {
                if indent <= p {
                    break; // left the parent's block
                }
            }
            if let Some(n) = item.as_mut() {
                // An item: `- ...` (YAML) or `{`/`[` (JSON), at the items' indent.
                let opens =
                    trimmed == "-" || trimmed.starts_with(['{', '[']) || trimmed.starts_with("- ");
                if opens && *child_indent.get_or_insert(indent) == indent {
                    if *n == 0 {
                        hit = Some((i, indent));
                        break;
                    }
                    *n -= 1;
                }
                continue;
            }
            if trimmed.starts_with(['{', '}', '[', ']']) {
                continue; // JSON's brackets on lines of their own
            }
            if *child_indent.get_or_insert(indent) != indent {
                continue;
            }
            let is_key = [
                format!("{key}:"),
                format!("'{key}':"),
                format!("\"{key}\":"),
            ]
            .iter()
            .any(|k| trimmed.starts_with(k.as_str()));
            if is_key {
                hit = Some((i, indent));
                break;
            }
        }
        let (i, indent) = hit?;
        parent_indent = Some(indent);
        start = i + 1;
        found = Some(i + 1);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINI: &str = "openapi: 3.0.3\ninfo:\n  title: t\n  version: 1.0.0\npaths:\n  /a:\n    get:\n      operationId: getA\n      responses:\n        '200':\n          description: ok\n";

    #[test]
    fn parses_a_minimal_document() {
        let doc = parse("mini.yaml", MINI).unwrap();
        assert_eq!(doc.openapi.paths.paths.len(), 1);
    }

    #[test]
    fn yaml_syntax_errors_name_file_and_line() {
        let bad = MINI.replace("  title: t", "  title: [t");
        let e = parse("x/spec.yaml", &bad).unwrap_err();
        assert_eq!(e.file, "x/spec.yaml");
        assert!(e.line.is_some(), "{e}");
        assert!(e.problem.starts_with("invalid YAML"), "{e}");
        assert!(e.to_string().starts_with("x/spec.yaml:"), "{e}");
    }

    #[test]
    fn openapi_31_is_refused_at_its_line() {
        let e = parse("s.yaml", &MINI.replace("3.0.3", "3.1.0")).unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.problem.contains("OpenAPI 3.1.0 is not supported"), "{e}");
    }

    #[test]
    fn missing_operation_id_is_refused_at_the_operation() {
        let e = parse("s.yaml", &MINI.replace("      operationId: getA\n", "")).unwrap_err();
        assert_eq!(e.line, Some(7));
        assert!(e.problem.contains("GET /a has no operationId"), "{e}");
    }

    #[test]
    fn locate_follows_nesting() {
        assert_eq!(locate(MINI, &["paths", "/a", "get"]), Some(7));
        assert_eq!(locate(MINI, &["paths", "/b"]), None);
        assert_eq!(locate(MINI, &["info", "version"]), Some(4));
    }

    #[test]
    fn locate_counts_sequence_items() {
        let text = "get:\n  parameters:\n    - name: a\n      in: query\n    -\n      name: b\n      schema:\n        type: string\n";
        assert_eq!(locate(text, &["get", "parameters", "#0"]), Some(3));
        assert_eq!(locate(text, &["get", "parameters", "#1"]), Some(5));
        assert_eq!(
            locate(text, &["get", "parameters", "#1", "schema", "type"]),
            Some(8)
        );
        assert_eq!(locate(text, &["get", "parameters", "#2"]), None);
        assert_eq!(locate(text, &["get", "parameters", "#x"]), None);
        let json = "{\n  \"p\": [\n    {\n      \"a\": 1\n    },\n    {\n      \"a\": {\n        \"b\": 2\n      }\n    }\n  ]\n}\n";
        assert_eq!(locate(json, &["p", "#1"]), Some(6));
        assert_eq!(locate(json, &["p", "#1", "a", "b"]), Some(8));
    }

    /// A key of the same name deeper inside an earlier sibling is not the key.
    #[test]
    fn locate_matches_direct_children_only() {
        let text = "p:\n  a:\n    x:\n      code: 0\n  code:\n    format: uuid\n";
        assert_eq!(locate(text, &["p", "code"]), Some(5));
        assert_eq!(locate(text, &["p", "code", "format"]), Some(6));
        assert_eq!(locate(text, &["p", "a", "x", "code"]), Some(4));
        assert_eq!(locate(text, &["p", "x"]), None);
        let json =
            "{\n  \"p\": {\n    \"a\": {\n      \"code\": 0\n    },\n    \"code\": {}\n  }\n}\n";
        assert_eq!(locate(json, &["p", "code"]), Some(6));
        assert_eq!(locate(json, &["p", "a", "code"]), Some(4));
    }
}
