//! The wire types: a struct per object schema, an enum per string enum
//! (component or inline), each with the spec's own schema as its
//! `JsonSchema`; and `example_round_trip`, each schema's name to its type.

use heck::ToUpperCamelCase;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::{docs, rules};
use crate::codegen::model::{Model, Presence, Property, Schema, Shape, Type};
use ias_spec::Catalogue;

/// Every component schema's type, in the spec's order.
pub fn types(model: &Model, catalogue: &Catalogue) -> TokenStream {
    let mut out = TokenStream::new();
    for schema in &model.schemas {
        out.extend(match &schema.shape {
            Shape::Object(properties) => object(model, catalogue, schema, properties),
            Shape::StringEnum(values) => {
                let ty = format_ident!("{}", schema.rust);
                let tokens = string_enum(&ty, values, schema.description.as_deref());
                let embedded = json_schema_impl(schema);
                quote! { #tokens #embedded }
            }
            Shape::OneOf { property, variants } => union(model, schema, property, variants),
        });
    }
    out
}

/// The Rust type of a property (before `Option` or `Secret`).
pub fn rust_type(ty: &Type) -> TokenStream {
    match ty {
        Type::String => quote!(::std::string::String),
        Type::I32 => quote!(i32),
        Type::I64 => quote!(i64),
        Type::F64 => quote!(f64),
        Type::Bool => quote!(bool),
        Type::Any => quote!(::serde_json::Value),
        Type::Array(item) => {
            let item = rust_type(item);
            quote!(::std::vec::Vec<#item>)
        }
        Type::Ref(name) => {
            let ty = format_ident!("{}", name.to_upper_camel_case());
            quote!(#ty)
        }
        Type::InlineEnum { rust, .. } => {
            let ty = format_ident!("{rust}");
            quote!(#ty)
        }
    }
}

/// A struct, `new`, its `JsonSchema`, its rules, and its inline enums.
pub fn object(
    model: &Model,
    catalogue: &Catalogue,
    schema: &Schema,
    properties: &[Property],
) -> TokenStream {
    let ty = format_ident!("{}", schema.rust);
    let mut fields = Vec::new();
    // `new`: the required properties as arguments, the others empty, so
    // that an optional property added to the spec needs no code.
    let (mut new_args, mut new_fields) = (Vec::new(), Vec::new());
    let mut inline_enums = TokenStream::new();
    for p in properties {
        let prop = &p.name;
        let rust = if p.secret {
            quote!(crate::Secret)
        } else if p.rules.item_secret {
            quote!(::std::vec::Vec<crate::Secret>)
        } else {
            rust_type(&p.ty)
        };
        if let Type::InlineEnum {
            rust,
            values,
            description,
        } = &p.ty
        {
            inline_enums.extend(string_enum(
                &format_ident!("{rust}"),
                values,
                description.as_deref(),
            ));
        }
        let field = format_ident!("{}", p.field);
        let rename = (p.field.trim_start_matches("r#") != prop.as_str())
            .then(|| quote!(#[serde(rename = #prop)]));
        let docs = docs(p.description.as_deref());
        let required = p.presence != Presence::Optional;
        let (field_ty, serde_attr) = if required && p.nullable {
            // Present, and `null` or a value.
            (quote!(::std::option::Option<#rust>), quote!())
        } else if required {
            (rust.clone(), quote!())
        } else if p.nullable {
            // Absent (None), `null` (Some(None)) or a value: three states.
            (
                quote!(::std::option::Option<::std::option::Option<#rust>>),
                quote!(#[serde(default, skip_serializing_if = "Option::is_none", with = "crate::validate::nullable")]),
            )
        } else if p.plain_when_absent {
            let skip = match p.ty {
                Type::String => "String::is_empty",
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
        if required {
            new_args.push(quote!(#field: #field_ty));
            new_fields.push(quote!(#field));
        } else {
            new_fields.push(quote!(#field: ::std::default::Default::default()));
        }
    }
    let docs = docs(schema.description.as_deref());
    let schema_impl = json_schema_impl(schema);
    let rules = rules::object_rules(model, catalogue, schema, properties);
    quote! {
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
        #rules
        #inline_enums
    }
}

/// A string enum. Variants are the values in UpperCamelCase, renamed to the
/// value on the wire.
fn string_enum(ty: &syn::Ident, values: &[String], description: Option<&str>) -> TokenStream {
    let variants: Vec<syn::Ident> = values
        .iter()
        .map(|v| format_ident!("{}", v.to_upper_camel_case()))
        .collect();
    let docs = docs(description);
    quote! {
        #docs
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum #ty {
            #(#[serde(rename = #values)] #variants,)*
        }
        impl #ty {
            /// The value as it is on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    #(#ty::#variants => #values,)*
                }
            }
        }
    }
}

/// `JsonSchema` whose schema is the spec's own (descriptions, examples and
/// extensions included), so the server's document says what the spec says.
fn json_schema_impl(schema: &Schema) -> TokenStream {
    let ty = format_ident!("{}", schema.rust);
    let name = &schema.name;
    let generator = if schema.refs.is_empty() {
        format_ident!("_generator")
    } else {
        format_ident!("generator")
    };
    let registered = schema.refs.iter().map(|r| {
        let t = format_ident!("{}", r.to_upper_camel_case());
        quote!(generator.subschema_for::<#t>();)
    });
    let text: Literal = format!("r##\"{}\"##", schema.json)
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

/// `example_round_trip`: each component schema's name to its Rust type, so
/// the conformance tests can put the spec's examples through the generated
/// types (request bodies through their rules first).
pub fn examples(model: &Model) -> TokenStream {
    let arms = model.schemas.iter().map(|schema| {
        let ty = format_ident!("{}", schema.rust);
        let name = &schema.name;
        let check = if schema.request_body {
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

/// A `oneOf` with a discriminator: an enum of its variants' types, read by
/// the discriminator's value (each variant keeps the property: it is one of
/// its fields) and written as the variant itself.
fn union(
    model: &Model,
    schema: &Schema,
    property: &str,
    variants: &[(String, String)],
) -> TokenStream {
    let ty = format_ident!("{}", schema.rust);
    let docs = docs(schema.description.as_deref());
    let names: Vec<syn::Ident> = variants
        .iter()
        .map(|(_, v)| format_ident!("{}", v.to_upper_camel_case()))
        .collect();
    let values: Vec<&String> = variants.iter().map(|(value, _)| value).collect();
    let variant_docs = values.iter().map(|v| format!(" `{property}: {v}`."));
    let unknown = format!(
        "{property} is not one of: {}",
        values
            .iter()
            .map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let schema_impl = json_schema_impl(schema);
    let rules = rules::union_rules(model, schema, property, variants);
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq)]
        pub enum #ty {
            #(#[doc = #variant_docs] #names(#names),)*
        }
        impl serde::Serialize for #ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                match self {
                    #(#ty::#names(variant) => variant.serialize(serializer),)*
                }
            }
        }
        impl<'de> serde::Deserialize<'de> for #ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                use serde::de::Error as _;
                let value = ::serde_json::Value::deserialize(deserializer)?;
                let tag = value.get(#property).and_then(::serde_json::Value::as_str).map(str::to_owned);
                match tag.as_deref() {
                    #(::std::option::Option::Some(#values) => ::serde_json::from_value(value)
                        .map(#ty::#names)
                        .map_err(D::Error::custom),)*
                    _ => ::std::result::Result::Err(D::Error::custom(#unknown)),
                }
            }
        }
        #schema_impl
        #rules
    }
}
