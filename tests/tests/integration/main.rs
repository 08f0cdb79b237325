//! The contract tests, one binary:
//!
//! - `contract`: every documented answer of the live server, through the
//!   generated client or raw HTTP;
//! - `pkce`: PKCE's `codeVerifier` (spec 2.5), from the console to GitHub;
//! - `conformance`: the server's OpenAPI document against the spec, and
//!   mutated specs that must be caught;
//! - `web_flow`: the browser half of GitHub's web flow (the stand-in's consent
//!   page), then the exchange with PKCE.

mod conformance;
mod console;
mod contract;
mod pkce;
mod web_flow;
