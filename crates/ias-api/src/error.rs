//! The error plumbing: [`ApiError<Op>`], the spec's `ErrStatusMsg` body sent
//! with the status of one of the operation's documented errors.
//!
//! The errors themselves are generated ([`ErrorCode`], from the `- [group,
//! code]: message` lines of the spec's error responses), and so is one type
//! per operation ([`crate::operations`]) with an error type of its own that
//! holds only the pairs its responses document (`<Op as Operation>::Error`).
//! An `ApiError<Op>` is made from that type alone, so answering with an error
//! `Op` does not document does not compile, in any build; nor does a pair
//! removed from the spec.
//!
//! ```compile_fail
//! use ias_api::{operations::ExchangeAuthorizationCode, ApiError, ErrorCode};
//! // An `ErrorCode` is not an operation's error: this does not compile.
//! let e = ApiError::<ExchangeAuthorizationCode>::new(ErrorCode::InvalidAuthorizationCode);
//! ```
//!
//! The response made from an `ApiError` carries its [`ErrorCode`] as a
//! response extension, so what watches responses (ias-server's metrics) reads
//! the outcome as a value, not back from the body.

use std::fmt;
use std::marker::PhantomData;

use dropshot::{
    ApiSchemaGenerator, ErrorStatusCode, HttpError, HttpHandlerResult, HttpResponseContent,
    HttpResponseError,
};
use serde::Serialize;

use crate::{ErrStatusMsg, ErrorCode, ValidationDetail};

/// An operation of the API (generated: one type per operation).
pub trait Operation: 'static {
    /// Its `operationId`.
    const OPERATION_ID: &'static str;
    /// The errors its responses document, and no others.
    type Error: Copy + Into<ErrorCode> + fmt::Debug + Send + Sync + 'static;
    /// The documented 5xx that dropshot's own server errors become.
    const SERVER_ERROR: Self::Error;
    /// What a client error dropshot raises itself becomes: `request/0` where
    /// the operation has inputs (and so documents it); an operation without
    /// inputs has no extractor that could raise one.
    const DROPSHOT_CLIENT_ERROR: Option<Self::Error>;
    /// The operation's error for a documented pair, if it documents it.
    fn documented(error: ErrorCode) -> Option<Self::Error>;
}

/// An operation with something to check (a body or parameters).
pub trait OperationWithInput: Operation {
    /// `request/0`: a request the rules refuse.
    const INVALID_REQUEST: Self::Error;
}

/// An operation with a required JSON body.
pub trait OperationWithBody: OperationWithInput {
    /// `request/1`: the body is missing.
    const BODY_REQUIRED: Self::Error;
}

/// The error answer of operation `Op`: a documented error and its body.
pub struct ApiError<Op> {
    error: ErrorCode,
    body: ErrStatusMsg,
    operation: PhantomData<fn() -> Op>,
}

impl<Op: Operation> ApiError<Op> {
    /// One of the operation's documented errors, with its documented message.
    pub fn new(error: Op::Error) -> Self {
        let error: ErrorCode = error.into();
        let mut body = ErrStatusMsg::new(error.group().to_string(), error.code());
        body.message = error.message().to_string();
        ApiError {
            error,
            body,
            operation: PhantomData,
        }
    }

    /// Replaces the documented message (for `request/0`, which says what is wrong).
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.body.message = message.into();
        self
    }

    /// Adds a trace (context for people; no credential).
    pub fn with_trace(mut self, trace: impl Into<String>) -> Self {
        self.body.traces.push(trace.into());
        self
    }
}

impl<Op: OperationWithInput> ApiError<Op> {
    /// `400 request/0` for a body that is not the expected JSON at all, with
    /// a message that says what is wrong.
    pub fn invalid_body(message: impl Into<String>) -> Self {
        Self::new(Op::INVALID_REQUEST).with_message(message)
    }

    /// `400 request/0` with one detail per field problem.
    pub fn invalid_fields(details: Vec<ValidationDetail>) -> Self {
        let mut e = Self::new(Op::INVALID_REQUEST);
        e.body.validation_detail = details;
        e
    }
}

impl<Op> ApiError<Op> {
    /// The documented error.
    pub fn error(&self) -> ErrorCode {
        self.error
    }

    /// The body sent.
    pub fn body(&self) -> &ErrStatusMsg {
        &self.body
    }

    /// The HTTP status it is sent with.
    pub fn status(&self) -> u16 {
        self.error.status()
    }
}

impl<Op> Serialize for ApiError<Op> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.body.serialize(serializer)
    }
}

/// The body is the spec's `ErrStatusMsg` (and so is the schema); the
/// [`ErrorCode`] goes with the response as an extension. A `401` carries
/// `WWW-Authenticate: Bearer` (RFC 9110 §11.6.1, RFC 6750 §3).
impl<Op: Operation> HttpResponseContent for ApiError<Op> {
    fn to_response(self, builder: http::response::Builder) -> HttpHandlerResult {
        let builder = match self.error.status() {
            401 => builder.header(http::header::WWW_AUTHENTICATE, "Bearer"),
            _ => builder,
        };
        self.body.to_response(builder.extension(self.error))
    }

    fn content_metadata() -> Option<ApiSchemaGenerator> {
        ErrStatusMsg::content_metadata()
    }
}

impl<Op: Operation> HttpResponseError for ApiError<Op> {
    fn status_code(&self) -> ErrorStatusCode {
        ErrorStatusCode::from_u16(self.error.status()).expect("documented errors are 4xx or 5xx")
    }
}

/// Errors dropshot raises itself (before or around the handler). Client
/// errors become `400 request/0` with dropshot's message; server errors the
/// operation's documented 5xx, with dropshot's message as a trace.
impl<Op: Operation> From<HttpError> for ApiError<Op> {
    fn from(e: HttpError) -> Self {
        match Op::DROPSHOT_CLIENT_ERROR {
            Some(invalid) if e.status_code.is_client_error() => {
                ApiError::new(invalid).with_message(e.external_message)
            }
            _ => ApiError::new(Op::SERVER_ERROR).with_trace(e.external_message),
        }
    }
}

/// What is logged as the request's outcome (dropshot's `error_message_internal`):
/// status, group/code, message, traces and the names of invalid fields, never
/// the values sent.
impl<Op> fmt::Display for ApiError<Op> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.body;
        write!(f, "{} {}/{}: {}", self.status(), b.group, b.code, b.message)?;
        for d in &b.validation_detail {
            write!(f, " [{}: {}", d.field, d.expression)?;
            if !d.argument.is_empty() {
                write!(f, "={}", d.argument)?;
            }
            write!(f, "]")?;
        }
        for t in &b.traces {
            write!(f, "; {t}")?;
        }
        Ok(())
    }
}

/// Like `Display`: `originalValue`s are left out, since a value sent in the
/// wrong place may be a credential.
impl<Op> fmt::Debug for ApiError<Op> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiError({self})")
    }
}

impl<Op> std::error::Error for ApiError<Op> {}

// The contract's own operations are named here: not in ias-api-fixture,
// which compiles this file against its own generated code.
#[cfg(all(test, not(ias_api_fixture)))]
mod tests {
    use super::*;
    use crate::operations::{
        ExchangeAuthorizationCode as Op, ExchangeAuthorizationCodeError as OpError,
    };

    #[test]
    fn required_detail_is_the_spec_example() {
        let e = ApiError::<Op>::invalid_fields(vec![ValidationDetail::required("code")]);
        assert_eq!(
            serde_json::to_value(e).unwrap(),
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

    /// What dropshot sends: the status, the `ErrStatusMsg` body, and the
    /// `ErrorCode` as a response extension (what ias-server's metrics read).
    #[test]
    fn the_response_carries_the_error_code() {
        let e = ApiError::<Op>::new(OpError::InvalidAuthorizationCode).with_trace("t");
        let status = e.status_code().as_status();
        let response = e
            .to_response(http::Response::builder().status(status))
            .unwrap();
        assert_eq!(response.status(), 400);
        assert_eq!(
            response.extensions().get::<ErrorCode>(),
            Some(&ErrorCode::InvalidAuthorizationCode)
        );
        assert_eq!(
            response.headers()[http::header::CONTENT_TYPE],
            "application/json"
        );
    }

    #[test]
    fn display_and_debug_leave_out_values_sent() {
        let e = ApiError::<Op>::invalid_fields(vec![ValidationDetail::wrong_type(
            "code",
            "string",
            serde_json::json!(["gho_secret"]),
        )]);
        assert_eq!(
            e.to_string(),
            "400 request/0: Invalid field in the request. [code: type=string]"
        );
        // What `unwrap` on a handler's result shows: the error, not the value.
        assert_eq!(
            format!("{e:?}"),
            "ApiError(400 request/0: Invalid field in the request. [code: type=string])"
        );
    }

    #[test]
    fn dropshot_errors_map_to_documented_codes() {
        let e = ApiError::<Op>::from(HttpError::for_bad_request(
            None,
            "request body exceeded maximum size of 8192 bytes".into(),
        ));
        assert_eq!(
            (e.status(), e.error()),
            (400, ErrorCode::InvalidFieldInTheRequest)
        );
        assert_eq!(
            e.body().message,
            "request body exceeded maximum size of 8192 bytes"
        );
        let e = ApiError::<Op>::from(HttpError::for_internal_error("boom".into()));
        assert_eq!(
            (e.status(), e.error()),
            (500, <Op as Operation>::SERVER_ERROR.into())
        );
        // dropshot keeps an internal error's text to itself; its external message is the trace.
        assert_eq!(e.body().traces, ["Internal Server Error"]);
    }

    /// The operation's error type holds its documented pairs, each the
    /// `ErrorCode` of the same name, and `documented` finds exactly those.
    #[test]
    fn an_operation_documents_exactly_its_pairs() {
        let documented: Vec<ErrorCode> = ErrorCode::ALL
            .iter()
            .copied()
            .filter(|e| Op::documented(*e).is_some())
            .collect();
        for e in &documented {
            assert_eq!(ErrorCode::from(Op::documented(*e).unwrap()), *e);
        }
        assert!(documented.contains(&Op::INVALID_REQUEST.into()));
        assert!(documented.contains(&Op::SERVER_ERROR.into()));
        assert_eq!(ErrorCode::from(Op::INVALID_REQUEST).code(), 0);
        assert_eq!(ErrorCode::from(Op::INVALID_REQUEST).group(), "request");
        assert!(ErrorCode::from(Op::SERVER_ERROR).status() >= 500);
    }
}
