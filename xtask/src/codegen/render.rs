//! Rendering the server generator's [`model`](super::model) as tokens: one
//! module per concern. Nothing here refuses anything: the model has.
//!
//! - [`types`]: the wire types (structs, enums, their `JsonSchema`, which is
//!   the spec's own schema) and `example_round_trip`;
//! - [`rules`]: each object's request rules, as a static table of `Field`s;
//! - [`operations`]: the operations' marker and error types, the typed handler
//!   trait `IasApi`, and the dropshot endpoints that judge before calling it.
//!
//! The error catalogue (`ErrorCode`) is [`super::errors`], shared with the
//! client.

pub mod operations;
pub mod rules;
pub mod types;

use proc_macro2::TokenStream;
use quote::quote;

use super::prose;

/// A description as a `#[doc]` attribute (rustdoc-safe, [`prose::sanitize`]).
/// The model has left out blank descriptions.
pub fn docs(description: Option<&str>) -> TokenStream {
    match description {
        Some(text) => {
            let text = prose::sanitize(text);
            // `LineDocs` (codegen.rs) splits a multi-line text and indents each line.
            let text = if text.trim_end().contains('\n') {
                text.trim_end().to_string()
            } else {
                format!(" {}", text.trim_end())
            };
            quote!(#[doc = #text])
        }
        None => quote!(),
    }
}
