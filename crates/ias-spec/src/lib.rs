//! Reading and comparing the workspace's OpenAPI documents.
//!
//! - [`mod@load`]: parse a spec with errors that name the file, line and problem;
//! - [`model`]: the contract of a document, `$ref`s resolved, docs left out;
//! - [`diff`]: every change between two documents, classified breaking,
//!   compatible or documentation (the rules are in that module's docs);
//! - [`version`]: the semver rule applied to a set of changes;
//! - [`mod@conformance`]: a server's OpenAPI document checked against the spec.
//!
//! Used by `xtask` (codegen, spec-diff) and by the contract tests.

pub mod conformance;
pub mod diff;
pub mod load;
pub mod model;
pub mod version;

pub use conformance::{conformance, Mismatch};
pub use diff::{diff_documents, Bump, Change};
pub use load::{load, locate, parse, SpecDocument, SpecError};
