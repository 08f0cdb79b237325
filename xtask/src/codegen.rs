//! `cargo xtask codegen [--check]`: everything generated from the spec.
//!
//! - the client, `crates/ias-client/src/generated.rs`: progenitor, plus the
//!   error catalogue with a typed view of `ErrStatusMsg`;
//! - the server side of the contract, `crates/ias-api/src/generated.rs`:
//!   [`server`] (types, request rules, error catalogue, the `IasApi` trait);
//! - the TypeScript client's types and error catalogue ([`typescript`]).
//!
//! Both come from one read of the spec and one [`Catalogue`]; both are
//! formatted the same way (prettyplease, then rustfmt, so `cargo fmt --check`
//! agrees) and written through a temporary file and a rename.

use std::io::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context as _, Result};
use ias_spec::{locate, Catalogue, SpecDocument, SpecError};
use openapiv3::{ReferenceOr, StatusCode};
use progenitor::{CrateVers, GenerationSettings, Generator, InterfaceStyle, TagStyle};
use serde_json::Value;

pub mod errors;
pub mod model;
pub mod prose;
pub mod render;
pub mod server;
pub mod typescript;

/// The spec, relative to the workspace root.
pub const SPEC: &str = "api-spec/ias-public-api.yaml";
/// The generated client source, relative to the workspace root.
pub const CLIENT_OUT: &str = "crates/ias-client/src/generated.rs";
/// The generated server side of the contract, relative to the workspace root.
pub const SERVER_OUT: &str = "crates/ias-api/src/generated.rs";

/// A spec and the two files generated from it.
pub struct Target {
    /// The spec, relative to the workspace root.
    pub spec: &'static str,
    /// Its client (progenitor and the documented errors).
    pub client: &'static str,
    /// Its server side (`ias-api`'s shape).
    pub server: &'static str,
}

/// Everything `codegen` generates: the contract, then the generator's own
/// fixture (`crates/ias-api-fixture`: every shape the generator carries, in
/// a few operations, compiled and served by its tests). `--check` holds both,
/// so the fixture's committed output is the generator's snapshot test.
pub const TARGETS: [Target; 2] = [
    Target {
        spec: SPEC,
        client: CLIENT_OUT,
        server: SERVER_OUT,
    },
    Target {
        spec: "crates/ias-api-fixture/shapes.yaml",
        client: "crates/ias-api-fixture/src/client.rs",
        server: "crates/ias-api-fixture/src/generated.rs",
    },
];

/// What `codegen` found.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every committed file already equals the generated code.
    UpToDate,
    /// Some file was (re)written.
    Written,
    /// `--check`: a committed file differs; the diff was printed.
    Stale,
}

/// Runs codegen for the workspace at `root`; with `check`, only compares.
/// Every spec is read and generated before anything is written, so a
/// refused spec leaves every file as it was.
pub fn run(root: &Path, check: bool) -> Result<Outcome> {
    let mut files = Vec::new();
    for target in &TARGETS {
        let outputs = generate(&root.join(target.spec), target.spec)?;
        if target.spec == SPEC {
            // The TypeScript client's errors, of the contract.
            let errors = typescript::errors(&outputs.catalogue, SPEC);
            files.push((typescript::ERRORS_OUT, SPEC, errors));
        }
        files.push((target.client, target.spec, outputs.client));
        files.push((target.server, target.spec, outputs.server));
    }
    match typescript::schema(root, SPEC)? {
        Some(schema) => files.push((typescript::SCHEMA_OUT, SPEC, schema)),
        None => eprintln!(
            "note: {} skipped: openapi-typescript is not installed; run `npm ci --prefix {}` (Node.js 20+) to generate and check it",
            typescript::SCHEMA_OUT,
            typescript::PACKAGE
        ),
    }
    let mut outcome = Outcome::UpToDate;
    for (out, spec, generated) in files {
        let out_path = root.join(out);
        let committed = match std::fs::read_to_string(&out_path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).with_context(|| format!("cannot read {out}")),
        };
        if committed.as_deref() == Some(generated.as_str()) {
            continue;
        }
        if check {
            let old = committed.unwrap_or_default();
            let diff = similar::TextDiff::from_lines(&old, &generated);
            eprintln!("error: {out} is stale: it is not what {spec} generates.");
            eprint!(
                "{}",
                diff.unified_diff().context_radius(3).header(
                    &format!("a/{out} (committed)"),
                    &format!("b/{out} (generated)")
                )
            );
            eprintln!("fix: run `cargo xtask codegen` and commit {out}.");
            outcome = Outcome::Stale;
            continue;
        }
        write_atomically(&out_path, &generated)?;
        outcome = Outcome::Written;
    }
    Ok(outcome)
}

/// The generated files' contents.
pub struct Generated {
    /// `crates/ias-client/src/generated.rs`.
    pub client: String,
    /// `crates/ias-api/src/generated.rs`.
    pub server: String,
    /// The documented errors both were made from.
    pub catalogue: Catalogue,
}

/// Everything generated from the spec at `spec_path` (named `name` in errors).
pub fn generate(spec_path: &Path, name: &str) -> Result<Generated> {
    let doc = ias_spec::load(spec_path, name)?;
    let catalogue = Catalogue::of(&doc)?;
    let client = client(doc.clone(), &catalogue)?;
    let server = server::generate(&doc, &catalogue)?;
    let server = format(
        server,
        name,
        "the server side of the contract (types, request rules, errors, the IasApi trait)",
    )?;
    Ok(Generated {
        client,
        server,
        catalogue,
    })
}

/// Prints tokens as the committed file: a header, `///` docs, rustfmt.
fn format(tokens: proc_macro2::TokenStream, name: &str, what: &str) -> Result<String> {
    let mut file = syn::parse2::<syn::File>(tokens)
        .context("the generator produced code that does not parse")?;
    syn::visit_mut::VisitMut::visit_file_mut(&mut LineDocs, &mut file);
    let body = rustfmt(&prettyplease::unparse(&file))?;
    Ok(format!(
        "// @generated by `cargo xtask codegen` from {name}: {what}.\n\
         // DO NOT EDIT: change the spec and run `cargo xtask codegen`;\n\
         // CI runs `cargo xtask codegen --check` to keep this file in sync.\n\n{body}"
    ))
}

/// The client: progenitor's code for the document, and the error catalogue.
fn client(mut doc: SpecDocument, catalogue: &Catalogue) -> Result<String> {
    let name = doc.name.clone();
    let name = name.as_str();
    check_single_error_schema(&doc)?;
    mark_secret_fields(&mut doc);
    sanitize_prose(&mut doc)?;

    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Positional)
        .with_tag(TagStyle::Merged)
        .with_derive("PartialEq")
        // `x-rust-type` paths written by `mark_secret_fields` name the client crate
        // itself (`extern crate self as ias_client` makes that path resolve).
        .with_crate("ias-client", CrateVers::Any, None);
    let mut generator = Generator::new(&settings);

    // progenitor reports some unsupported input by panicking; turn that into an
    // error that names the spec, and keep the panic message off the terminal.
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = catch_unwind(AssertUnwindSafe(|| generator.generate_tokens(&doc.openapi)));
    std::panic::set_hook(previous_hook);
    let tokens = match result {
        Ok(Ok(tokens)) => tokens,
        Ok(Err(e)) => bail!(SpecError::at(
            name,
            None,
            format!("progenitor rejected the document: {e}")
        )),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown reason".to_string());
            bail!(SpecError::at(
                name,
                None,
                format!("progenitor cannot generate a client from this document: {message}")
            ))
        }
    };
    let errors = errors::error_codes(catalogue);
    let view = errors::client_view();
    format(
        quote::quote!(#tokens #errors #view),
        name,
        "the client (progenitor) and the documented errors",
    )
}

/// Marks each property the spec calls a credential (`x-ias-secret: true`,
/// see `api-spec/README.md`), and each array item so marked, with
/// progenitor's `x-rust-type`, so the client types it as
/// `ias_client::Secret`. The spec file itself is not changed.
fn mark_secret_fields(doc: &mut SpecDocument) {
    fn mark(schema: &mut openapiv3::Schema) {
        schema.schema_data.extensions.insert(
            "x-rust-type".to_string(),
            serde_json::json!({"crate": "ias-client", "version": "*", "path": "ias_client::Secret"}),
        );
    }
    let secret = |data: &openapiv3::SchemaData| {
        data.extensions.get(model::SECRET) == Some(&Value::Bool(true))
    };
    if let Some(components) = doc.openapi.components.as_mut() {
        for schema in components.schemas.values_mut() {
            let ReferenceOr::Item(schema) = schema else {
                continue;
            };
            let openapiv3::SchemaKind::Type(openapiv3::Type::Object(object)) =
                &mut schema.schema_kind
            else {
                continue;
            };
            for prop in object.properties.values_mut() {
                let ReferenceOr::Item(prop) = prop else {
                    continue;
                };
                if secret(&prop.schema_data) {
                    mark(prop);
                } else if let openapiv3::SchemaKind::Type(openapiv3::Type::Array(array)) =
                    &mut prop.schema_kind
                {
                    if let Some(ReferenceOr::Item(items)) = array.items.as_mut() {
                        if secret(&items.schema_data) {
                            mark(items);
                        }
                    }
                }
            }
        }
    }
    // A secret header parameter stays a string in the client: progenitor
    // writes a header with its value's `Display`, which `Secret` does not
    // have, on purpose (a `Display` would print it).
}

/// Makes every description and summary rustdoc-safe ([`prose::sanitize`])
/// before progenitor turns them into docs. The spec file is not changed.
fn sanitize_prose(doc: &mut SpecDocument) -> Result<()> {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    match v {
                        Value::String(text) if key == "description" || key == "summary" => {
                            *text = prose::sanitize(text);
                        }
                        _ => walk(v),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    let mut json = serde_json::to_value(&doc.openapi).context("the document serializes")?;
    walk(&mut json);
    doc.openapi = serde_json::from_value(json).context("the document reads back")?;
    Ok(())
}

/// progenitor gives each operation one error type: two different schemas among
/// an operation's error responses would trip an assertion inside it.
fn check_single_error_schema(doc: &SpecDocument) -> Result<()> {
    for (path, item) in &doc.openapi.paths.paths {
        let Some(item) = item.as_item() else { continue };
        for (method, op) in item.iter() {
            let mut schemas: Vec<(String, String)> = Vec::new();
            let mut responses: Vec<(String, &ReferenceOr<openapiv3::Response>)> = op
                .responses
                .responses
                .iter()
                .filter(|(code, _)| match code {
                    StatusCode::Code(c) => *c >= 400,
                    StatusCode::Range(r) => *r >= 4,
                })
                .map(|(code, r)| (code.to_string(), r))
                .collect();
            if let Some(default) = &op.responses.default {
                responses.push(("default".to_string(), default));
            }
            for (code, response) in responses {
                let key = match response {
                    ReferenceOr::Reference { reference } => reference.clone(),
                    ReferenceOr::Item(r) => {
                        match r.content.values().next().and_then(|m| m.schema.as_ref()) {
                            Some(ReferenceOr::Reference { reference }) => reference.clone(),
                            Some(ReferenceOr::Item(s)) => {
                                serde_json::to_string(s).unwrap_or_default()
                            }
                            None => continue,
                        }
                    }
                };
                if !schemas.iter().any(|(_, k)| *k == key) {
                    schemas.push((code, key));
                }
            }
            if schemas.len() > 1 {
                let list = schemas
                    .iter()
                    .map(|(code, key)| format!("{code}: {}", short(key)))
                    .collect::<Vec<_>>()
                    .join(", ");
                bail!(SpecError::at(
                    &doc.name,
                    locate(&doc.text, &["paths", path, method, "responses"]),
                    format!(
                        "operation {} {path} has error responses with different schemas ({list}); \
                         the generated client has one error type per operation, so give every \
                         4xx/5xx response the same schema (ErrStatusMsg)",
                        method.to_uppercase()
                    )
                ));
            }
        }
    }
    Ok(())
}

fn short(key: &str) -> &str {
    if key.starts_with("#/") {
        key
    } else {
        "an inline schema"
    }
}

/// Splits each multi-line `#[doc = "..."]` into one attribute per line, so the
/// printer writes `///` lines rather than a `/** */` block whose indented lines
/// rustdoc would read as code blocks (and try to run as doctests). (The
/// Go-era literal `\n` in descriptions is made a line break earlier, by
/// [`prose::sanitize`], for both sides.)
struct LineDocs;

impl syn::visit_mut::VisitMut for LineDocs {
    fn visit_attributes_mut(&mut self, attrs: &mut Vec<syn::Attribute>) {
        let mut out = Vec::with_capacity(attrs.len());
        for attr in attrs.drain(..) {
            let text = match &attr.meta {
                syn::Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => Some(s.value()),
                    _ => None,
                },
                _ => None,
            };
            match text {
                Some(text) if text.contains('\n') => {
                    for line in text.trim_end().lines() {
                        let line = if line.is_empty() {
                            String::new()
                        } else {
                            format!(" {}", line.trim_end())
                        };
                        out.push(syn::parse_quote!(#[doc = #line]));
                    }
                }
                // One line: `///text` reads as `/// text`.
                Some(text) if !text.is_empty() && !text.starts_with(' ') => {
                    let line = format!(" {}", text.trim_end());
                    out.push(syn::parse_quote!(#[doc = #line]));
                }
                _ => out.push(attr),
            }
        }
        *attrs = out;
    }
}

/// Formats with the toolchain's rustfmt, so the file is exactly what
/// `cargo fmt --check` expects.
fn rustfmt(source: &str) -> Result<String> {
    let mut child = Command::new(std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into()))
        .args(["--edition", "2021", "--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run rustfmt; install it with `rustup component add rustfmt`")?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = source.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().context("rustfmt did not finish")?;
    writer
        .join()
        .expect("writer thread")
        .context("cannot write to rustfmt")?;
    if !output.status.success() {
        bail!(
            "rustfmt failed on the generated code: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    String::from_utf8(output.stdout).context("rustfmt printed non-UTF-8 output")
}

/// Writes `text` to `path` through a temporary file of a unique name in the
/// same directory and a rename, so that a reader (or a crash) never sees half
/// a file, and two runs never share a temporary file. On error the temporary
/// file is removed.
fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let dir = path
        .parent()
        .context("output path has no parent directory")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let result = (|| -> std::io::Result<()> {
        let mut f = tempfile::NamedTempFile::new_in(dir)?;
        f.write_all(text.as_bytes())?;
        f.as_file().sync_all()?;
        f.persist(path).map_err(|e| e.error)?;
        Ok(())
    })();
    result.with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every description and summary handed to progenitor is made safe,
    /// wherever it is (inside lists too: servers, tags, parameters).
    #[test]
    fn prose_is_sanitized_wherever_it_is() {
        let text = "openapi: 3.0.3
info:
  title: t
  version: 1.0.0
  description: see http://a.example
servers:
  - url: https://api.example
    description: the [main] one
tags:
  - name: t
    description: <b>tag</b>
paths: {}
";
        let mut doc = ias_spec::parse("s.yaml", text).unwrap();
        sanitize_prose(&mut doc).unwrap();
        let o = &doc.openapi;
        assert_eq!(
            o.info.description.as_deref(),
            Some("see <http://a.example>")
        );
        assert_eq!(
            o.servers[0].description.as_deref(),
            Some("the \\[main\\] one")
        );
        assert_eq!(o.tags[0].description.as_deref(), Some("&lt;b>tag&lt;/b>"));
    }
}
