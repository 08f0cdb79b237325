//! Reading and comparing the workspace's OpenAPI documents.
//!
//! - [`catalogue`]: the documented `[group, code]` errors of each operation;
//! - [`mod@load`]: parse a spec with errors that name the file, line and problem;
//! - [`model`]: the contract of a document, `$ref`s resolved, docs left out;
//! - [`diff`]: every contract change between two documents, classified
//!   breaking or compatible (the rules table is in that module's docs and in
//!   [`ChangeKind::bump`]);
//! - [`documentation`]: the changes that need no bump (descriptions, examples...);
//! - [`version`]: the semver rule applied to a set of changes;
//! - [`mod@conformance`]: a server's OpenAPI document checked against the spec;
//! - [`examples`]: every example of a spec, for the tests that put them
//!   through generated types;
//! - [`error`]: what can go wrong, and in which document.

pub mod catalogue;
pub mod conformance;
pub mod diff;
pub mod documentation;
pub mod error;
pub mod examples;
pub mod load;
pub mod model;
pub mod version;

pub use catalogue::{Catalogue, DocumentedError, OperationErrors};
pub use conformance::{conformance, Mismatch};
pub use diff::{diff_documents, diff_specs, Bump, Change, ChangeKind, Side};
pub use error::{Document, Error, RefError};
pub use load::{load, locate, parse, SpecDocument, SpecError};
