//! The IAS public API contract as a dropshot API trait, generated from the
//! spec.
//!
//! `generated.rs` is written by `cargo xtask codegen` from
//! `api-spec/ias-public-api.yaml` and never edited by hand: the wire types
//! (their `JsonSchema` is the spec's own schema), their request rules,
//! [`ErrorCode`] (the documented `[group, code]` errors), one type per
//! operation in [`operations`], [`API_TITLE`], [`API_VERSION`] and the
//! [`IasApi`] trait, which `ias-server` implements. The rest of this crate is
//! runtime the generated code uses:
//!
//! - [`mod@body`]: [`JsonBody`], the request body, read (bounded) and judged;
//! - [`mod@params`]: path, query and header parameters, read and judged;
//! - [`mod@security`]: where a request carries its credential;
//! - [`mod@validate`]: the request rules applied to a JSON object;
//! - [`mod@error`]: [`ApiError`], the `ErrStatusMsg` answer of an operation;
//! - [`mod@examples`]: the spec's examples put through the generated types;
//! - [`Secret`] (from `ias-secret`, shared with the client): a property marked
//!   `x-ias-secret`.
//!
//! Because the trait stands apart from any implementation, [`openapi_document`]
//! gives the server's OpenAPI document without running a server; the
//! conformance tests compare it with the spec.
//!
//! The server serves the spec's paths at its root. The spec's `servers` URL,
//! `https://console.gmicloud.ai/api/v1`, is the public gateway, which adds the
//! `/api/v1` prefix in front of the same paths.

pub mod body;
pub mod error;
pub mod examples;
mod generated;
pub mod params;
pub mod security;
pub mod validate;

pub use body::{is_media_type, BodyDeadline, JsonBody, REQUEST_BODY_MAX_BYTES};
pub use error::{ApiError, Operation, OperationWithBody, OperationWithInput};
pub use generated::*;
pub use ias_secret::Secret;

/// The server's OpenAPI document, from the trait alone (no implementation);
/// each operation's `security` is the generated endpoints' (dropshot's
/// documents have none).
pub fn openapi_document() -> serde_json::Value {
    let api =
        ias_api_mod::stub_api_description().expect("the IasApi trait is a valid API description");
    let version = API_VERSION.parse().expect("API_VERSION is semver");
    let mut document = api
        .openapi(API_TITLE, version)
        .json()
        .expect("the OpenAPI document serializes to JSON");
    security::document_security(&mut document, &ROUTES);
    document
}
