//! `JsonBody<T>`: the request body, read by dropshot and judged by us.
//!
//! dropshot's `TypedBody` rejects a bad body with its own `HttpError` before
//! the handler runs, so the answer could not tell an empty body (`request/1`)
//! from a missing field (`request/0` with `validationDetail`). `JsonBody` reads
//! the bytes (dropshot still enforces the size limit), never fails itself, and
//! leaves judging to [`JsonBody::into_inner`], which gives the documented
//! [`ApiError`]. In the OpenAPI document it is exactly a `TypedBody<T>`: same
//! schema, required, `application/json`.

use std::marker::PhantomData;

use async_trait::async_trait;
use dropshot::{
    ApiEndpointBodyContentType, ExclusiveExtractor, ExtractorMetadata, HttpError, RequestContext,
    ServerContext, TypedBody, UntypedBody,
};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{json_type, ApiError};

/// A request type read from a JSON object, by the contract's rules.
pub trait FromJsonObject: Sized {
    /// Validates the object; every field problem becomes one `validationDetail`.
    fn from_json_object(object: Map<String, Value>) -> Result<Self, ApiError>;
}

/// The raw request body of an endpoint whose body is documented as `T`.
pub struct JsonBody<T> {
    content_type: Option<Result<String, ()>>,
    body: Result<Vec<u8>, HttpError>,
    _type: PhantomData<fn() -> T>,
}

impl<T: FromJsonObject> JsonBody<T> {
    /// The body as `T`, or the documented 400 answer:
    /// - unreadable or over the size limit: `request/0`, dropshot's message (it names the limit);
    /// - empty (or only white space), whatever the `Content-Type`: `request/1`;
    /// - a `Content-Type` other than JSON: `request/0`;
    /// - not JSON, or JSON but not an object: `request/0`;
    /// - field problems: `request/0` with `validationDetail` (from `T`).
    pub fn into_inner(self) -> Result<T, ApiError> {
        let bytes = self.body.map_err(ApiError::from)?;
        // An empty body is "required" whatever its declared type.
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::body_required());
        }
        match self.content_type {
            None => {} // like gin's ShouldBindJSON: JSON is assumed
            Some(Ok(ct)) if is_json(&ct) => {}
            Some(Ok(ct)) => {
                return Err(ApiError::invalid_body(format!(
                    "The request body must be sent as Content-Type: application/json, not {ct:?}."
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
            Value::Object(object) => T::from_json_object(object),
            other => Err(ApiError::invalid_body(format!(
                "The request body must be a JSON object, not {}.",
                json_type(&other)
            ))),
        }
    }
}

/// `application/json`, with any parameters, in any case (RFC 9110 §8.3.1).
fn is_json(content_type: &str) -> bool {
    let mime = content_type.split(';').next().unwrap_or_default().trim();
    mime.eq_ignore_ascii_case("application/json")
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
        let body = UntypedBody::from_request(rqctx, request)
            .await
            .map(|b| b.as_bytes().to_vec());
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
    fn json_content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/jsonx"));
    }
}
