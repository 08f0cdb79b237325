//! `JsonBody<T>`: the request body, read and judged by us.
//!
//! dropshot's `TypedBody` rejects a bad body with its own `HttpError` before
//! the handler runs, so the answer could not tell an empty body (`request/1`)
//! from a missing field (`request/0` with `validationDetail`). `JsonBody` reads
//! the bytes itself, never fails itself, and leaves judging to
//! [`JsonBody::into_inner`], which applies the generated request rules
//! ([`crate::validate`]) and gives the documented [`ApiError`]. In the
//! OpenAPI document it is exactly a `TypedBody<T>`: same schema, required,
//! `application/json`.
//!
//! Reading is bounded in size and time: a body over the endpoint's limit is
//! refused as soon as the limit is passed (at once when `Content-Length` says
//! so) and the rest is never read; a body that has not arrived by the
//! request's [`BodyDeadline`] is refused too. Either way the server closes the
//! connection after answering (hyper does not reuse a connection whose request
//! body was left unread).

use std::marker::PhantomData;
use std::time::Duration;

use async_trait::async_trait;
use dropshot::{
    ApiEndpointBodyContentType, ExclusiveExtractor, ExtractorMetadata, HttpError, RequestContext,
    ServerContext, TypedBody,
};
use http_body_util::BodyExt as _;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{ApiError, OperationWithBody, OperationWithInput};
use crate::validate::{check_request, json_type, Invalid, Validate};

/// Request bodies larger than this are refused with 400 `request/0`.
/// A request is a few short strings; 8 KiB leaves ample room.
pub const REQUEST_BODY_MAX_BYTES: usize = 8 * 1024;

/// When a request's headers and body must have arrived: the server inserts
/// it into the request's extensions (`setting` and `timeout` are for the
/// message). Without one, the body is read for as long as it takes.
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline {
    /// The instant the whole request must have arrived by.
    pub at: tokio::time::Instant,
    /// The allowance, from the request's first byte.
    pub timeout: Duration,
    /// The setting that gives it, such as `IAS_REQUEST_TIMEOUT`.
    pub setting: &'static str,
}

/// The raw request body of an endpoint whose body is documented as `T`.
pub struct JsonBody<T> {
    content_type: Option<Result<String, ()>>,
    /// The bytes, or why they could not be read (a `request/0` message).
    body: Result<Vec<u8>, String>,
    _type: PhantomData<fn() -> T>,
}

impl<T: Validate> JsonBody<T> {
    /// The body as `T`, or operation `Op`'s documented 400 answer:
    /// - unreadable, over the size limit or late: `request/0`, saying which (and the limit);
    /// - empty (or only white space), whatever the `Content-Type`: `request/1`;
    /// - a `Content-Type` other than JSON: `request/0`;
    /// - not JSON, or JSON but not an object: `request/0`;
    /// - field problems: `request/0` with `validationDetail` (`T`'s rules);
    /// - a value outside an `enum` whose property names a documented error:
    ///   that error.
    ///
    /// The generated endpoints call it before the handler runs.
    pub fn into_inner<Op: OperationWithBody>(self) -> Result<T, ApiError<Op>> {
        let bytes = self.body.map_err(ApiError::invalid_body)?;
        // An empty body is "required" whatever its declared type.
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::new(Op::BODY_REQUIRED));
        }
        match self.content_type {
            None => {} // like gin's ShouldBindJSON: JSON is assumed
            Some(Ok(ct)) if is_media_type(&ct, "application/json") => {}
            Some(Ok(ct)) => {
                return Err(ApiError::invalid_body(format!(
                    "The request body must be sent as Content-Type: application/json, not {}.",
                    clipped(&ct)
                )))
            }
            Some(Err(())) => return Err(ApiError::invalid_body(
                "The Content-Type header is not valid text; send Content-Type: application/json.",
            )),
        }
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
            ApiError::invalid_body(format!("The request body is not valid JSON: {e}."))
        })?;
        match value {
            Value::Object(object) => from_object(object),
            other => Err(ApiError::invalid_body(format!(
                "The request body must be a JSON object, not {}.",
                json_type(&other)
            ))),
        }
    }
}

/// How much of a request header an answer quotes: a few words, so that no
/// header (up to the 16 KiB head limit, and growing when escaped) makes an
/// answer, or its log line, large.
pub const QUOTED_HEADER_CHARS: usize = 64;

/// A header value as an answer may quote it: its first
/// [`QUOTED_HEADER_CHARS`] characters, escaped, and its length when longer.
fn clipped(value: &str) -> String {
    let shown: String = value.chars().take(QUOTED_HEADER_CHARS).collect();
    if shown.len() == value.len() {
        format!("{shown:?}")
    } else {
        format!("{shown:?}… ({} bytes)", value.len())
    }
}

/// `T` from an object its rules accept. Unknown properties are ignored, as
/// the schemas allow them.
fn from_object<T: Validate, Op: OperationWithInput>(
    object: Map<String, Value>,
) -> Result<T, ApiError<Op>> {
    match check_request::<T>(&object) {
        Ok(()) => {}
        Err(Invalid::Fields(details)) => return Err(ApiError::invalid_fields(details)),
        Err(Invalid::Documented(error)) => {
            // The generator refuses an operation whose body names an error
            // it does not document, so this is always `Some`.
            let error = Op::documented(error).unwrap_or(Op::INVALID_REQUEST);
            return Err(ApiError::new(error));
        }
    }
    // The rules admit only what `T` reads; a failure here is a generator bug,
    // still answered as a documented 400.
    serde_json::from_value(Value::Object(object))
        .map_err(|e| ApiError::invalid_body(format!("The request body could not be read: {e}.")))
}

/// Reads at most `limit` bytes of `body`: one frame past the limit ends the
/// reading with `request/0` (dropshot's message for it, which names the
/// limit), and so does a `Content-Length` over it, before any byte is read.
async fn read_body(mut body: dropshot::Body, limit: usize) -> Result<Vec<u8>, String> {
    use http_body::Body as _;
    let too_large = || format!("request body exceeded maximum size of {limit} bytes");
    let announced = body.size_hint().lower();
    if announced > limit as u64 {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(announced as usize);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| format!("The request body could not be read: {e}."))?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > limit {
                return Err(too_large());
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes)
}

/// Whether a `Content-Type` value names `media_type` (such as
/// `application/json`), with any parameters, in any case (RFC 9110 §8.3.1).
/// The one media-type check of the workspace: the API's request bodies,
/// GitHub's answers and the GitHub stand-in all use it.
pub fn is_media_type(content_type: &str, media_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case(media_type)
}

#[async_trait]
impl<T> ExclusiveExtractor for JsonBody<T>
where
    T: JsonSchema + DeserializeOwned + Send + Sync + 'static,
{
    async fn from_request<Context: ServerContext>(
        rqctx: &RequestContext<Context>,
        request: hyper::Request<dropshot::Body>,
    ) -> Result<Self, HttpError> {
        let content_type = request
            .headers()
            .get(http::header::CONTENT_TYPE)
            .map(|v| v.to_str().map(str::to_owned).map_err(|_| ()));
        let deadline = request.extensions().get::<BodyDeadline>().copied();
        let read = read_body(request.into_body(), rqctx.request_body_max_bytes());
        let body = match deadline {
            None => read.await,
            Some(deadline) => tokio::time::timeout_at(deadline.at, read)
                .await
                .unwrap_or_else(|_| {
                    Err(format!(
                        "The request did not arrive within {} ({}); send the headers and body without pauses.",
                        humantime::format_duration(deadline.timeout),
                        deadline.setting
                    ))
                }),
        };
        Ok(JsonBody {
            content_type,
            body,
            _type: PhantomData,
        })
    }

    fn metadata(content_type: ApiEndpointBodyContentType) -> ExtractorMetadata {
        <TypedBody<T> as ExclusiveExtractor>::metadata(content_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quoted_header_is_clipped() {
        assert_eq!(clipped("text/plain"), "\"text/plain\"");
        let at_limit = "a".repeat(QUOTED_HEADER_CHARS);
        assert_eq!(clipped(&at_limit), format!("{at_limit:?}"));
        let long = "\"".repeat(16_000);
        let shown = clipped(&long);
        assert_eq!(
            shown,
            format!("{:?}… (16000 bytes)", "\"".repeat(QUOTED_HEADER_CHARS))
        );
        // Characters, not bytes: never cut inside one.
        assert_eq!(
            clipped(&"é".repeat(100)),
            format!("{:?}… (200 bytes)", "é".repeat(QUOTED_HEADER_CHARS))
        );
    }

    #[test]
    fn json_content_types() {
        let json = |ct| is_media_type(ct, "application/json");
        assert!(json("application/json"));
        assert!(json("Application/JSON; charset=utf-8"));
        assert!(json(" application/json ;charset=utf-8"));
        assert!(!json("text/plain"));
        assert!(!json("application/jsonx"));
        assert!(!json("application/json-patch+json"));
        assert!(!json(""));
    }
}
