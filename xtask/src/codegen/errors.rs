//! The documented-error catalogue as Rust: `ErrorCode` (server and client)
//! and, for the server, one error type per operation holding only the pairs
//! that operation documents.
//!
//! Variant names are the catalogue's (`ias_spec::catalogue`:
//! `components.x-ias-error-names`, else made from the pair), never the
//! message, so rewording a message renames nothing.

use ias_spec::Catalogue;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

/// The variant of `ErrorCode` for a documented pair.
pub fn variant_of(catalogue: &Catalogue, group: &str, code: i64) -> syn::Ident {
    let error = catalogue.get(group, code).expect("a documented pair");
    format_ident!("{}", error.name)
}

/// A variant's doc line: status, pair and message.
fn doc_line(e: &ias_spec::DocumentedError) -> String {
    format!(" {} `{}/{}`: {}", e.status, e.group, e.code, e.message)
}

/// `ErrorCode`: every documented pair with its status and message.
pub fn error_codes(catalogue: &Catalogue) -> TokenStream {
    let variants: Vec<syn::Ident> = catalogue
        .errors
        .iter()
        .map(|e| variant_of(catalogue, &e.group, e.code))
        .collect();
    let docs = catalogue.errors.iter().map(doc_line);
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
    }
}

/// The client's typed view of an `ErrStatusMsg` body.
pub fn client_view() -> TokenStream {
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
}

/// What the server's runtime needs of one operation's errors.
pub struct OperationErrors<'a> {
    /// `operationId`.
    pub id: &'a str,
    /// The operation's marker type (`operations::ExchangeAuthorizationCode`).
    pub marker: &'a syn::Ident,
    /// The documented pairs, in the spec's order.
    pub pairs: &'a [(String, i64)],
    /// The pair dropshot's own server errors become (a documented 5xx).
    pub server_error: (&'a str, i64),
    /// `request/0`, when the operation has inputs to check (a body or
    /// parameters).
    pub invalid_request: Option<(&'a str, i64)>,
    /// `request/1`, when the operation has a required body.
    pub body_required: Option<(&'a str, i64)>,
}

/// The marker type of an operation, its error type (only its documented
/// pairs) and their `Operation` impls.
pub fn operation_errors(catalogue: &Catalogue, op: &OperationErrors<'_>) -> TokenStream {
    let OperationErrors { id, marker, .. } = op;
    let error_ty = format_ident!("{}Error", marker);
    let variant = |(g, c): (&str, i64)| variant_of(catalogue, g, c);
    let variants: Vec<syn::Ident> = op.pairs.iter().map(|(g, c)| variant((g, *c))).collect();
    let docs = op
        .pairs
        .iter()
        .map(|(g, c)| doc_line(catalogue.get(g, *c).expect("a documented pair")));
    let v = &variants;
    let server_error = variant(op.server_error);
    let invalid = op.invalid_request.map(variant);
    let marker_doc = format!(" `{id}`: names it in `ApiError<{marker}>`.");
    let error_doc = format!(
        " The errors `{id}` documents, and no others: an `ApiError<{marker}>` is made from one."
    );
    let body_required = op.body_required.map(|pair| {
        let required = variant(pair);
        quote! {
            impl crate::error::OperationWithBody for #marker {
                const BODY_REQUIRED: #error_ty = #error_ty::#required;
            }
        }
    });
    let with_input = invalid.as_ref().map(|invalid| {
        quote! {
            impl crate::error::OperationWithInput for #marker {
                const INVALID_REQUEST: #error_ty = #error_ty::#invalid;
            }
        }
    });
    let dropshot_client_error = match &invalid {
        Some(invalid) => quote!(::std::option::Option::Some(#error_ty::#invalid)),
        None => quote!(::std::option::Option::None),
    };
    quote! {
        #[doc = #marker_doc]
        pub enum #marker {}

        #[doc = #error_doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum #error_ty {
            #(#[doc = #docs] #v,)*
        }

        impl ::std::convert::From<#error_ty> for ErrorCode {
            fn from(error: #error_ty) -> ErrorCode {
                match error { #(#error_ty::#v => ErrorCode::#v,)* }
            }
        }

        impl crate::Operation for #marker {
            const OPERATION_ID: &'static str = #id;
            type Error = #error_ty;
            const SERVER_ERROR: #error_ty = #error_ty::#server_error;
            const DROPSHOT_CLIENT_ERROR: ::std::option::Option<#error_ty> = #dropshot_client_error;
            #[allow(unreachable_patterns)]
            fn documented(error: ErrorCode) -> ::std::option::Option<#error_ty> {
                match error {
                    #(ErrorCode::#v => ::std::option::Option::Some(#error_ty::#v),)*
                    _ => ::std::option::Option::None,
                }
            }
        }
        #with_input
        #body_required
    }
}
