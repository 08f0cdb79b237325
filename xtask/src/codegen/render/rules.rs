//! The request rules of each object schema, as data: a static table of
//! `validate::Field`s (what `ias_api::validate` judges a body by), its
//! compiled-once patterns, and the `Validate` impl that hands it out.

use heck::ToSnakeCase;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use crate::codegen::errors::variant_of;
use crate::codegen::model::{Model, Presence, Property, Schema, Shape, Type};
use ias_spec::Catalogue;

/// The static holding an object schema's rules.
pub fn fields_static(schema: &str) -> syn::Ident {
    format_ident!("{}_FIELDS", schema.to_snake_case().to_uppercase())
}

/// An object's rules: pattern statics, the `Field` table, `Validate`.
pub fn object_rules(
    model: &Model,
    catalogue: &Catalogue,
    schema: &Schema,
    properties: &[Property],
) -> TokenStream {
    let ty = format_ident!("{}", schema.rust);
    let mut statics = TokenStream::new();
    let rules: Vec<TokenStream> = properties
        .iter()
        .map(|p| field(model, catalogue, &schema.name, p, &mut statics))
        .collect();
    let table = fields_static(&schema.name);
    let n = Literal::usize_unsuffixed(rules.len());
    let closed = schema.closed.then(|| {
        quote!(
            const CLOSED: bool = true;
        )
    });
    quote! {
        #statics
        static #table: [Field; #n] = [#(#rules),*];
        impl crate::validate::Validate for #ty {
            fn fields() -> &'static [Field] {
                &#table
            }
            #closed
        }
    }
}

/// The rule of one property, as a `Field` expression (an array's items get
/// a static `Field` of their own in `statics`).
fn field(
    model: &Model,
    catalogue: &Catalogue,
    parent: &str,
    p: &Property,
    statics: &mut TokenStream,
) -> TokenStream {
    let prop = &p.name;
    let kind = match (&p.ty, &p.rules.items) {
        (Type::Array(item), Some(item_rules)) => {
            let item = Property {
                name: String::new(),
                field: String::new(),
                description: None,
                ty: (**item).clone(),
                presence: Presence::Required,
                secret: p.rules.item_secret,
                nullable: false,
                plain_when_absent: false,
                rules: (**item_rules).clone(),
            };
            let name = format_ident!(
                "{}_{}_ITEMS",
                parent.to_snake_case().to_uppercase(),
                prop.to_snake_case().to_uppercase()
            );
            let item_parent = format!("{parent}_{prop}_items");
            let item_field = field(model, catalogue, &item_parent, &item, statics);
            statics.extend(quote!(static #name: Field = #item_field;));
            quote!(Kind::Array(&#name))
        }
        (ty, _) => kind(model, ty),
    };
    let mut field = quote!(Field::new(#prop, #kind));
    match p.presence {
        Presence::NonZero => field.extend(quote!(.presence(Presence::NonZero))),
        Presence::Required => field.extend(quote!(.presence(Presence::Present))),
        Presence::Optional => {}
    }
    if p.secret {
        field.extend(quote!(.secret()));
    }
    if p.nullable {
        field.extend(quote!(.nullable()));
    }
    let rules = &p.rules;
    // Its own `enum`, or that of the string enum it `$ref`s.
    let values = match (&p.ty, rules.values.is_empty()) {
        (Type::Ref(target), true) => match &model.schema(target).shape {
            Shape::StringEnum(values) => values.as_slice(),
            Shape::Object(_) | Shape::OneOf { .. } => &[],
        },
        _ => rules.values.as_slice(),
    };
    if !values.is_empty() {
        field.extend(quote!(.one_of(&[#(#values),*])));
    }
    if let Some((group, code)) = &rules.enum_error {
        let variant = variant_of(catalogue, group, *code);
        field.extend(quote!(.enum_error(ErrorCode::#variant)));
    }
    for (value, method) in [
        (rules.min_length, "min_length"),
        (rules.max_length, "max_length"),
    ] {
        if let Some(n) = value {
            let method = format_ident!("{method}");
            let n = Literal::u64_unsuffixed(n);
            field.extend(quote!(.#method(#n)));
        }
    }
    for (value, method) in [
        (rules.min_items, "min_items"),
        (rules.max_items, "max_items"),
    ] {
        if let Some(n) = value {
            let method = format_ident!("{method}");
            let n = Literal::u64_unsuffixed(n);
            field.extend(quote!(.#method(#n)));
        }
    }
    if rules.unique_items {
        field.extend(quote!(.unique_items()));
    }
    if let Some(m) = rules.multiple_of {
        let m = Literal::f64_unsuffixed(m);
        field.extend(quote!(.multiple_of(#m)));
    }
    for (value, method) in [(rules.minimum, "minimum"), (rules.maximum, "maximum")] {
        if let Some(n) = value {
            let method = format_ident!("{method}");
            let n = Literal::f64_unsuffixed(n);
            field.extend(quote!(.#method(#n)));
        }
    }
    if rules.exclusive_minimum {
        field.extend(quote!(.exclusive_minimum()));
    }
    if rules.exclusive_maximum {
        field.extend(quote!(.exclusive_maximum()));
    }
    if let Some(pattern) = &rules.pattern {
        let name = format_ident!(
            "{}_{}_PATTERN",
            parent.to_snake_case().to_uppercase(),
            prop.to_snake_case().to_uppercase()
        );
        statics.extend(quote!(static #name: crate::validate::Pattern = crate::validate::Pattern::new(#pattern);));
        field.extend(quote!(.pattern(&#name)));
    }
    field
}

/// The JSON kind a property's value must have (a `$ref` to an object checks
/// that object's rules too; a `$ref`'d enum's values are the field's
/// `one_of`). Arrays are `field`'s: their items have a `Field` of their own.
fn kind(model: &Model, ty: &Type) -> TokenStream {
    match ty {
        Type::String | Type::InlineEnum { .. } => quote!(Kind::String),
        Type::I32 | Type::I64 => quote!(Kind::Integer),
        Type::F64 => quote!(Kind::Number),
        Type::Bool => quote!(Kind::Boolean),
        Type::Any => quote!(Kind::Any),
        Type::Array(_) => unreachable!("an array's kind is built with its items' Field"),
        Type::Ref(name) => match &model.schema(name).shape {
            Shape::Object(_) => {
                let fields = fields_static(name);
                if model.schema(name).closed {
                    quote!(Kind::ClosedObject(&#fields))
                } else {
                    quote!(Kind::Object(&#fields))
                }
            }
            Shape::StringEnum(_) => quote!(Kind::String),
            Shape::OneOf { .. } => {
                let union = union_static(name);
                quote!(Kind::OneOf(&#union))
            }
        },
    }
}

/// The static holding a union's rules.
pub fn union_static(schema: &str) -> syn::Ident {
    format_ident!("{}_UNION", schema.to_snake_case().to_uppercase())
}

/// A `oneOf`'s rules: its `Union` (each variant's table) and `Validate`.
pub fn union_rules(
    model: &Model,
    schema: &Schema,
    property: &str,
    variants: &[(String, String)],
) -> TokenStream {
    let ty = format_ident!("{}", schema.rust);
    let union = union_static(&schema.name);
    let entries = variants.iter().map(|(value, variant)| {
        let fields = fields_static(variant);
        let closed = model.schema(variant).closed;
        quote!((#value, &#fields, #closed))
    });
    quote! {
        static #union: crate::validate::Union = crate::validate::Union {
            property: #property,
            variants: &[#(#entries),*],
        };
        impl crate::validate::Validate for #ty {
            fn fields() -> &'static [Field] {
                &[]
            }
            const UNION: ::std::option::Option<&'static crate::validate::Union> =
                ::std::option::Option::Some(&#union);
        }
    }
}
