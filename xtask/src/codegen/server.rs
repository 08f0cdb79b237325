//! The server side of the contract, generated into `crates/ias-api`: the
//! document is read once into a [`model`] (where everything the
//! generator cannot carry is refused, with the spec's file and line), then
//! rendered ([`render`](super::render)): the wire types with the spec's own
//! schemas as their `JsonSchema`, their request rules as data, the
//! documented-error catalogue, per operation a marker and an error type, the
//! typed handler trait `IasApi` and the dropshot endpoints that judge every
//! input before it runs.
//!
//! What the generated code leans on is hand-written runtime in `ias-api`:
//! `JsonBody` (reads and judges a body), `ApiError` (the error plumbing),
//! `validate` (applies the rules), `examples`, `Secret` (from `ias-secret`).

use anyhow::Result;
use ias_spec::{Catalogue, SpecDocument};
use proc_macro2::TokenStream;
use quote::quote;

use super::render::{operations, types};
use super::{errors, model};

/// The source of `crates/ias-api/src/generated.rs` (before formatting).
pub fn generate(doc: &SpecDocument, catalogue: &Catalogue) -> Result<TokenStream> {
    let model = model::read(doc, catalogue)?;
    let (title, version) = (&model.title, &model.version);
    let types = types::types(&model, catalogue);
    let errors = errors::error_codes(catalogue);
    let operations = operations::operations(&model, catalogue);
    let examples = types::examples(&model);
    Ok(quote! {
        #![allow(clippy::all, clippy::pedantic, missing_docs)]
        use crate::validate::{Field, Kind, Presence};
        /// `info.title` of the spec.
        pub const API_TITLE: &str = #title;
        /// `info.version` of the spec.
        pub const API_VERSION: &str = #version;
        #types
        #errors
        #operations
        #examples
    })
}
