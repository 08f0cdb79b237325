//! The server side of the contract, generated into `crates/ias-api`: the wire
//! types (with the spec's own schemas as their `JsonSchema`), their request
//! rules as data, the documented-error catalogue, one marker type per
//! operation, and the dropshot API trait `IasApi`.
//!
//! One pass from the document to tokens. Anything the generator cannot carry
//! faithfully is an error that names the schema, property or operation (with
//! the spec's file and line), never a silently different server.
//!
//! What the generated code leans on is hand-written runtime in `ias-api`:
//! `JsonBody` (reads and judges a body), `ApiError` (the error plumbing),
//! `validate` (applies the rules), `Secret` (a secret string, from `ias-secret`).

use std::collections::BTreeSet;

use anyhow::{bail, Result};
use heck::{ToSnakeCase, ToUpperCamelCase};
use ias_spec::{locate, Catalogue, SpecDocument, SpecError};
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use serde_json::{Map, Value};

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

/// Keywords the request rules apply; any other validation keyword on a
/// property is refused rather than ignored.
const UNSUPPORTED: &[&str] = &[
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "oneOf",
    "anyOf",
    "allOf",
    "not",
    "nullable",
];

/// The source of `crates/ias-api/src/generated.rs` (before formatting).
pub fn generate(doc: &SpecDocument, catalogue: &Catalogue) -> Result<TokenStream> {
    let g = Gen {
        doc,
        catalogue,
        schemas: doc.json["components"]["schemas"]
            .as_object()
            .cloned()
            .unwrap_or_default(),
    };
    let info = g.info()?;
    let types = g.types()?;
    let errors = error_codes(catalogue, ErrorsFor::Server);
    let operations = g.operations()?;
    Ok(quote! {
        #![allow(clippy::all, clippy::pedantic, missing_docs)]
        use crate::validate::{Field, Kind, Presence};
        #info
        #types
        #errors
        #operations
    })
}

struct Gen<'a> {
    doc: &'a SpecDocument,
    catalogue: &'a Catalogue,
    /// `components.schemas` as JSON (sorted by name; see `schema_names`).
    schemas: Map<String, Value>,
}

impl Gen<'_> {
    fn error(&self, keys: &[&str], problem: String) -> anyhow::Error {
        SpecError::at(&self.doc.name, locate(&self.doc.text, keys), problem).into()
    }

    fn info(&self) -> Result<TokenStream> {
        let info = &self.doc.openapi.info;
        let title = &info.title;
        let version = &info.version;
        if semver_like(version).is_none() {
            bail!(self.error(
                &["info", "version"],
                format!("info.version {version:?} is not a semver version (MAJOR.MINOR.PATCH)")
            ));
        }
        Ok(quote! {
            /// `info.title` of the spec.
            pub const API_TITLE: &str = #title;
            /// `info.version` of the spec.
            pub const API_VERSION: &str = #version;
        })
    }

    /// The component schemas' names in the spec's order (`doc.json`'s maps
    /// are sorted; the typed document keeps the order).
    fn schema_names(&self) -> Vec<String> {
        self.doc
            .openapi
            .components
            .iter()
            .flat_map(|c| c.schemas.keys().cloned())
            .collect()
    }

    /// An object schema's property names in the spec's order.
    fn property_names(&self, name: &str) -> Vec<String> {
        let schema = self
            .doc
            .openapi
            .components
            .as_ref()
            .and_then(|c| c.schemas.get(name))
            .and_then(|s| s.as_item());
        match schema.map(|s| &s.schema_kind) {
            Some(openapiv3::SchemaKind::Type(openapiv3::Type::Object(o))) => {
                o.properties.keys().cloned().collect()
            }
            _ => Vec::new(),
        }
    }

    fn types(&self) -> Result<TokenStream> {
        let mut out = TokenStream::new();
        for name in self.schema_names() {
            let schema = &self.schemas[&name];
            let keys = ["components", "schemas", name.as_str()];
            out.extend(match schema.get("type").and_then(Value::as_str) {
                Some("object") => self.object(&name, schema)?,
                Some("string") if schema.get("enum").is_some() => {
                    let (ty, tokens) = string_enum(&name, schema)?;
                    let embedded = self.json_schema_impl(&ty, &name, schema);
                    quote! { #tokens #embedded }
                }
                _ => bail!(self.error(
                    &keys,
                    format!(
                        "schema {name}: the generator makes Rust types of objects and string \
                         enums; this schema is neither (type {}); describe it as one, or extend \
                         xtask/src/codegen/server.rs",
                        schema.get("type").unwrap_or(&Value::Null)
                    )
                )),
            });
        }
        Ok(out)
    }

    /// A struct, its `JsonSchema` (the spec's schema itself), and its rules.
    fn object(&self, name: &str, schema: &Value) -> Result<TokenStream> {
        let ty = format_ident!("{}", name.to_upper_camel_case());
        let required: BTreeSet<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let empty = Map::new();
        let properties = schema["properties"].as_object().unwrap_or(&empty);
        let properties = self
            .property_names(name)
            .into_iter()
            .filter_map(|p| properties.get(&p).map(|v| (p, v)));
        let mut fields = Vec::new();
        let mut rules = Vec::new();
        // `new`: the required properties as arguments, the others empty, so
        // that an optional property added to the spec needs no code.
        let (mut new_args, mut new_fields) = (Vec::new(), Vec::new());
        let mut extra_types = TokenStream::new();
        let mut statics = TokenStream::new();
        for (prop, p) in properties {
            let prop = &prop;
            let keys = ["components", "schemas", name, "properties", prop.as_str()];
            let at = |problem: String| self.error(&keys, problem);
            for keyword in UNSUPPORTED {
                if p.get(*keyword).is_some() {
                    bail!(at(format!(
                        "{name}.{prop}: `{keyword}` is not supported by the server generator \
                         (it would not be enforced); remove it or extend xtask/src/codegen/server.rs"
                    )));
                }
            }
            let secret = p.get(SECRET) == Some(&Value::Bool(true));
            let binding = p[EXTRA_TAGS]["binding"]
                .as_str()
                .is_some_and(|b| b.split(',').any(|t| t.trim() == "required"));
            let is_required = required.contains(prop.as_str()) || binding;
            let (rust, kind) = self.property_type(name, prop, p, &mut extra_types, &at)?;
            if secret && p.get("type").and_then(Value::as_str) != Some("string") {
                bail!(at(format!(
                    "{name}.{prop}: `{SECRET}: true` is for strings (a credential); this \
                     property is not a string"
                )));
            }
            let rust = if secret { quote!(crate::Secret) } else { rust };
            let name_in_rust = field_name(prop);
            let field = format_ident!("{}", name_in_rust);
            let rename = (name_in_rust.trim_start_matches("r#") != prop.as_str())
                .then(|| quote!(#[serde(rename = #prop)]));
            let docs = docs(p["description"].as_str());
            let plain_when_absent = p.get(SKIP_POINTER) == Some(&Value::Bool(true));
            let (field_ty, serde_attr) = if is_required {
                (rust.clone(), quote!())
            } else if plain_when_absent && matches!(kind, RustKind::String | RustKind::Vec) {
                let skip = match kind {
                    RustKind::String => "String::is_empty",
                    _ => "Vec::is_empty",
                };
                (
                    rust.clone(),
                    quote!(#[serde(default, skip_serializing_if = #skip)]),
                )
            } else {
                (
                    quote!(::std::option::Option<#rust>),
                    quote!(#[serde(default, skip_serializing_if = "Option::is_none")]),
                )
            };
            fields.push(quote! {
                #docs
                #rename
                #serde_attr
                pub #field: #field_ty,
            });
            if is_required {
                new_args.push(quote!(#field: #field_ty));
                new_fields.push(quote!(#field));
            } else {
                new_fields.push(quote!(#field: ::std::default::Default::default()));
            }
            rules.push(self.rule(name, prop, p, is_required, binding, secret, &mut statics)?);
        }
        let docs = docs(schema["description"].as_str());
        let schema_impl = self.json_schema_impl(&ty, name, schema);
        let fields_static = fields_static(name);
        let n = Literal::usize_unsuffixed(rules.len());
        Ok(quote! {
            #docs
            #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
            pub struct #ty {
                #(#fields)*
            }
            impl #ty {
                /// The required properties, in the spec's order; the optional
                /// ones empty.
                #[allow(clippy::too_many_arguments)]
                pub fn new(#(#new_args),*) -> Self {
                    #ty { #(#new_fields),* }
                }
            }
            #schema_impl
            #statics
            static #fields_static: [Field; #n] = [#(#rules),*];
            impl crate::validate::Validate for #ty {
                fn fields() -> &'static [Field] {
                    &#fields_static
                }
            }
            #extra_types
        })
    }

    /// The Rust type of a property (before `Option` or `Secret`), and the
    /// kind of value the request rules check.
    fn property_type(
        &self,
        parent: &str,
        prop: &str,
        p: &Value,
        extra_types: &mut TokenStream,
        at: &dyn Fn(String) -> anyhow::Error,
    ) -> Result<(TokenStream, RustKind)> {
        if let Some(target) = p["$ref"].as_str() {
            let ty = self.ref_type(target, at)?;
            return Ok((quote!(#ty), RustKind::Other));
        }
        Ok(match p.get("type").and_then(Value::as_str) {
            Some("string") if p.get("enum").is_some() => {
                let enum_name = format!(
                    "{}{}",
                    parent.to_upper_camel_case(),
                    prop.to_upper_camel_case()
                );
                let (ty, tokens) = string_enum(&enum_name, p)?;
                extra_types.extend(tokens);
                (quote!(#ty), RustKind::Other)
            }
            Some("string") => (quote!(::std::string::String), RustKind::String),
            Some("integer") => match p["format"].as_str() {
                Some("int32") => (quote!(i32), RustKind::Other),
                _ => (quote!(i64), RustKind::Other),
            },
            Some("number") => (quote!(f64), RustKind::Other),
            Some("boolean") => (quote!(bool), RustKind::Other),
            Some("array") => {
                let (item, _) = self.property_type(parent, prop, &p["items"], extra_types, at)?;
                (quote!(::std::vec::Vec<#item>), RustKind::Vec)
            }
            None if p.get("properties").is_none() => (quote!(::serde_json::Value), RustKind::Other),
            other => bail!(at(format!(
                "{parent}.{prop}: a property of type {} is not generated; give it a named \
                 schema in components.schemas and a $ref, or extend xtask/src/codegen/server.rs",
                other.unwrap_or("object (inline)")
            ))),
        })
    }

    fn ref_name<'r>(
        &self,
        target: &'r str,
        at: &dyn Fn(String) -> anyhow::Error,
    ) -> Result<&'r str> {
        let name = target
            .strip_prefix("#/components/schemas/")
            .ok_or_else(|| at(format!("$ref {target:?} is not to #/components/schemas/")))?;
        if !self.schemas.contains_key(name) {
            bail!(at(format!("$ref {target:?}: there is no schema {name}")));
        }
        Ok(name)
    }

    /// The Rust type a `$ref` names.
    fn ref_type(&self, target: &str, at: &dyn Fn(String) -> anyhow::Error) -> Result<syn::Ident> {
        Ok(format_ident!(
            "{}",
            self.ref_name(target, at)?.to_upper_camel_case()
        ))
    }

    /// The request rule of one property, as a `Field` expression.
    #[allow(clippy::too_many_arguments)]
    fn rule(
        &self,
        parent: &str,
        prop: &str,
        p: &Value,
        required: bool,
        binding: bool,
        secret: bool,
        statics: &mut TokenStream,
    ) -> Result<TokenStream> {
        let keys = ["components", "schemas", parent, "properties", prop];
        let at = |problem: String| self.error(&keys, problem);
        let kind = self.kind(p, &at)?;
        let mut field = quote!(Field::new(#prop, #kind));
        if binding {
            field.extend(quote!(.presence(Presence::NonZero)));
        } else if required {
            field.extend(quote!(.presence(Presence::Present)));
        }
        if secret {
            field.extend(quote!(.secret()));
        }
        if let Some(values) = p["enum"].as_array() {
            let values: Vec<&str> = values
                .iter()
                .map(|v| {
                    v.as_str()
                        .ok_or_else(|| at(format!("{parent}.{prop}: enum values must be strings")))
                })
                .collect::<Result<_>>()?;
            field.extend(quote!(.one_of(&[#(#values),*])));
        }
        if let Some(pair) = p.get(ENUM_ERROR) {
            let (group, code) = (pair["group"].as_str(), pair["code"].as_i64());
            let documented = group.zip(code).and_then(|(g, c)| self.catalogue.get(g, c));
            let Some(documented) = documented else {
                bail!(at(format!(
                    "{parent}.{prop}: `{ENUM_ERROR}: {pair}` must name a documented pair as \
                     {{group: GROUP, code: N}}; document it in an error response first"
                )));
            };
            if p.get("enum").is_none() {
                bail!(at(format!(
                    "{parent}.{prop}: `{ENUM_ERROR}` needs an `enum`"
                )));
            }
            let variant = variant_of(self.catalogue, &documented.group, documented.code);
            field.extend(quote!(.enum_error(ErrorCode::#variant)));
        }
        for (keyword, method) in [("minLength", "min_length"), ("maxLength", "max_length")] {
            if let Some(n) = p.get(keyword) {
                let n = n.as_u64().ok_or_else(|| {
                    at(format!("{parent}.{prop}: {keyword} must be a whole number"))
                })?;
                let method = format_ident!("{method}");
                let n = Literal::u64_unsuffixed(n);
                field.extend(quote!(.#method(#n)));
            }
        }
        for (keyword, method) in [("minimum", "minimum"), ("maximum", "maximum")] {
            if let Some(n) = p.get(keyword) {
                let n = n
                    .as_f64()
                    .ok_or_else(|| at(format!("{parent}.{prop}: {keyword} must be a number")))?;
                let method = format_ident!("{method}");
                let n = Literal::f64_unsuffixed(n);
                field.extend(quote!(.#method(#n)));
            }
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
            let name = format_ident!(
                "{}_{}_PATTERN",
                parent.to_snake_case().to_uppercase(),
                prop.to_snake_case().to_uppercase()
            );
            statics.extend(quote!(static #name: crate::validate::Pattern = crate::validate::Pattern::new(#pattern);));
            field.extend(quote!(.pattern(&#name)));
        }
        Ok(field)
    }

    fn kind(&self, p: &Value, at: &dyn Fn(String) -> anyhow::Error) -> Result<TokenStream> {
        if let Some(target) = p["$ref"].as_str() {
            let name = self.ref_name(target, at)?;
            let target = &self.schemas[name];
            return match target.get("type").and_then(Value::as_str) {
                Some("object") => {
                    let fields = fields_static(name);
                    Ok(quote!(Kind::Object(&#fields)))
                }
                _ => self.kind(target, at),
            };
        }
        Ok(match p.get("type").and_then(Value::as_str) {
            Some("string") => quote!(Kind::String),
            Some("integer") => quote!(Kind::Integer),
            Some("number") => quote!(Kind::Number),
            Some("boolean") => quote!(Kind::Boolean),
            Some("array") => {
                let item = self.kind(&p["items"], at)?;
                quote!(Kind::Array(&#item))
            }
            _ => quote!(Kind::Any),
        })
    }

    /// `JsonSchema` whose schema is the spec's own (descriptions, examples and
    /// extensions included), so the server's document says what the spec says.
    fn json_schema_impl(&self, ty: &syn::Ident, name: &str, schema: &Value) -> TokenStream {
        let mut refs = BTreeSet::new();
        collect_refs(schema, &mut refs);
        let generator = if refs.is_empty() {
            format_ident!("_generator")
        } else {
            format_ident!("generator")
        };
        let registered = refs.iter().map(|r| {
            let t = format_ident!("{}", r.to_upper_camel_case());
            quote!(generator.subschema_for::<#t>();)
        });
        // The typed schema serializes in the spec's order (its maps are ordered).
        let typed = self
            .doc
            .openapi
            .components
            .as_ref()
            .and_then(|c| c.schemas.get(name));
        let text = match typed {
            Some(typed) => serde_json::to_string_pretty(typed),
            None => serde_json::to_string_pretty(schema),
        }
        .expect("JSON serializes");
        let text: Literal = format!("r##\"{text}\"##")
            .parse()
            .expect("a raw string literal");
        quote! {
            impl schemars::JsonSchema for #ty {
                fn schema_name() -> ::std::string::String {
                    #name.to_string()
                }
                fn json_schema(#generator: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
                    #(#registered)*
                    crate::validate::spec_schema(#text)
                }
            }
        }
    }

    fn operations(&self) -> Result<TokenStream> {
        let mut markers = TokenStream::new();
        let mut methods = TokenStream::new();
        for (path, item) in &self.doc.openapi.paths.paths {
            let Some(item) = item.as_item() else { continue };
            for (method, op) in item.iter() {
                let keys = ["paths", path.as_str(), method];
                let at = |problem: String| self.error(&keys, problem);
                let id = op.operation_id.clone().unwrap_or_default();
                let place = format!("{} {path}", method.to_uppercase());
                if !op.parameters.is_empty() || !item.parameters.is_empty() {
                    bail!(at(format!(
                        "operation {id} ({place}) has parameters; the server generator does not \
                         generate parameters yet (extend xtask/src/codegen/server.rs)"
                    )));
                }
                let op_json = &self.doc.json["paths"][path][method];
                let body = match op_json.get("requestBody") {
                    None => None,
                    Some(body) => {
                        let schema = &body["content"]["application/json"]["schema"];
                        let Some(target) = schema["$ref"].as_str() else {
                            bail!(at(format!(
                                "operation {id} ({place}): the request body must be \
                                 application/json with a $ref to a components schema"
                            )));
                        };
                        Some(self.ref_type(target, &at)?)
                    }
                };
                let success: Vec<(&String, &Value)> = op_json["responses"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(status, _)| status.starts_with('2'))
                    .collect();
                let [(status, response)] = success.as_slice() else {
                    bail!(at(format!(
                        "operation {id} ({place}) must document exactly one 2xx response \
                         (it has {})",
                        success.len()
                    )));
                };
                let body_type =
                    match response["content"]["application/json"]["schema"]["$ref"].as_str() {
                        Some(target) => Some(self.ref_type(target, &at)?),
                        None if response.get("content").is_none() => None,
                        None => bail!(at(format!(
                            "operation {id} ({place}) response {status}: the body must be \
                         application/json with a $ref to a components schema"
                        ))),
                    };
                let ok =
                    match (status.as_str(), body_type) {
                        ("200", Some(t)) => quote!(dropshot::HttpResponseOk<#t>),
                        ("201", Some(t)) => quote!(dropshot::HttpResponseCreated<#t>),
                        ("202", Some(t)) => quote!(dropshot::HttpResponseAccepted<#t>),
                        ("204", None) => quote!(dropshot::HttpResponseUpdatedNoContent),
                        (s, t) => bail!(at(format!(
                        "operation {id} ({place}): a {s} response {} is not generated; use 200, \
                         201 or 202 with a JSON body, or 204 without one",
                        if t.is_some() { "with a body" } else { "without a body" }
                    ))),
                    };
                let errors = self
                    .catalogue
                    .operations
                    .iter()
                    .find(|o| o.operation_id == id)
                    .map(|o| o.pairs.clone())
                    .unwrap_or_default();
                let documents =
                    |group: &str, code: i64| errors.iter().any(|(g, c)| g == group && *c == code);
                let Some((server_group, server_code)) = errors
                    .iter()
                    .find(|(g, c)| self.catalogue.get(g, *c).is_some_and(|e| e.status >= 500))
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
                    if !documents(group, code)
                        || self.catalogue.get(group, code).map(|e| e.status) != Some(400)
                    {
                        bail!(at(format!(
                            "operation {id} ({place}) must document [group:**{group}**, \
                             code:**{code}**] in its 400 response: the request rules and the \
                             JSON body answer with it"
                        )));
                    }
                }
                let marker = format_ident!("{}", id.to_upper_camel_case());
                let variants = errors
                    .iter()
                    .map(|(g, c)| variant_of(self.catalogue, g, *c));
                let server_error = variant_of(self.catalogue, server_group, *server_code);
                let summary = op.summary.clone().unwrap_or_default();
                let description = op.description.clone().unwrap_or_default();
                let marker_doc = format!(" `{id}` ({place}): its documented errors.");
                markers.extend(quote! {
                    #[doc = #marker_doc]
                    pub enum #marker {}
                    impl crate::Operation for #marker {
                        const OPERATION_ID: &'static str = #id;
                        const ERRORS: &'static [ErrorCode] = &[#(ErrorCode::#variants),*];
                        const SERVER_ERROR: ErrorCode = ErrorCode::#server_error;
                    }
                });
                let fn_name = format_ident!("{}", id.to_snake_case());
                let http_method = format_ident!("{}", method.to_uppercase());
                let tags = &op.tags;
                let (body_arg, max_bytes) = match &body {
                    Some(t) => (
                        quote!(, body: crate::JsonBody<#t>),
                        quote!(request_body_max_bytes = crate::REQUEST_BODY_MAX_BYTES,),
                    ),
                    None => (quote!(), quote!()),
                };
                let mut method_docs = vec![summary];
                if !description.is_empty() {
                    method_docs.push(String::new());
                    method_docs.extend(description.lines().map(str::to_string));
                }
                let method_docs = method_docs.iter().map(|l| {
                    let l = if l.is_empty() {
                        String::new()
                    } else {
                        format!(" {l}")
                    };
                    quote!(#[doc = #l])
                });
                methods.extend(quote! {
                    #(#method_docs)*
                    #[endpoint {
                        method = #http_method,
                        path = #path,
                        operation_id = #id,
                        tags = [#(#tags),*],
                        #max_bytes
                    }]
                    async fn #fn_name(
                        rqctx: dropshot::RequestContext<Self::Context>
                        #body_arg
                    ) -> ::std::result::Result<#ok, crate::ApiError<operations::#marker>>;
                });
            }
        }
        let title = format!(
            " The {} as a dropshot API trait: one method per operation.",
            self.doc.openapi.info.title
        );
        Ok(quote! {
            /// One type per operation, naming it in `ApiError<Op>`: the errors
            /// it may answer with are the ones its responses document.
            pub mod operations {
                use super::ErrorCode;
                #markers
            }

            #[doc = #title]
            #[dropshot::api_description]
            pub trait IasApi {
                /// Server state shared by all requests.
                type Context;
                #methods
            }
        })
    }
}

#[derive(Clone, Copy)]
enum RustKind {
    String,
    Vec,
    Other,
}

/// A string enum: the type, and its tokens. Variants are the values in
/// UpperCamelCase, renamed to the value on the wire.
fn string_enum(name: &str, schema: &Value) -> Result<(syn::Ident, TokenStream)> {
    let ty = format_ident!("{}", name.to_upper_camel_case());
    let values: Vec<&str> = schema["enum"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let variants = values.iter().map(|v| {
        let variant = format_ident!("{}", v.to_upper_camel_case());
        quote!(#[serde(rename = #v)] #variant,)
    });
    let docs = docs(schema["description"].as_str());
    let arms = values.iter().map(|v| {
        let variant = format_ident!("{}", v.to_upper_camel_case());
        quote!(#ty::#variant => #v,)
    });
    Ok((
        ty.clone(),
        quote! {
            #docs
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
            pub enum #ty {
                #(#variants)*
            }
            impl #ty {
                /// The value as it is on the wire.
                pub fn as_str(self) -> &'static str {
                    match self {
                        #(#arms)*
                    }
                }
            }
        },
    ))
}

/// Which crate the catalogue is generated for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ErrorsFor {
    /// `ias-api`: with dropshot's status type.
    Server,
    /// `ias-client`: with a typed view of `types::ErrStatusMsg`.
    Client,
}

/// The variant of `ErrorCode` for a pair: its message in UpperCamelCase
/// (`Invalid authorization code.` → `InvalidAuthorizationCode`), with the
/// pair appended when two messages would give the same name.
pub fn variant_of(catalogue: &Catalogue, group: &str, code: i64) -> syn::Ident {
    let name = |message: &str| {
        message
            .replace(['\'', '’'], "") // user's → Users, not UserS
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| {
                let mut c = w.chars();
                c.next().map_or_else(String::new, |f| {
                    f.to_ascii_uppercase().to_string() + c.as_str()
                })
            })
            .collect::<String>()
    };
    let error = catalogue.get(group, code).expect("a documented pair");
    let base = name(&error.message);
    let clash = catalogue
        .errors
        .iter()
        .filter(|e| name(&e.message) == base)
        .count()
        > 1;
    let base = if base.starts_with(|c: char| c.is_ascii_digit()) || base.is_empty() {
        format!("E{base}")
    } else {
        base
    };
    if clash {
        format_ident!(
            "{}{}{}",
            base,
            group.to_upper_camel_case(),
            code.unsigned_abs()
        )
    } else {
        format_ident!("{}", base)
    }
}

/// `ErrorCode`: every documented pair with its status and message.
pub fn error_codes(catalogue: &Catalogue, target: ErrorsFor) -> TokenStream {
    let variants: Vec<syn::Ident> = catalogue
        .errors
        .iter()
        .map(|e| variant_of(catalogue, &e.group, e.code))
        .collect();
    let docs = catalogue
        .errors
        .iter()
        .map(|e| format!(" {} `{}/{}`: {}", e.status, e.group, e.code, e.message));
    let groups = catalogue.errors.iter().map(|e| &e.group);
    let codes = catalogue
        .errors
        .iter()
        .map(|e| Literal::i64_unsuffixed(e.code));
    let statuses = catalogue
        .errors
        .iter()
        .map(|e| Literal::u16_unsuffixed(e.status));
    let messages = catalogue.errors.iter().map(|e| &e.message);
    let v = &variants;
    let client = (target == ErrorsFor::Client).then(|| {
        quote! {
            impl ::std::convert::TryFrom<&types::ErrStatusMsg> for ErrorCode {
                type Error = UndocumentedError;
                /// The documented error an `ErrStatusMsg` is, by its group and code.
                fn try_from(body: &types::ErrStatusMsg) -> ::std::result::Result<Self, UndocumentedError> {
                    ErrorCode::from_pair(&body.group, body.code).ok_or_else(|| UndocumentedError {
                        group: body.group.clone(),
                        code: body.code,
                    })
                }
            }

            /// An `ErrStatusMsg` whose group and code the spec does not document.
            #[derive(Debug, Clone, PartialEq, Eq)]
            pub struct UndocumentedError {
                /// The body's group.
                pub group: ::std::string::String,
                /// The body's code.
                pub code: i64,
            }

            impl ::std::fmt::Display for UndocumentedError {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    write!(f, "{}/{} is not an error the IAS spec documents", self.group, self.code)
                }
            }

            impl ::std::error::Error for UndocumentedError {}
        }
    });
    quote! {
        /// The documented errors: each `[group, code]` pair of the spec's error
        /// responses, with its status and message. A spec may document more
        /// in a later (minor) version, hence `#[non_exhaustive]`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            #(#[doc = #docs] #v,)*
        }

        impl ErrorCode {
            /// Every documented error, in the order the spec first lists them.
            pub const ALL: &'static [ErrorCode] = &[#(ErrorCode::#v),*];

            /// The pair's group.
            pub const fn group(self) -> &'static str {
                match self { #(ErrorCode::#v => #groups,)* }
            }

            /// The pair's code.
            pub const fn code(self) -> i64 {
                match self { #(ErrorCode::#v => #codes,)* }
            }

            /// The HTTP status it is answered with.
            pub const fn status(self) -> u16 {
                match self { #(ErrorCode::#v => #statuses,)* }
            }

            /// The documented message.
            pub const fn message(self) -> &'static str {
                match self { #(ErrorCode::#v => #messages,)* }
            }

            /// The documented error with this group and code.
            pub fn from_pair(group: &str, code: i64) -> ::std::option::Option<Self> {
                ErrorCode::ALL
                    .iter()
                    .copied()
                    .find(|e| e.group() == group && e.code() == code)
            }
        }
        #client
    }
}

fn collect_refs(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            if let Some(r) = map.get("$ref").and_then(Value::as_str) {
                if let Some(name) = r.strip_prefix("#/components/schemas/") {
                    out.insert(name.to_string());
                }
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// The static that holds an object schema's request rules.
fn fields_static(schema: &str) -> syn::Ident {
    format_ident!("{}_FIELDS", schema.to_snake_case().to_uppercase())
}

/// A property's Rust field name (snake_case; a keyword as a raw identifier).
fn field_name(prop: &str) -> String {
    let name = prop.to_snake_case();
    if syn::parse_str::<syn::Ident>(&name).is_err() {
        format!("r#{name}")
    } else {
        name
    }
}

fn docs(description: Option<&str>) -> TokenStream {
    match description {
        Some(text) if !text.trim().is_empty() => {
            // `LineDocs` indents each line of a multi-line text itself.
            let text = if text.trim_end().contains('\n') || text.contains("\\n") {
                text.trim_end().to_string()
            } else {
                format!(" {}", text.trim_end())
            };
            quote!(#[doc = #text])
        }
        _ => quote!(),
    }
}

fn semver_like(v: &str) -> Option<()> {
    let mut parts = v.split('.');
    for _ in 0..3 {
        parts.next()?.parse::<u64>().ok()?;
    }
    parts.next().is_none().then_some(())
}
