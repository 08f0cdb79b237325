//! The contract tests, one binary:
//!
//! - `contract`: every documented answer of the live server, through the
//!   generated client or raw HTTP;
//! - `conformance`: the server's OpenAPI document against the spec, and
//!   mutated specs that must be caught.

mod conformance;
mod contract;
