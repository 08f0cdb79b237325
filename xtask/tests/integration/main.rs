//! The xtask's integration tests, one binary: each runs the built `xtask` as
//! a user runs it.
//!
//! - `codegen`: `cargo xtask codegen [--check]` on copies of the workspace;
//! - `spec_diff`: `cargo xtask spec-diff` end to end (the rules themselves are
//!   tested in `crates/ias-spec/tests/rules.rs`).

mod codegen;
mod spec_diff;
