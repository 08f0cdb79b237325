//! The documented-error catalogue: the `[group, code]` pairs each operation
//! documents, read from its error responses' descriptions.
//!
//! The spec (like the Go server it comes from) lists an operation's errors as
//! lines of a response's description, one pair per line:
//!
//! ```text
//! - [group:**oauth**, code:**2**]: Invalid authorization code.
//! ```
//!
//! The pair's status is the response's. A pair means the same thing wherever
//! it appears: one status and one message in the whole document. A line that
//! starts like an entry (`- [`) but is not one, or a pair documented under two
//! statuses or with two messages, is an error that names the file and line.
//!
//! Each pair has a Rust name, the variant of the generated `ErrorCode`
//! enums: the one `components.x-ias-error-names` gives it (`oauth/2:
//! InvalidAuthorizationCode`), else one made from the pair (`oauth/2` →
//! `Oauth2`). Never from the message, so rewording a message renames nothing.
//!
//! `cargo xtask codegen` generates the server's and the client's error types
//! from the catalogue; `spec-diff` compares two documents' catalogues (a pair
//! whose name changed is a breaking change: code matching on it stops compiling).

use openapiv3::StatusCode;

use serde_json::Value;

use crate::diff::{Change, ChangeKind, Side};
use crate::load::{locate, SpecDocument, SpecError};

/// The `components` extension that names documented pairs in Rust:
/// `x-ias-error-names: {"oauth/2": InvalidAuthorizationCode}`.
pub const ERROR_NAMES: &str = "x-ias-error-names";

/// One documented error: a `[group, code]` pair with its status and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentedError {
    /// The pair's group, such as `oauth`.
    pub group: String,
    /// The pair's code within the group.
    pub code: i64,
    /// The HTTP status of the response that documents it.
    pub status: u16,
    /// The message after the pair, such as `Invalid authorization code.`.
    pub message: String,
    /// The 1-based line of the response that documents it (first place seen).
    pub line: Option<usize>,
    /// Its Rust name (UpperCamelCase): from [`ERROR_NAMES`], else made from
    /// the pair ([`pair_name`]).
    pub name: String,
}

impl DocumentedError {
    /// `group/code`, as the workspace writes a pair in messages.
    pub fn pair(&self) -> String {
        format!("{}/{}", self.group, self.code)
    }
}

/// The pairs of one operation, in the order the spec lists them (by status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationErrors {
    /// The operation's `operationId`.
    pub operation_id: String,
    /// `POST`, `GET`, ...
    pub method: String,
    /// The path, such as `/oauth/token`.
    pub path: String,
    /// Its documented pairs, as `(group, code)`; their details are in
    /// [`Catalogue::errors`].
    pub pairs: Vec<(String, i64)>,
}

/// Every documented pair of a document, and which operation documents which.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Catalogue {
    /// Each pair once, in the order first documented.
    pub errors: Vec<DocumentedError>,
    /// Per operation, in the document's order.
    pub operations: Vec<OperationErrors>,
    /// Whether the document has [`ERROR_NAMES`] (even empty). One without it
    /// predates stable names: its generator named errors after their
    /// messages, so its names are not compared with a later revision's.
    pub names_declared: bool,
}

impl Catalogue {
    /// The pair `group/code`, if documented anywhere.
    pub fn get(&self, group: &str, code: i64) -> Option<&DocumentedError> {
        self.errors
            .iter()
            .find(|e| e.group == group && e.code == code)
    }

    /// Reads the catalogue of a loaded document.
    pub fn of(doc: &SpecDocument) -> Result<Catalogue, SpecError> {
        let mut catalogue = Catalogue::default();
        for (path, item) in &doc.openapi.paths.paths {
            let Some(item) = item.as_item() else { continue };
            for (method, op) in item.iter() {
                let mut pairs = Vec::new();
                for (status, response) in &op.responses.responses {
                    let StatusCode::Code(status) = status else {
                        continue;
                    };
                    let status_key = status.to_string();
                    let line = locate(
                        &doc.text,
                        &["paths", path, method, "responses", &status_key],
                    );
                    let Some(response) = response.as_item() else {
                        continue;
                    };
                    for entry in entries(&response.description) {
                        let (group, code, message) = entry.map_err(|bad| {
                            SpecError::at(
                                &doc.name,
                                line,
                                format!(
                                    "{} {path} response {status}: malformed error entry {bad:?}; \
                                     write it as `- [group:**GROUP**, code:**N**]: Message.`",
                                    method.to_uppercase()
                                ),
                            )
                        })?;
                        if *status < 400 {
                            return Err(SpecError::at(
                                &doc.name,
                                line,
                                format!(
                                    "{} {path} response {status} documents the error \
                                     {group}/{code}, but {status} is not an error status; \
                                     move it to a 4xx or 5xx response",
                                    method.to_uppercase()
                                ),
                            ));
                        }
                        catalogue.add(
                            &doc.name,
                            DocumentedError {
                                group: group.clone(),
                                code,
                                status: *status,
                                message,
                                line,
                                name: String::new(),
                            },
                        )?;
                        if !pairs.contains(&(group.clone(), code)) {
                            pairs.push((group, code));
                        }
                    }
                }
                catalogue.operations.push(OperationErrors {
                    operation_id: op.operation_id.clone().unwrap_or_default(),
                    method: method.to_uppercase(),
                    path: path.clone(),
                    pairs,
                });
            }
        }
        catalogue.name(doc)?;
        Ok(catalogue)
    }

    /// Gives each pair its name: [`ERROR_NAMES`]' entry, else [`pair_name`];
    /// an entry that is not a documented pair or not a name, and two pairs
    /// with one name, are errors at the entry's line.
    fn name(&mut self, doc: &SpecDocument) -> Result<(), SpecError> {
        let keys = ["components", ERROR_NAMES];
        self.names_declared = doc.json["components"]
            .as_object()
            .is_some_and(|c| c.contains_key(ERROR_NAMES));
        let names = match &doc.json["components"][ERROR_NAMES] {
            Value::Null => serde_json::Map::new(),
            Value::Object(names) => names.clone(),
            other => {
                return Err(SpecError::at(
                    &doc.name,
                    locate(&doc.text, &keys),
                    format!(
                        "components.{ERROR_NAMES} must map pairs to names                          (`oauth/2: InvalidAuthorizationCode`), not {other}"
                    ),
                ))
            }
        };
        for (pair, name) in &names {
            let at = |problem: String| {
                SpecError::at(
                    &doc.name,
                    locate(&doc.text, &[keys[0], keys[1], pair]),
                    problem,
                )
            };
            let documented = pair
                .split_once('/')
                .and_then(|(g, c)| Some((g, c.parse::<i64>().ok()?)))
                .and_then(|(g, c)| self.errors.iter().position(|e| e.group == g && e.code == c));
            let Some(i) = documented else {
                return Err(at(format!(
                    "components.{ERROR_NAMES} names {pair:?}, which no error response documents; \
                     write the key as GROUP/CODE of a documented pair, or remove the entry"
                )));
            };
            match name.as_str() {
                Some(name) if is_rust_name(name) => self.errors[i].name = name.to_string(),
                _ => {
                    return Err(at(format!(
                        "components.{ERROR_NAMES}: the name of {pair} must be an UpperCamelCase \
                         Rust name (a capital letter, then letters and digits), not {name}"
                    )))
                }
            }
        }
        for e in &mut self.errors {
            if e.name.is_empty() {
                e.name = pair_name(&e.group, e.code);
            }
        }
        for (i, e) in self.errors.iter().enumerate() {
            if let Some(twin) = self.errors[..i].iter().find(|t| t.name == e.name) {
                let (first, second) = (twin.pair(), e.pair());
                return Err(SpecError::at(
                    &doc.name,
                    locate(&doc.text, &keys).or(e.line),
                    format!(
                        "errors {first} and {second} would both be named {} in Rust; \
                         give one another name in components.{ERROR_NAMES}",
                        e.name
                    ),
                ));
            }
        }
        Ok(())
    }

    fn add(&mut self, file: &str, error: DocumentedError) -> Result<(), SpecError> {
        let Some(seen) = self.get(&error.group, error.code) else {
            self.errors.push(error);
            return Ok(());
        };
        let at = |e: &DocumentedError| match e.line {
            Some(line) => format!("line {line}"),
            None => "an earlier response".to_string(),
        };
        if seen.status != error.status {
            return Err(SpecError::at(
                file,
                error.line,
                format!(
                    "error {} is documented under status {} here and under {} at {}; \
                     a pair has one status: give it one, or use another code",
                    error.pair(),
                    error.status,
                    seen.status,
                    at(seen)
                ),
            ));
        }
        if seen.message != error.message {
            return Err(SpecError::at(
                file,
                error.line,
                format!(
                    "error {} has the message {:?} here and {:?} at {}; \
                     a pair has one message: make them the same",
                    error.pair(),
                    error.message,
                    seen.message,
                    at(seen)
                ),
            ));
        }
        Ok(())
    }
}

/// The documented errors renamed in Rust (once each), then those added,
/// removed or moved to another status, per operation (matched by
/// `operationId`; an operation only in one document is the contract diff's to
/// report). A changed message is a description change, which the
/// documentation diff reports.
pub fn changes(old: &Catalogue, new: &Catalogue) -> Vec<Change> {
    let mut changes = Vec::new();
    for now in new.errors.iter().filter(|_| old.names_declared) {
        let Some(was) = old.get(&now.group, now.code) else {
            continue;
        };
        if now.name != was.name {
            changes.push(Change::new(
                ChangeKind::ErrorRenamed,
                Side::Response,
                format!("/components/{ERROR_NAMES}"),
                format!(
                    "error {} is named {} in Rust instead of {}: code that matches on it stops \
                     compiling",
                    now.pair(),
                    now.name,
                    was.name
                ),
                Some(was.name.clone()),
                Some(now.name.clone()),
            ));
        }
    }
    for old_op in &old.operations {
        let Some(new_op) = new
            .operations
            .iter()
            .find(|o| o.operation_id == old_op.operation_id)
        else {
            continue;
        };
        let location = |status: u16| {
            format!(
                "/paths/{}/{}/responses/{status}",
                new_op.path.replace('~', "~0").replace('/', "~1"),
                new_op.method.to_lowercase()
            )
        };
        let id = &new_op.operation_id;
        for (group, code) in &old_op.pairs {
            let was = old.get(group, *code).expect("listed pairs are documented");
            if !new_op.pairs.contains(&(group.clone(), *code)) {
                changes.push(Change::new(
                    ChangeKind::ErrorRemoved,
                    Side::Response,
                    location(was.status),
                    format!("{id} no longer documents error {}", was.pair()),
                    Some(format!("{} {}: {}", was.status, was.pair(), was.message)),
                    None,
                ));
                continue;
            }
            let now = new.get(group, *code).expect("listed pairs are documented");
            if now.status != was.status {
                changes.push(Change::new(
                    ChangeKind::ErrorStatusChanged,
                    Side::Response,
                    location(now.status),
                    format!(
                        "{id} answers error {} with {} instead of {}",
                        now.pair(),
                        now.status,
                        was.status
                    ),
                    Some(was.status.to_string()),
                    Some(now.status.to_string()),
                ));
            }
        }
        for (group, code) in &new_op.pairs {
            if !old_op.pairs.contains(&(group.clone(), *code)) {
                let now = new.get(group, *code).expect("listed pairs are documented");
                changes.push(Change::new(
                    ChangeKind::ErrorAdded,
                    Side::Response,
                    location(now.status),
                    format!("{id} documents a new error {}", now.pair()),
                    None,
                    Some(format!("{} {}: {}", now.status, now.pair(), now.message)),
                ));
            }
        }
    }
    changes
}

/// The name of a pair without an entry in [`ERROR_NAMES`]: its group in
/// UpperCamelCase, then its code (`oauth/2` → `Oauth2`, `my-group/-1` →
/// `MyGroupMinus1`). It depends on the pair alone, so it never moves.
pub fn pair_name(group: &str, code: i64) -> String {
    let mut name = String::new();
    for word in group.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.push(first.to_ascii_uppercase());
            name.push_str(chars.as_str());
        }
    }
    if !name.starts_with(|c: char| c.is_ascii_uppercase()) {
        name.insert(0, 'E');
    }
    if code < 0 {
        name.push_str("Minus");
    }
    name + &code.unsigned_abs().to_string()
}

/// An UpperCamelCase Rust name: an ASCII capital letter, then ASCII letters
/// and digits (`Self` is a keyword).
fn is_rust_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
        && name != "Self"
}

/// The entries of a description: `Ok((group, code, message))` for each line
/// that is one, `Err(line)` for a line that starts like one and is not.
fn entries(description: &str) -> impl Iterator<Item = Result<(String, i64, String), String>> + '_ {
    description
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("- ["))
        .map(|line| parse_entry(line).ok_or_else(|| line.to_string()))
}

/// `- [group:**g**, code:**n**]: message`
fn parse_entry(line: &str) -> Option<(String, i64, String)> {
    let rest = line.strip_prefix("- [group:**")?;
    let (group, rest) = rest.split_once("**, code:**")?;
    let (code, rest) = rest.split_once("**]:")?;
    let valid_group = !group.is_empty()
        && group
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let code: i64 = code.trim().parse().ok()?;
    let message = rest.trim();
    (valid_group && !message.is_empty()).then(|| (group.to_string(), code, message.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "openapi: 3.0.3
info:
  title: t
  version: 1.0.0
paths:
  /a:
    post:
      operationId: postA
      responses:
        '200':
          description: ok
        '400':
          description: |
            - [group:**a**, code:**0**]: Bad a.
            - [group:**request**, code:**1**]: Body required.
        '500':
          description: >
            - [group:**a**, code:**9**]: Failed
            badly.
  /b:
    get:
      operationId: getB
      responses:
        '400':
          description: |
            Some words first.
            - [group:**a**, code:**0**]: Bad a.
";

    fn load(text: &str) -> Result<Catalogue, SpecError> {
        Catalogue::of(&crate::parse("s.yaml", text).unwrap())
    }

    #[test]
    fn reads_pairs_per_operation_with_status_and_message() {
        let c = load(DOC).unwrap();
        let summary: Vec<_> = c
            .errors
            .iter()
            .map(|e| (e.pair(), e.status, e.message.as_str(), e.line))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("a/0".to_string(), 400, "Bad a.", Some(12)),
                ("request/1".to_string(), 400, "Body required.", Some(12)),
                ("a/9".to_string(), 500, "Failed badly.", Some(16)),
            ]
        );
        let ops: Vec<_> = c
            .operations
            .iter()
            .map(|o| (o.operation_id.as_str(), o.pairs.len()))
            .collect();
        assert_eq!(ops, vec![("postA", 3), ("getB", 1)]);
    }

    #[test]
    fn an_entry_is_read_exactly_or_not_at_all() {
        #[rustfmt::skip]
        let cases = [
            ("- [group:**oauth**, code:**2**]: Invalid.", Some(("oauth", 2, "Invalid."))),
            ("- [group:**my_group-2**, code:**-1**]:  Spaced.  ", Some(("my_group-2", -1, "Spaced."))),
            ("- [group:****, code:**0**]: An empty group.", None),
            ("- [group:**a b**, code:**0**]: A space in the group.", None),
            ("- [group:**a.b**, code:**0**]: A dot in the group.", None),
            ("- [group:**a**, code:**0**]:   ", None),
            ("- [group:**a**, code:**x**]: Not a number.", None),
            ("- [group:**a**, code:0]: No stars.", None),
        ];
        for (line, expected) in cases {
            let got = parse_entry(line);
            let got = got.as_ref().map(|(g, c, m)| (g.as_str(), *c, m.as_str()));
            assert_eq!(got, expected, "{line}");
        }
    }

    #[test]
    fn refuses_what_cannot_be_one_catalogue() {
        let cases = [
            (
                DOC.replace("code:**0**]: Bad a.\n            - [group:**request**", "code:**x**]: Bad a.\n            - [group:**request**"),
                "s.yaml:12: POST /a response 400: malformed error entry \"- [group:**a**, code:**x**]: Bad a.\"",
            ),
            (
                DOC.replace("        '400':\n          description: |\n            Some", "        '409':\n          description: |\n            Some"),
                "s.yaml:24: error a/0 is documented under status 409 here and under 400 at line 12",
            ),
            (
                DOC.replace("Some words first.\n            - [group:**a**, code:**0**]: Bad a.", "- [group:**a**, code:**0**]: Bad A."),
                "s.yaml:24: error a/0 has the message \"Bad A.\" here and \"Bad a.\" at line 12",
            ),
            (
                DOC.replace("        '200':\n          description: ok", "        '200':\n          description: \"- [group:**a**, code:**7**]: Fine.\""),
                "s.yaml:10: POST /a response 200 documents the error a/7, but 200 is not an error status",
            ),
        ];
        for (text, expected) in cases {
            let e = load(&text).unwrap_err().to_string();
            assert!(e.starts_with(expected), "{e}\n  expected: {expected}");
        }
    }

    #[test]
    fn names_come_from_the_spec_or_the_pair_never_the_message() {
        let names = |c: &Catalogue| -> Vec<(String, String)> {
            c.errors
                .iter()
                .map(|e| (e.pair(), e.name.clone()))
                .collect()
        };
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(p, n)| (p.to_string(), n.to_string()))
                .collect()
        };
        assert_eq!(
            names(&load(DOC).unwrap()),
            pairs(&[("a/0", "A0"), ("request/1", "Request1"), ("a/9", "A9")])
        );
        let named = format!("{DOC}components:\n  x-ias-error-names:\n    a/9: AFailed\n");
        assert_eq!(
            names(&load(&named).unwrap()),
            pairs(&[("a/0", "A0"), ("request/1", "Request1"), ("a/9", "AFailed")])
        );
        // Rewording a message renames nothing.
        let reworded = named.replace("Bad a.", "A was bad.");
        assert_eq!(
            names(&load(&reworded).unwrap()),
            names(&load(&named).unwrap())
        );
    }

    #[test]
    fn a_pair_name_is_a_rust_name() {
        #[rustfmt::skip]
        let cases = [
            ("oauth", 2, "Oauth2"),
            ("request", 0, "Request0"),
            ("my_group-2", -1, "MyGroup2Minus1"),
            ("9lives", 1, "E9lives1"),
        ];
        for (group, code, name) in cases {
            assert_eq!(pair_name(group, code), name);
            assert!(is_rust_name(name), "{name}");
        }
        for bad in ["", "lower", "Has space", "Dash-ed", "Self", "Ünicode"] {
            assert!(!is_rust_name(bad), "{bad}");
        }
    }

    #[test]
    fn refuses_names_that_cannot_be_generated() {
        let with = |names: &str| format!("{DOC}components:\n  x-ias-error-names:\n{names}");
        let cases = [
            (
                with("    a/7: Seven\n"),
                "s.yaml:30: components.x-ias-error-names names \"a/7\", which no error response documents",
            ),
            (
                with("    a-0: A\n"),
                "s.yaml:30: components.x-ias-error-names names \"a-0\"",
            ),
            (
                with("    a/0: bad_name\n"),
                "s.yaml:30: components.x-ias-error-names: the name of a/0 must be an UpperCamelCase Rust name",
            ),
            (
                with("    a/0: A9\n"),
                "s.yaml:29: errors a/0 and a/9 would both be named A9 in Rust; give one another name",
            ),
            (
                format!("{DOC}components:\n  x-ias-error-names: [A0]\n"),
                "s.yaml:29: components.x-ias-error-names must map pairs to names",
            ),
        ];
        for (text, expected) in cases {
            let e = load(&text).unwrap_err().to_string();
            assert!(e.starts_with(expected), "{e}\n  expected: {expected}");
        }
    }
}
