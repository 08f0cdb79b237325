//! Reading and comparing the workspace's OpenAPI documents.
//!
//! - [`load`]: parse a spec with errors that name the file, line and problem.
//!
//! Used by `xtask` (codegen, spec-diff) and by the contract tests.

pub mod load;

pub use load::{load, locate, parse, SpecDocument, SpecError};
