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

use super::errors::{self, variant_of};
use super::prose;

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
/// The `format`s the generator carries, by type: each picks the Rust type.
/// Any other (`date-time`, `uuid`, `email`, ...) would be a check nobody
/// makes, so it is refused.
const FORMATS: &[(&str, &[&str])] = &[
    ("integer", &["int32", "int64"]),
    ("number", &["float", "double"]),
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
    let errors = errors::error_codes(catalogue);
    let operations = g.operations()?;
    let examples = g.examples();
    Ok(quote! {
        #![allow(clippy::all, clippy::pedantic, missing_docs)]
        use crate::validate::{Field, Kind, Presence};
        #info
        #types
        #errors
        #operations
        #examples
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
            self.allowed_keys(schema, SCHEMA_KEYS, &keys, || format!("schema {name}"))?;
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
            let what = || format!("{name}.{prop}");
            self.allowed_keys(p, PROPERTY_KEYS, &keys, what)?;
            self.check_format(p, &keys, what)?;
            if p.get("type").and_then(Value::as_str) == Some("array") {
                let mut items_at = keys.to_vec();
                items_at.push("items");
                let items_what = || format!("{name}.{prop}.items");
                self.allowed_keys(&p["items"], ITEMS_KEYS, &items_at, items_what)?;
                self.check_format(&p["items"], &items_at, items_what)?;
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

    /// `example_round_trip`: each component schema's name to its Rust type,
    /// so the conformance tests can put the spec's examples through the
    /// generated types (request bodies through their rules first).
    fn examples(&self) -> TokenStream {
        let requests: BTreeSet<&str> = self.doc.json["paths"]
            .as_object()
            .into_iter()
            .flat_map(|p| p.values())
            .filter_map(Value::as_object)
            .flat_map(|item| item.values())
            .filter_map(|op| {
                op["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str()
            })
            .filter_map(|r| r.strip_prefix("#/components/schemas/"))
            .collect();
        let arms = self.schema_names().into_iter().map(|name| {
            let ty = format_ident!("{}", name.to_upper_camel_case());
            let check = if requests.contains(name.as_str()) {
                quote!(crate::examples::round_trip_request::<#ty>(example))
            } else {
                quote!(crate::examples::round_trip::<#ty>(example))
            };
            quote!(#name => ::std::option::Option::Some(#check),)
        });
        quote! {
            /// Puts `example`, an example of component schema `schema`, through
            /// its generated type ([`crate::examples`]); `None` for a name that
            /// is not a component schema.
            pub fn example_round_trip(
                schema: &str,
                example: &::serde_json::Value,
            ) -> ::std::option::Option<::std::result::Result<(), ::std::string::String>> {
                match schema {
                    #(#arms)*
                    _ => ::std::option::Option::None,
                }
            }
        }
    }

    /// Every operation, read and checked ([`Op`]); nothing is rendered
    /// until all of them are.
    fn read_operations(&self) -> Result<Vec<Op>> {
        let mut ops = Vec::new();
        for (path, item) in &self.doc.openapi.paths.paths {
            let Some(item) = item.as_item() else { continue };
            let item_json = &self.doc.json["paths"][path];
            self.allowed_keys(item_json, PATH_ITEM_KEYS, &["paths", path.as_str()], || {
                format!("path {path}")
            })?;
            for (method, op) in item.iter() {
                ops.push(self.read_operation(path, method, op, item)?);
            }
        }
        Ok(ops)
    }

    fn read_operation(
        &self,
        path: &str,
        method: &str,
        op: &openapiv3::Operation,
        item: &openapiv3::PathItem,
    ) -> Result<Op> {
        let keys = ["paths", path, method];
        let at = |problem: String| self.error(&keys, problem);
        let id = op.operation_id.clone().unwrap_or_default();
        let place = format!("{} {path}", method.to_uppercase());
        let op_json = &self.doc.json["paths"][path][method];
        self.allowed_keys(op_json, OPERATION_KEYS, &keys, || {
            format!("operation {id} ({place})")
        })?;
        if !op.parameters.is_empty() || !item.parameters.is_empty() {
            bail!(at(format!(
                "operation {id} ({place}) has parameters; the server generator does not \
                 generate parameters yet (extend xtask/src/codegen/server.rs)"
            )));
        }
        // An operation's own `security` replaces the document's; a requirement
        // with no scheme (`{}`) is anonymous access.
        let security = op.security.as_ref().or(self.doc.openapi.security.as_ref());
        if let Some(required) =
            security.filter(|s| !s.is_empty() && s.iter().all(|r| !r.is_empty()))
        {
            let schemes: Vec<&String> = required.iter().flat_map(|r| r.keys()).collect();
            let where_ = if op.security.is_some() {
                vec!["paths", path, method, "security"]
            } else {
                vec!["security"]
            };
            bail!(self.error(
                &where_,
                format!(
                    "operation {id} ({place}) requires security ({}); the server generator does \
                     not carry security requirements yet, so the endpoint would be served without \
                     them. Remove the requirement, or extend xtask/src/codegen/server.rs",
                    schemes
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            ));
        }
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
                if body.get("required") != Some(&Value::Bool(true)) {
                    bail!(at(format!(
                        "operation {id} ({place}): the request body must be `required: true`; \
                         an optional body is not generated (extend xtask/src/codegen/server.rs)"
                    )));
                }
                Some((
                    self.ref_name(target, &at)?.to_string(),
                    self.ref_type(target, &at)?,
                ))
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
                "operation {id} ({place}) must document exactly one 2xx response (it has {})",
                success.len()
            )));
        };
        let body_type = match response["content"]["application/json"]["schema"]["$ref"].as_str() {
            Some(target) => Some(self.ref_type(target, &at)?),
            None if response.get("content").is_none() => None,
            None => bail!(at(format!(
                "operation {id} ({place}) response {status}: the body must be \
                 application/json with a $ref to a components schema"
            ))),
        };
        let ok = match (status.as_str(), body_type) {
            ("200", Some(t)) => quote!(dropshot::HttpResponseOk<#t>),
            ("201", Some(t)) => quote!(dropshot::HttpResponseCreated<#t>),
            ("202", Some(t)) => quote!(dropshot::HttpResponseAccepted<#t>),
            ("204", None) => quote!(dropshot::HttpResponseUpdatedNoContent),
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
        // The body's rules may answer a documented error of their own
        // (`x-ias-enum-error`): the operation must document it too.
        if let Some((schema, _)) = &body {
            let mut named = Vec::new();
            self.enum_errors(schema, &mut BTreeSet::new(), &mut named);
            for (group, code, prop) in named {
                if !documents(&group, code) {
                    bail!(at(format!(
                        "operation {id} ({place}): its body can be answered with error \
                         {group}/{code} (`{ENUM_ERROR}` on {prop}), which the operation does \
                         not document; list `- [group:**{group}**, code:**{code}**]: ...` in \
                         its error responses"
                    )));
                }
            }
        }
        Ok(Op {
            marker: format_ident!("{}", id.to_upper_camel_case()),
            fn_name: format_ident!("{}", id.to_snake_case()),
            http_method: format_ident!("{}", method.to_uppercase()),
            path: path.to_string(),
            tags: op.tags.clone(),
            docs: method_docs(op.summary.as_deref(), op.description.as_deref()),
            body: body.map(|(_, ty)| ty),
            ok,
            pairs,
            server_error,
            id,
        })
    }

    /// The `x-ias-enum-error` pairs a schema's rules can answer with (its
    /// `$ref`s followed), as (group, code, `schema.property`).
    fn enum_errors(
        &self,
        name: &str,
        seen: &mut BTreeSet<String>,
        out: &mut Vec<(String, i64, String)>,
    ) {
        if !seen.insert(name.to_string()) {
            return;
        }
        let empty = Map::new();
        let properties = self.schemas[name]["properties"]
            .as_object()
            .unwrap_or(&empty);
        for (prop, p) in properties {
            let pair = &p[ENUM_ERROR];
            if let (Some(g), Some(c)) = (pair["group"].as_str(), pair["code"].as_i64()) {
                out.push((g.to_string(), c, format!("{name}.{prop}")));
            }
            let mut refs = BTreeSet::new();
            collect_refs(p, &mut refs);
            for r in refs.iter().filter(|r| self.schemas.contains_key(*r)) {
                self.enum_errors(r, seen, out);
            }
        }
    }

    /// Refuses a `format` the generator does not carry for the schema's type.
    fn check_format(&self, p: &Value, keys: &[&str], what: impl Fn() -> String) -> Result<()> {
        let Some(format) = p.get("format") else {
            return Ok(());
        };
        let ty = p.get("type").and_then(Value::as_str).unwrap_or("(none)");
        let carried = FORMATS
            .iter()
            .find(|(t, _)| *t == ty)
            .map_or(&[][..], |(_, f)| *f);
        if format.as_str().is_some_and(|f| carried.contains(&f)) {
            return Ok(());
        }
        let mut at = keys.to_vec();
        at.push("format");
        let known = FORMATS
            .iter()
            .map(|(t, f)| format!("{t}: {}", f.join(", ")))
            .collect::<Vec<_>>()
            .join("; ");
        bail!(self.error(
            &at,
            format!(
                "{}: format {format} on type {ty} is not carried by the server generator (no \
                 rule would check it); it carries {known}. Remove it, or extend \
                 xtask/src/codegen/server.rs",
                what()
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
        for key in object.as_object().into_iter().flat_map(|o| o.keys()) {
            if !key.starts_with("x-") && !allowed.contains(&key.as_str()) {
                let mut at = keys.to_vec();
                at.push(key);
                bail!(self.error(
                    &at,
                    format!(
                        "{}: `{key}` is not carried by the server generator (it would be \
                         silently ignored); remove it, or extend xtask/src/codegen/server.rs",
                        what()
                    )
                ));
            }
        }
        Ok(())
    }

    fn operations(&self) -> Result<TokenStream> {
        let ops = self.read_operations()?;
        let mut markers = TokenStream::new();
        let mut handlers = TokenStream::new();
        let mut endpoints = TokenStream::new();
        let mut adapters = TokenStream::new();
        for op in &ops {
            markers.extend(errors::operation_errors(
                self.catalogue,
                &errors::OperationErrors {
                    id: &op.id,
                    marker: &op.marker,
                    pairs: &op.pairs,
                    server_error: (&op.server_error.0, op.server_error.1),
                    body_required: op.body.as_ref().map(|_| ("request", 1)),
                },
            ));
            let Op {
                marker,
                fn_name,
                http_method,
                path,
                tags,
                docs,
                ok,
                id,
                ..
            } = op;
            let docs = docs.iter().map(|l| quote!(#[doc = #l]));
            let docs = quote!(#(#docs)*);
            let result = quote!(::std::result::Result<#ok, crate::ApiError<operations::#marker>>);
            let (typed_arg, raw_arg, max_bytes, judge, pass) = match &op.body {
                Some(t) => (
                    quote!(, body: #t),
                    quote!(, body: crate::JsonBody<#t>),
                    quote!(request_body_max_bytes = crate::REQUEST_BODY_MAX_BYTES,),
                    quote!(let body = body.into_inner::<operations::#marker>()?;),
                    quote!(, body),
                ),
                None => (quote!(), quote!(), quote!(), quote!(), quote!()),
            };
            handlers.extend(quote! {
                #docs
                fn #fn_name(
                    rqctx: dropshot::RequestContext<Self::Context>
                    #typed_arg
                ) -> impl ::std::future::Future<Output = #result> + Send + 'static;
            });
            endpoints.extend(quote! {
                #docs
                #[endpoint {
                    method = #http_method,
                    path = #path,
                    operation_id = #id,
                    tags = [#(#tags),*],
                    #max_bytes
                }]
                async fn #fn_name(
                    rqctx: dropshot::RequestContext<Self::Context>
                    #raw_arg
                ) -> #result;
            });
            adapters.extend(quote! {
                async fn #fn_name(
                    rqctx: dropshot::RequestContext<Self::Context>
                    #raw_arg
                ) -> #result {
                    #judge
                    <S as IasApi>::#fn_name(rqctx #pass).await
                }
            });
        }
        let title = self.doc.openapi.info.title.clone();
        let handler_doc = format!(
            " The {title}: one method per operation, each given its inputs typed and \
             already checked by the spec's rules."
        );
        Ok(quote! {
            /// One type per operation, naming it in `ApiError<Op>`, and the
            /// errors its responses document (`<Op as Operation>::Error`).
            pub mod operations {
                use super::ErrorCode;
                #markers
            }

            #[doc = #handler_doc]
            ///
            /// Implement this; serve it with `ias_api_mod::api_description::<YourType>()`.
            /// A request the spec's rules refuse is answered (in `ErrStatusMsg`)
            /// before any of these methods runs.
            pub trait IasApi: 'static {
                /// Server state shared by all requests.
                type Context: dropshot::ServerContext;
                #handlers
            }

            /// The endpoints dropshot serves: each reads its inputs, judges them
            /// by the spec's rules and only then calls the [`IasApi`] method.
            /// Implemented for every [`IasApi`]; never implemented by hand.
            #[dropshot::api_description { module = "ias_api_mod" }]
            pub trait IasApiEndpoints {
                /// Server state shared by all requests.
                type Context;
                #endpoints
            }

            impl<S: IasApi> IasApiEndpoints for S {
                type Context = <S as IasApi>::Context;
                #adapters
            }
        })
    }
}

/// One operation, as the generator reads it.
struct Op {
    id: String,
    marker: syn::Ident,
    fn_name: syn::Ident,
    http_method: syn::Ident,
    path: String,
    tags: Vec<String>,
    /// Doc lines (each a `#[doc]`): the summary, then the description.
    docs: Vec<String>,
    /// The request body's type (a required JSON body).
    body: Option<syn::Ident>,
    /// The success response's dropshot type.
    ok: TokenStream,
    /// Its documented pairs.
    pairs: Vec<(String, i64)>,
    /// The documented 5xx dropshot's own failures become.
    server_error: (String, i64),
}

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

/// An operation's doc lines: its summary, a blank line, its description.
fn method_docs(summary: Option<&str>, description: Option<&str>) -> Vec<String> {
    let mut lines = vec![prose::sanitize(summary.unwrap_or_default())];
    if let Some(description) = description.filter(|d| !d.is_empty()) {
        lines.push(String::new());
        lines.extend(prose::sanitize(description).lines().map(str::to_string));
    }
    lines
        .into_iter()
        .map(|l| if l.is_empty() { l } else { format!(" {l}") })
        .collect()
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
            let text = &prose::sanitize(&text.replace("\\n ", "\n").replace("\\n", "\n"));
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
