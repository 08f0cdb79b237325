//! The operations: per operation, a marker type and an error type holding
//! only its documented pairs ([`crate::codegen::errors`]); the typed handler
//! trait `IasApi`; and the dropshot endpoints (`IasApiEndpoints`, implemented
//! for every `IasApi`) that read and judge each input before the handler runs.

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use proc_macro2::Literal;

use super::types;
use crate::codegen::errors;
use crate::codegen::model::{Location, Model, Operation, Params, SchemeKind, Success};
use crate::codegen::prose;
use ias_spec::Catalogue;

/// The `operations` module, `IasApi`, `IasApiEndpoints` and the adapter.
pub fn operations(model: &Model, catalogue: &Catalogue) -> TokenStream {
    let mut markers = TokenStream::new();
    let mut handlers = TokenStream::new();
    let mut endpoints = TokenStream::new();
    let mut adapters = TokenStream::new();
    let mut inputs = TokenStream::new();
    let mut routes = Vec::new();
    for op in &model.operations {
        let marker = format_ident!("{}", op.id.to_upper_camel_case());
        markers.extend(errors::operation_errors(
            catalogue,
            &errors::OperationErrors {
                id: &op.id,
                marker: &marker,
                pairs: &op.pairs,
                server_error: (&op.server_error.0, op.server_error.1),
                invalid_request: (op.body.is_some() || op.params.is_some())
                    .then_some(("request", 0)),
                body_required: op.body.as_ref().map(|_| ("request", 1)),
            },
        ));
        let fn_name = format_ident!("{}", op.id.to_snake_case());
        let http_method = format_ident!("{}", op.method.to_uppercase());
        let (path, tags, id) = (&op.path, &op.tags, &op.id);
        let docs = method_docs(op);
        let docs = docs.iter().map(|l| quote!(#[doc = #l]));
        let docs = quote!(#(#docs)*);
        let ok = success(&op.success);
        let result = quote!(::std::result::Result<#ok, crate::ApiError<operations::#marker>>);
        // The inputs, in the order they are judged: the credential, the
        // parameters, the body.
        let (mut typed_arg, mut raw_arg, mut judge, mut pass) =
            (quote!(), quote!(), quote!(), quote!());
        if let Some((ty, definition, find)) = credential(model, catalogue, op, &marker) {
            inputs.extend(definition);
            typed_arg.extend(quote!(, credential: #ty));
            judge.extend(find);
            pass.extend(quote!(, credential));
        }
        if let Some(params) = &op.params {
            inputs.extend(parameters(model, catalogue, params));
            let t = format_ident!("{}", params.schema.rust);
            typed_arg.extend(quote!(, params: #t));
            raw_arg.extend(quote!(, params: crate::params::RawParameters<#t>));
            judge.extend(quote!(let params = params.into_inner::<operations::#marker>()?;));
            pass.extend(quote!(, params));
        }
        let mut max_bytes = quote!();
        if let Some(body) = &op.body {
            let t = format_ident!("{}", body.to_upper_camel_case());
            typed_arg.extend(quote!(, body: #t));
            raw_arg.extend(quote!(, body: crate::JsonBody<#t>));
            max_bytes = quote!(request_body_max_bytes = crate::REQUEST_BODY_MAX_BYTES,);
            judge.extend(quote!(let body = body.into_inner::<operations::#marker>()?;));
            pass.extend(quote!(, body));
        }
        let method_upper = op.method.to_uppercase();
        let status = match &op.success {
            Success::Body(status, _) => *status,
            Success::NoContent => 204,
        };
        let alternatives = op.security.iter().map(|alt| quote!(&[#(#alt),*]));
        routes.push(quote! {
            Route {
                operation_id: #id,
                method: #method_upper,
                path: #path,
                status: #status,
                security: &[#(#alternatives),*],
            }
        });
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
    let handler_doc = format!(
        " The {}: one method per operation, each given its inputs typed and \
         already checked by the spec's rules.",
        model.title
    );
    let n_routes = Literal::usize_unsuffixed(routes.len());
    quote! {
        /// An operation's route: what the server counts requests by (a
        /// templated path is one route) and what its security requires.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct Route {
            /// `operationId`.
            pub operation_id: &'static str,
            /// The method, upper case.
            pub method: &'static str,
            /// The path template, as the spec writes it (`/items/{id}`).
            pub path: &'static str,
            /// The status of its success response.
            pub status: u16,
            /// Its security requirements: alternatives, each the scheme names
            /// that must all be present; empty when none is needed.
            pub security: &'static [&'static [&'static str]],
        }

        /// Every operation's route, in the spec's order.
        pub const ROUTES: [Route; #n_routes] = [#(#routes),*];

        #inputs

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
    }
}

/// The success response's dropshot type.
fn success(success: &Success) -> TokenStream {
    match success {
        Success::Body(status, body) => {
            let t = format_ident!("{}", body.to_upper_camel_case());
            match status {
                201 => quote!(dropshot::HttpResponseCreated<#t>),
                202 => quote!(dropshot::HttpResponseAccepted<#t>),
                _ => quote!(dropshot::HttpResponseOk<#t>),
            }
        }
        Success::NoContent => quote!(dropshot::HttpResponseUpdatedNoContent),
    }
}

/// An operation's doc lines: its summary, a blank line, its description.
fn method_docs(op: &Operation) -> Vec<String> {
    let mut lines = vec![prose::sanitize(op.summary.as_deref().unwrap_or_default())];
    if let Some(description) = op.description.as_deref().filter(|d| !d.is_empty()) {
        lines.push(String::new());
        lines.extend(prose::sanitize(description).lines().map(str::to_string));
    }
    lines
        .into_iter()
        .map(|l| if l.is_empty() { l } else { format!(" {l}") })
        .collect()
}

/// An operation's parameters struct, its rules and where each is sent.
fn parameters(model: &Model, catalogue: &Catalogue, params: &Params) -> TokenStream {
    let properties = match &params.schema.shape {
        crate::codegen::model::Shape::Object(properties) => properties,
        crate::codegen::model::Shape::StringEnum(_)
        | crate::codegen::model::Shape::OneOf { .. } => {
            unreachable!("parameters are an object")
        }
    };
    let object = types::object(model, catalogue, &params.schema, properties);
    let ty = format_ident!("{}", params.schema.rust);
    let entries = params.parameters.iter().map(|p| {
        let location = format_ident!(
            "{}",
            match p.location {
                Location::Path => "Path",
                Location::Query => "Query",
                Location::Header => "Header",
            }
        );
        let description = match &p.property.description {
            Some(d) => quote!(::std::option::Option::Some(#d)),
            None => quote!(::std::option::Option::None),
        };
        let schema = &p.schema_json;
        let register = match &p.property.ty {
            crate::codegen::model::Type::Ref(target) => {
                let t = format_ident!("{}", target.to_upper_camel_case());
                quote!(|generator| {
                    generator.subschema_for::<#t>();
                })
            }
            _ => quote!(|_| {}),
        };
        quote! {
            crate::params::Parameter {
                location: crate::params::Location::#location,
                description: #description,
                schema: #schema,
                register: #register,
            }
        }
    });
    let n = Literal::usize_unsuffixed(params.parameters.len());
    quote! {
        #object
        impl crate::params::Parameters for #ty {
            fn fields() -> &'static [Field] {
                <Self as crate::validate::Validate>::fields()
            }
            fn parameters() -> &'static [crate::params::Parameter] {
                static PARAMETERS: [crate::params::Parameter; #n] = [#(#entries),*];
                &PARAMETERS
            }
        }
    }
}

/// What an operation's security requirements give its handler: the type,
/// its definition (an enum when there are alternatives), and the code that
/// finds it in the request's headers or answers the scheme's error.
fn credential(
    model: &Model,
    catalogue: &Catalogue,
    op: &Operation,
    marker: &syn::Ident,
) -> Option<(TokenStream, TokenStream, TokenStream)> {
    let anonymous = op.security.iter().any(Vec::is_empty);
    let alternatives: Vec<&Vec<String>> = op.security.iter().filter(|a| !a.is_empty()).collect();
    let first = alternatives.first()?.first()?;
    let scheme = |name: &str| {
        model
            .security_schemes
            .iter()
            .find(|s| s.name == name)
            .expect("the model checked the scheme exists")
    };
    let error_ty = format_ident!("{}Error", marker);
    let (group, code) = &scheme(first).error;
    let refused = errors::variant_of(catalogue, group, *code);
    let single = alternatives.len() == 1 && alternatives[0].len() == 1;
    let enum_ty = format_ident!("{}Credential", marker);
    let mut variants = Vec::new();
    let mut tries = Vec::new();
    for alternative in &alternatives {
        let vars: Vec<syn::Ident> = (0..alternative.len())
            .map(|i| format_ident!("c{i}"))
            .collect();
        let finds = alternative.iter().map(|name| {
            let scheme = scheme_expr(&scheme(name).kind);
            quote!(#scheme.credential(headers))
        });
        let variant = format_ident!(
            "{}",
            alternative
                .iter()
                .map(|n| n.to_upper_camel_case())
                .collect::<String>()
        );
        let built = if single {
            quote!(c0)
        } else {
            quote!(#enum_ty::#variant(#(#vars),*))
        };
        let secrets = alternative.iter().map(|_| quote!(crate::Secret));
        let doc = format!(" `{}`.", alternative.join("` and `"));
        variants.push(quote!(#[doc = #doc] #variant(#(#secrets),*)));
        tries.push(quote! {
            if let (#(::std::option::Option::Some(#vars),)*) = (#(#finds,)*) {
                break ::std::option::Option::Some(#built);
            }
        });
    }
    let (ty, definition) = if single {
        (quote!(crate::Secret), quote!())
    } else {
        let doc = format!(
            " The credential `{}` was called with: one of its security requirements.",
            op.id
        );
        (
            quote!(#enum_ty),
            quote! {
                #[doc = #doc]
                #[derive(Debug, Clone, PartialEq, Eq)]
                pub enum #enum_ty {
                    #(#variants,)*
                }
            },
        )
    };
    let found = quote! {
        // The first requirement the headers meet (a `loop` run once).
        let credential = loop {
            let headers = rqctx.request.headers();
            #(#tries)*
            break ::std::option::Option::None;
        };
    };
    if anonymous {
        // Anonymous access allowed: none of the schemes attempted is no
        // credential; one attempted but not met is refused with its error.
        let mut named: Vec<&str> = Vec::new();
        for name in alternatives.iter().flat_map(|a| a.iter()) {
            if !named.contains(&name.as_str()) {
                named.push(name);
            }
        }
        let checks = named.iter().map(|name| {
            let s = scheme(name);
            let kind = scheme_expr(&s.kind);
            let variant = errors::variant_of(catalogue, &s.error.0, s.error.1);
            quote! {
                if credential.is_none() && #kind.is_attempted(rqctx.request.headers()) {
                    return ::std::result::Result::Err(crate::ApiError::new(
                        operations::#error_ty::#variant,
                    ));
                }
            }
        });
        let find = quote! {
            #found
            #(#checks)*
        };
        Some((quote!(::std::option::Option<#ty>), definition, find))
    } else {
        let find = quote! {
            #found
            let ::std::option::Option::Some(credential) = credential else {
                return ::std::result::Result::Err(crate::ApiError::new(
                    operations::#error_ty::#refused,
                ));
            };
        };
        Some((ty, definition, find))
    }
}

/// The runtime's `Scheme` for a scheme of the model.
fn scheme_expr(kind: &SchemeKind) -> TokenStream {
    match kind {
        SchemeKind::Bearer => quote!(crate::security::Scheme::Bearer),
        SchemeKind::ApiKeyHeader(header) => quote!(crate::security::Scheme::ApiKeyHeader(#header)),
    }
}
