//! The request and response of `POST /oauth/token`, and the binding rules of
//! the original Go server (gin `binding: required`: missing, `null` and `""`
//! are all "required").

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::body::FromJsonObject;
use crate::error::{ApiError, ValidationDetail};

/// A credential (authorization code, access token). `Debug` prints
/// `[redacted]`; `Serialize` writes the value, for the one response that
/// carries it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Credential(String);

impl Credential {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Credential(value.into())
    }

    /// The value; call only where it is sent.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The OAuth provider name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OAuthProvider {
    /// GitHub OAuth.
    Github,
}

/// The request body for exchanging authorization code.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(rename = "exchangeAuthorizationCodeRequest")]
pub struct ExchangeAuthorizationCodeRequest {
    /// The OAuth provider name.
    /// - "github": GitHub OAuth.
    pub provider: OAuthProvider,
    /// The OAuth authorization code received from the OAuth callback.
    pub code: Credential,
}

/// Successfully exchanged authorization code for access token.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "exchangeAuthorizationCodeResponse")]
pub struct ExchangeAuthorizationCodeResponse {
    /// The OAuth access token that can be used to access the provider's API.
    #[serde(rename = "accessToken")]
    pub access_token: Credential,
}

/// Reads a required string field: `Ok(Some)` when present and non-empty.
fn required_string(
    object: &Map<String, Value>,
    field: &str,
    problems: &mut Vec<ValidationDetail>,
) -> Option<String> {
    match object.get(field) {
        None | Some(Value::Null) => problems.push(ValidationDetail::required(field)),
        Some(Value::String(s)) if s.is_empty() => problems.push(ValidationDetail::required(field)),
        Some(Value::String(s)) => return Some(s.clone()),
        Some(other) => problems.push(ValidationDetail::wrong_type(field, "string", other.clone())),
    }
    None
}

impl FromJsonObject for ExchangeAuthorizationCodeRequest {
    /// Field problems first (`request/0`, one detail each, in the spec's
    /// property order), then the provider (`oauth/0` when unsupported).
    /// Unknown properties are ignored, as the schema allows them.
    fn from_json_object(object: Map<String, Value>) -> Result<Self, ApiError> {
        let mut problems = Vec::new();
        let provider = required_string(&object, "provider", &mut problems);
        let code = required_string(&object, "code", &mut problems);
        let (Some(provider), Some(code)) = (provider, code) else {
            return Err(ApiError::invalid_fields(problems));
        };
        let provider = match provider.as_str() {
            "github" => OAuthProvider::Github,
            _ => return Err(ApiError::unsupported_provider()),
        };
        Ok(ExchangeAuthorizationCodeRequest {
            provider,
            code: Credential(code),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<ExchangeAuthorizationCodeRequest, ApiError> {
        let Value::Object(o) = v else {
            panic!("fixture must be an object")
        };
        ExchangeAuthorizationCodeRequest::from_json_object(o)
    }

    fn details(e: &ApiError) -> Vec<(String, String, Option<Value>)> {
        e.validation_detail
            .iter()
            .map(|d| {
                (
                    d.field.clone(),
                    d.expression.clone(),
                    d.original_value.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn valid_request() {
        let r = parse(json!({"provider": "github", "code": "abc", "extra": 1})).unwrap();
        assert_eq!(r.provider, OAuthProvider::Github);
        assert_eq!(r.code.expose(), "abc");
        assert_eq!(
            format!("{r:?}"),
            "ExchangeAuthorizationCodeRequest { provider: Github, code: [redacted] }"
        );
    }

    #[test]
    fn missing_null_and_empty_are_all_required() {
        for code in [None, Some(Value::Null), Some(json!(""))] {
            let mut body = json!({"provider": "github"});
            if let Some(code) = code {
                body["code"] = code;
            }
            let e = parse(body).unwrap_err();
            assert_eq!((e.status(), e.group.as_str(), e.code), (400, "request", 0));
            assert_eq!(
                details(&e),
                vec![("code".into(), "required".into(), Some(json!("")))]
            );
        }
    }

    #[test]
    fn every_problem_is_reported_in_property_order() {
        let e = parse(json!({"code": 42})).unwrap_err();
        assert_eq!(
            details(&e),
            vec![
                ("provider".into(), "required".into(), Some(json!(""))),
                ("code".into(), "type".into(), Some(json!(42))),
            ]
        );
        assert_eq!(e.validation_detail[1].argument, "string");
        assert_eq!(
            e.validation_detail[1].reason,
            "This field must be a string, not number."
        );
    }

    #[test]
    fn field_problems_come_before_the_provider_check() {
        let e = parse(json!({"provider": "gitlab"})).unwrap_err();
        assert_eq!((e.group.as_str(), e.code), ("request", 0));
        let e = parse(json!({"provider": "gitlab", "code": "x"})).unwrap_err();
        assert_eq!((e.status(), e.group.as_str(), e.code), (400, "oauth", 0));
        assert_eq!(e.message, "Unsupported OAuth provider.");
        let e = parse(json!({"provider": "GitHub", "code": "x"})).unwrap_err();
        assert_eq!(
            (e.group.as_str(), e.code),
            ("oauth", 0),
            "provider names are case-sensitive"
        );
    }
}
