//! The one error body of the API, `ErrStatusMsg`, and the group/code pairs the
//! spec documents.

use std::fmt;

use dropshot::{ErrorStatusCode, HttpError, HttpResponseError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One invalid field of a request (`group = "request"`, `code = 0`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "ValidationDetail")]
pub struct ValidationDetail {
    /// The field of the request data.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub field: String,
    /// The form of violation.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub expression: String,
    /// The number or data to support the expression.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub argument: String,
    /// The original value from the request.
    #[serde(rename = "originalValue", default, skip_serializing_if = "is_absent")]
    #[schemars(schema_with = "any_value")]
    pub original_value: Option<serde_json::Value>,
    /// The reason for the validation error.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

fn is_absent(v: &Option<serde_json::Value>) -> bool {
    v.is_none()
}

/// `code` is `type: integer` without a format in the spec.
fn plain_integer(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
    schemars::schema::SchemaObject {
        instance_type: Some(schemars::schema::InstanceType::Integer.into()),
        ..Default::default()
    }
    .into()
}

/// `originalValue` is untyped in the spec: any JSON value.
fn any_value(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
    schemars::schema::Schema::Bool(true)
}

impl ValidationDetail {
    /// `field` is missing, `null` or `""`: gin's `binding: required`, reported
    /// exactly as the spec's example does.
    pub fn required(field: &str) -> Self {
        ValidationDetail {
            field: field.to_string(),
            expression: "required".to_string(),
            argument: String::new(),
            original_value: Some(serde_json::Value::String(String::new())),
            reason: "This field is required.".to_string(),
        }
    }

    /// `field` holds a JSON value of another type than `expected`.
    pub fn wrong_type(field: &str, expected: &str, sent: serde_json::Value) -> Self {
        ValidationDetail {
            field: field.to_string(),
            expression: "type".to_string(),
            argument: expected.to_string(),
            reason: format!("This field must be a {expected}, not {}.", json_type(&sent)),
            original_value: Some(sent),
        }
    }
}

/// The JSON type name of a value, for messages.
pub fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

/// The error body of every failed request, as the spec's `ErrStatusMsg`.
///
/// It is also the endpoint's error type: the HTTP status travels beside the
/// body (never serialized), so every error response is one of the spec's.
#[derive(Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "ErrStatusMsg")]
pub struct ApiError {
    #[serde(skip)]
    #[schemars(skip)]
    status: ErrorStatusCode,
    /// API function group. Will be "request" if there are invalid request parameters.
    pub group: String,
    /// The substatus error code for the API response.
    #[schemars(schema_with = "plain_integer")]
    pub code: i64,
    /// The substatus error Message for API response.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// The original error messages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub traces: Vec<String>,
    /// Returned when there are invalid request parameters (group="request"):
    /// the invalid fields and the reason of each error.
    #[serde(
        rename = "validationDetail",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub validation_detail: Vec<ValidationDetail>,
}

/// The documented 400 and 500 answers, by the spec's group/code pairs.
impl ApiError {
    fn new(status: ErrorStatusCode, group: &str, code: i64, message: impl Into<String>) -> Self {
        ApiError {
            status,
            group: group.to_string(),
            code,
            message: message.into(),
            traces: Vec::new(),
            validation_detail: Vec::new(),
        }
    }

    /// 400 `oauth/0`: Unsupported OAuth provider.
    pub fn unsupported_provider() -> Self {
        Self::new(
            ErrorStatusCode::BAD_REQUEST,
            "oauth",
            0,
            "Unsupported OAuth provider.",
        )
    }

    /// 400 `oauth/2`: Invalid authorization code.
    pub fn invalid_authorization_code() -> Self {
        Self::new(
            ErrorStatusCode::BAD_REQUEST,
            "oauth",
            2,
            "Invalid authorization code.",
        )
    }

    /// 400 `request/0`: Invalid field in the request, one detail per field problem.
    pub fn invalid_fields(details: Vec<ValidationDetail>) -> Self {
        let mut e = Self::new(
            ErrorStatusCode::BAD_REQUEST,
            "request",
            0,
            "Invalid field in the request.",
        );
        e.validation_detail = details;
        e
    }

    /// 400 `request/0` for a body that is not the expected JSON at all.
    pub fn invalid_body(message: impl Into<String>) -> Self {
        Self::new(ErrorStatusCode::BAD_REQUEST, "request", 0, message)
    }

    /// 400 `request/1`: The request body is required.
    pub fn body_required() -> Self {
        Self::new(
            ErrorStatusCode::BAD_REQUEST,
            "request",
            1,
            "The request body is required.",
        )
    }

    /// 500 `oauth/1200`: Exchange authorization code encountered error.
    /// `traces` say what happened upstream; they must hold no credential.
    pub fn exchange_failed(traces: Vec<String>) -> Self {
        let mut e = Self::new(
            ErrorStatusCode::INTERNAL_SERVER_ERROR,
            "oauth",
            1200,
            "Exchange authorization code encountered error.",
        );
        e.traces = traces;
        e
    }

    /// Adds a trace (context for people; no credential).
    pub fn with_trace(mut self, trace: impl Into<String>) -> Self {
        self.traces.push(trace.into());
        self
    }

    /// The HTTP status this error is sent with.
    pub fn status(&self) -> u16 {
        self.status.as_u16()
    }
}

impl HttpResponseError for ApiError {
    fn status_code(&self) -> ErrorStatusCode {
        self.status
    }
}

/// Errors dropshot raises itself (before or around the handler). The spec
/// documents only 400 and 500, so client errors become 400 `request/0` with
/// dropshot's message, and server errors 500 `oauth/1200` with it as a trace
/// (the only documented 500 of the one operation).
impl From<HttpError> for ApiError {
    fn from(e: HttpError) -> Self {
        if e.status_code.is_client_error() {
            ApiError::invalid_body(e.external_message)
        } else {
            ApiError::exchange_failed(vec![e.external_message])
        }
    }
}

/// What is logged as the request's outcome (dropshot's `error_message_internal`):
/// status, group/code, message, traces and the names of invalid fields, never
/// the values sent.
impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}/{}: {}",
            self.status(),
            self.group,
            self.code,
            self.message
        )?;
        for d in &self.validation_detail {
            write!(f, " [{}: {}", d.field, d.expression)?;
            if !d.argument.is_empty() {
                write!(f, "={}", d.argument)?;
            }
            write!(f, "]")?;
        }
        for t in &self.traces {
            write!(f, "; {t}")?;
        }
        Ok(())
    }
}

/// Like `Display`: `originalValue`s are left out, since a value sent in the
/// wrong place may be a credential.
impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiError({self})")
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_detail_is_the_spec_example() {
        let body =
            serde_json::to_value(ApiError::invalid_fields(vec![ValidationDetail::required(
                "code",
            )]))
            .unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "group": "request",
                "code": 0,
                "message": "Invalid field in the request.",
                "validationDetail": [{
                    "field": "code",
                    "expression": "required",
                    "originalValue": "",
                    "reason": "This field is required."
                }]
            })
        );
    }

    #[test]
    fn display_and_debug_leave_out_values_sent() {
        let e = ApiError::invalid_fields(vec![ValidationDetail::wrong_type(
            "code",
            "string",
            serde_json::json!(["gho_secret"]),
        )]);
        assert_eq!(
            e.to_string(),
            "400 request/0: Invalid field in the request. [code: type=string]"
        );
        assert!(!format!("{e:?}").contains("gho_secret"));
    }

    #[test]
    fn dropshot_errors_map_to_documented_codes() {
        let e = ApiError::from(HttpError::for_bad_request(
            None,
            "request body exceeded maximum size of 8192 bytes".into(),
        ));
        assert_eq!((e.status(), e.group.as_str(), e.code), (400, "request", 0));
        assert_eq!(
            e.message,
            "request body exceeded maximum size of 8192 bytes"
        );
        let e = ApiError::from(HttpError::for_internal_error("boom".into()));
        assert_eq!((e.status(), e.group.as_str(), e.code), (500, "oauth", 1200));
    }
}
