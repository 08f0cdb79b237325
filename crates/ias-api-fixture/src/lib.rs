//! The server generator's fixture: `shapes.yaml` (every shape the generator
//! carries, in eight operations, with prose that would trip rustdoc) generated
//! by `cargo xtask codegen` as the contract is, into
//!
//! - `src/generated.rs`: the server side, exactly as `ias-api`'s, compiled
//!   here against `ias-api`'s own runtime modules (`body`, `error`,
//!   `validate`, `examples`, `params`, `security`: the files themselves, by `#[path]`, since the
//!   generated code and the runtime name each other through `crate::`);
//! - `src/client.rs`: the progenitor client and its documented errors, in
//!   [`client`].
//!
//! So the generator's output is tested as ias-api's is: `cargo xtask codegen
//! --check` holds the committed files (a snapshot of the generator), the
//! workspace build compiles them, `cargo doc -D warnings` documents them, and
//! `tests/runtime.rs` serves the generated trait with test handlers and calls
//! it through the generated client, with valid inputs (which reach the
//! handlers) and invalid ones (which never do).

extern crate self as ias_client;

#[path = "../../ias-api/src/body.rs"]
pub mod body;
#[path = "../../ias-api/src/error.rs"]
pub mod error;
#[path = "../../ias-api/src/examples.rs"]
pub mod examples;
#[path = "../../ias-api/src/params.rs"]
pub mod params;
#[path = "../../ias-api/src/security.rs"]
pub mod security;
#[path = "../../ias-api/src/validate.rs"]
pub mod validate;

mod generated;

/// The generated client of `shapes.yaml` (progenitor, positional interface).
#[allow(clippy::all, clippy::pedantic, missing_docs)]
pub mod client {
    include!("client.rs");
}

pub use body::{BodyDeadline, JsonBody, REQUEST_BODY_MAX_BYTES};
pub use error::{ApiError, Operation, OperationWithBody, OperationWithInput};
pub use generated::*;
pub use ias_secret::Secret;
