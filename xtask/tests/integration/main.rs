//! The xtask's integration tests, one binary.
//!
//! - `codegen`: `cargo xtask codegen [--check]` on copies of the workspace;
//! - `invariants`: ARCHITECTURE.md's dependency invariants, from `cargo metadata`;
//! - `spec_diff`: `cargo xtask spec-diff` end to end (the rules themselves are
//!   tested in `crates/ias-spec/tests/rules.rs`).

mod codegen;
mod invariants;
mod spec_diff;
