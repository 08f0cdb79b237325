//! The operations: per operation, a marker type and an error type holding
//! only its documented pairs ([`crate::codegen::errors`]); the typed handler
//! trait `IasApi`; and the dropshot endpoints (`IasApiEndpoints`, implemented
//! for every `IasApi`) that read and judge each input before the handler runs.

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::codegen::errors;
use crate::codegen::model::{Model, Operation, Success};
use crate::codegen::prose;
use ias_spec::Catalogue;

/// The `operations` module, `IasApi`, `IasApiEndpoints` and the adapter.
pub fn operations(model: &Model, catalogue: &Catalogue) -> TokenStream {
    let mut markers = TokenStream::new();
    let mut handlers = TokenStream::new();
    let mut endpoints = TokenStream::new();
    let mut adapters = TokenStream::new();
    for op in &model.operations {
        let marker = format_ident!("{}", op.id.to_upper_camel_case());
        markers.extend(errors::operation_errors(
            catalogue,
            &errors::OperationErrors {
                id: &op.id,
                marker: &marker,
                pairs: &op.pairs,
                server_error: (&op.server_error.0, op.server_error.1),
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
        let (typed_arg, raw_arg, max_bytes, judge, pass) = match &op.body {
            Some(body) => {
                let t = format_ident!("{}", body.to_upper_camel_case());
                (
                    quote!(, body: #t),
                    quote!(, body: crate::JsonBody<#t>),
                    quote!(request_body_max_bytes = crate::REQUEST_BODY_MAX_BYTES,),
                    quote!(let body = body.into_inner::<operations::#marker>()?;),
                    quote!(, body),
                )
            }
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
    let handler_doc = format!(
        " The {}: one method per operation, each given its inputs typed and \
         already checked by the spec's rules.",
        model.title
    );
    quote! {
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
