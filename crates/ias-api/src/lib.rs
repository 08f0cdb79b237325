//! The IAS public API contract as a dropshot API trait.
//!
//! [`IasApi`] declares the operations; `ias-server` implements them. Because
//! the trait stands apart from any implementation, [`openapi_document`] gives
//! the server's OpenAPI document without running a server, and the contract
//! tests compare it with `api-spec/ias-public-api.yaml`.
//!
//! The server serves `/oauth/token` at its root. The spec's `servers` URL,
//! `https://console.gmicloud.ai/api/v1`, is the public gateway, which adds the
//! `/api/v1` prefix in front of the same paths.
//!
//! Errors are always [`ApiError`], the spec's `ErrStatusMsg` body, with one of
//! the documented group/code pairs; see [`ApiError`]'s constructors.

pub mod body;
pub mod error;
pub mod request;

use dropshot::{HttpResponseOk, RequestContext};

pub use body::{is_media_type, BodyDeadline, FromJsonObject, JsonBody};
pub use error::{ApiError, ValidationDetail};
pub use request::{
    Credential, ExchangeAuthorizationCodeRequest, ExchangeAuthorizationCodeResponse, OAuthProvider,
};

/// `info.title` of the document.
pub const API_TITLE: &str = "IAM Service API";
/// `info.version` of the document; the contract tests check it equals the spec's.
pub const API_VERSION: &str = "2.4.0";
/// Request bodies larger than this are refused with 400 `request/0`.
/// A request is two short strings; 8 KiB leaves ample room.
pub const REQUEST_BODY_MAX_BYTES: usize = 8 * 1024;

/// The IAS public API.
#[dropshot::api_description]
pub trait IasApi {
    /// Server state shared by all requests.
    type Context;

    /// Exchange authorization code for access token
    ///
    /// Exchanges an authorization code for an access token.
    #[endpoint {
        method = POST,
        path = "/oauth/token",
        operation_id = "exchangeAuthorizationCode",
        tags = ["oauth"],
        request_body_max_bytes = REQUEST_BODY_MAX_BYTES,
    }]
    async fn exchange_authorization_code(
        rqctx: RequestContext<Self::Context>,
        body: JsonBody<ExchangeAuthorizationCodeRequest>,
    ) -> Result<HttpResponseOk<ExchangeAuthorizationCodeResponse>, ApiError>;
}

/// The server's OpenAPI document, from the trait alone (no implementation).
pub fn openapi_document() -> serde_json::Value {
    let api =
        ias_api_mod::stub_api_description().expect("the IasApi trait is a valid API description");
    let version = API_VERSION.parse().expect("API_VERSION is semver");
    api.openapi(API_TITLE, version)
        .json()
        .expect("the OpenAPI document serializes to JSON")
}
