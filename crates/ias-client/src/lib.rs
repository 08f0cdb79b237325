//! Rust client for the IAM Service public API (IAS).
//!
//! The code in `generated.rs` is produced by progenitor from
//! `api-spec/ias-public-api.yaml` with `cargo xtask codegen`; it is never edited
//! by hand, and CI fails (`cargo xtask codegen --check`) when it is stale. It
//! holds progenitor's client and the spec's documented errors, [`ErrorCode`]
//! (every `[group, code]` pair the error responses list, with its status and
//! message; `ErrorCode::try_from(&ErrStatusMsg)` names the one a body is).
//! This file adds only documentation; [`Secret`] is `ias-secret`'s (the
//! server's generated types use the same one).
//!
//! # Interface style
//!
//! The client is generated in progenitor's *positional* style: every required
//! input of an operation is an argument of its method. When the spec adds a
//! required input, code calling the old signature stops compiling, instead of
//! failing at run time as a builder's forgotten `.field(..)` would. With one
//! operation taking one body, the builder style would add ceremony and no
//! safety.
//!
//! # Base URL
//!
//! `ias-server` serves the API at the root (`http://127.0.0.1:8080`). The spec's
//! `servers` entry, `https://console.gmicloud.ai/api/v1`, is the public gateway,
//! which adds the `/api/v1` prefix. Give [`Client::new`] whichever the caller
//! talks to.
//!
//! # Credentials
//!
//! The authorization code and the access token are [`Secret`]s: their `Debug`
//! output is `Secret([redacted])`, so logging a request or a response does not
//! leak them.
//!
//! An operation behind a `security` requirement takes its credential the
//! progenitor way: set once on the reqwest client the API client is built
//! with, never per call (the generated methods have no credential argument):
//!
//! ```no_run
//! # fn example(token: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let mut headers = reqwest::header::HeaderMap::new();
//! let mut bearer: reqwest::header::HeaderValue = format!("Bearer {token}").parse()?;
//! bearer.set_sensitive(true); // kept out of reqwest's Debug output
//! headers.insert(reqwest::header::AUTHORIZATION, bearer);
//! let http = reqwest::Client::builder().default_headers(headers).build()?;
//! let client = ias_client::Client::new_with_client("https://console.gmicloud.ai/api/v1", http);
//! # let _ = client;
//! # Ok(())
//! # }
//! ```
//!
//! # Example
//!
//! ```no_run
//! use ias_client::types::{
//!     ErrStatusMsg, ExchangeAuthorizationCodeRequest, ExchangeAuthorizationCodeRequestProvider,
//! };
//! use ias_client::{Client, Error, ErrorCode, Secret};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::new("https://console.gmicloud.ai/api/v1");
//! let body = ExchangeAuthorizationCodeRequest {
//!     provider: ExchangeAuthorizationCodeRequestProvider::Github,
//!     code: Secret::new("code-from-the-oauth-callback"),
//!     // PKCE: the verifier whose S256 challenge started the flow, if any.
//!     code_verifier: None,
//! };
//! match client.exchange_authorization_code(&body).await {
//!     Ok(response) => {
//!         let token: &Secret = &response.into_inner().access_token;
//!         println!("signed in; token {token:?}"); // prints Secret([redacted])
//!     }
//!     // An error answer: the body is the spec's ErrStatusMsg, and
//!     // ErrorCode says which documented error it is.
//!     Err(Error::ErrorResponse(response)) => {
//!         let body: ErrStatusMsg = response.into_inner();
//!         match ErrorCode::try_from(&body) {
//!             Ok(ErrorCode::InvalidAuthorizationCode) => println!("the code was rejected; sign in again"),
//!             Ok(ErrorCode::InvalidFieldInTheRequest) => {
//!                 for detail in &body.validation_detail {
//!                     println!("field {:?}: {:?}", detail.field, detail.reason);
//!                 }
//!             }
//!             Ok(other) => println!("{} {}: {:?}", other.status(), other.message(), body.traces),
//!             Err(undocumented) => println!("{undocumented}"),
//!         }
//!     }
//!     // Transport failures, undocumented statuses, bodies that do not decode.
//!     Err(other) => return Err(other.into()),
//! }
//! # Ok(())
//! # }
//! ```

extern crate self as ias_client;

#[allow(clippy::all, clippy::pedantic, missing_docs)]
mod generated;

pub use generated::*;
pub use ias_secret::Secret;
