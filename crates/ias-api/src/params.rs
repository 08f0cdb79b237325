//! Parameters (`in: path`, `in: query`, `in: header`), read by us and judged
//! by the spec's rules before the handler runs.
//!
//! dropshot's `Path<T>`, `Query<T>` and header extractors refuse a value that
//! does not parse with their own `HttpError` (status and text), and `Query`
//! cannot bind a repeated key. [`RawParameters`] instead collects what was
//! sent, never fails itself, and documents the parameters exactly as the spec
//! writes them (so the server's OpenAPI document lists them for conformance).
//! [`RawParameters::into_inner`] then judges them: each problem is one
//! [`ValidationDetail`] of a `400 request/0` naming the parameter as the spec
//! spells it, in the spec's order:
//!
//! | problem | `expression` | `argument` |
//! |---|---|---|
//! | a required parameter is absent | `required` | |
//! | not the parameter's type (`maxAge=abc`) | `type` | `integer`, `number`, `boolean` |
//! | bad percent-encoding, not UTF-8, a header that is not text | `encoding` | |
//! | a query parameter or header sent more than once | `single` | |
//! | a rule broken (`enum`, lengths, bounds, `pattern`) | as for body fields | |
//!
//! `originalValue` is what was sent (decoded), except for a parameter marked
//! `x-ias-secret`.

use std::collections::BTreeMap;
use std::marker::PhantomData;

use async_trait::async_trait;
use dropshot::{
    ApiEndpointBodyContentType, ApiEndpointParameter, ApiEndpointParameterLocation,
    ApiSchemaGenerator, ExtensionMode, ExtractorMetadata, HttpError, RequestContext, ServerContext,
    SharedExtractor,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

use crate::error::{ApiError, OperationWithInput};
use crate::validate::{check, spec_schema, with_article, Field, Invalid, Kind, Presence};
use crate::ValidationDetail;

/// Where a parameter is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A segment of the path (`style: simple`).
    Path,
    /// The query string (`style: form`, `explode: true`).
    Query,
    /// A request header (names compared without regard to case).
    Header,
}

/// How the OpenAPI document shows one parameter (its rules are its [`Field`]).
#[derive(Debug)]
pub struct Parameter {
    /// Where it is sent.
    pub location: Location,
    /// Its `description`.
    pub description: Option<&'static str>,
    /// Its `schema`, as the spec writes it (JSON).
    pub schema: &'static str,
    /// Registers the component schemas `schema` refers to (a `$ref`'d enum).
    pub register: fn(&mut schemars::gen::SchemaGenerator),
}

/// The parameters of one operation (a generated struct).
pub trait Parameters: DeserializeOwned + Send + Sync + 'static {
    /// The rules of each parameter, in the spec's order; each named as the
    /// spec spells it.
    fn fields() -> &'static [Field];
    /// Where each is sent and how it is documented, in the same order.
    fn parameters() -> &'static [Parameter];
}

/// What was sent for one parameter.
#[derive(Debug, Clone, PartialEq)]
enum Sent {
    Absent,
    Text(String),
    /// Sent `n` times where once is allowed.
    Repeated(usize),
    /// Not decodable; why, and what it decodes to at best.
    Malformed(&'static str, String),
}

/// The raw parameters of an operation whose parameters are `P`.
pub struct RawParameters<P> {
    sent: Vec<Sent>,
    _type: PhantomData<fn() -> P>,
}

impl<P: Parameters> RawParameters<P> {
    /// The parameters as `P`, or `400 request/0` with one detail per
    /// parameter that is absent, malformed or breaks its rules (see the
    /// module's table); or the documented error a parameter's
    /// `x-ias-enum-error` names. The generated endpoints call it before the
    /// handler runs.
    pub fn into_inner<Op: OperationWithInput>(self) -> Result<P, ApiError<Op>> {
        let fields = P::fields();
        let mut object = Map::new();
        let mut own: Vec<Option<ValidationDetail>> = vec![None; fields.len()];
        for ((field, sent), own) in fields.iter().zip(self.sent).zip(own.iter_mut()) {
            let name = field.name();
            let shown = |text: String| (!field.is_secret()).then_some(Value::String(text));
            match sent {
                Sent::Absent => {}
                Sent::Text(text) => match parse(field.kind(), &text) {
                    Some(value) => {
                        object.insert(name.to_string(), value);
                    }
                    None => {
                        let expected = field.kind().name();
                        *own = Some(ValidationDetail {
                            field: name.to_string(),
                            expression: "type".to_string(),
                            argument: expected.to_string(),
                            original_value: shown(text),
                            reason: format!("This parameter must be {}.", with_article(expected)),
                        });
                    }
                },
                Sent::Repeated(n) => {
                    *own = Some(ValidationDetail {
                        field: name.to_string(),
                        expression: "single".to_string(),
                        argument: String::new(),
                        original_value: None,
                        reason: format!("This parameter must be sent once; it was sent {n} times."),
                    });
                }
                Sent::Malformed(why, lossy) => {
                    *own = Some(ValidationDetail {
                        field: name.to_string(),
                        expression: "encoding".to_string(),
                        argument: String::new(),
                        original_value: shown(lossy),
                        reason: why.to_string(),
                    });
                }
            }
        }
        let mut checked = match check(&object, fields, false) {
            Ok(()) => Vec::new(),
            Err(Invalid::Fields(details)) => details,
            Err(Invalid::Documented(error)) if own.iter().all(Option::is_none) => {
                let error = Op::documented(error).unwrap_or(Op::INVALID_REQUEST);
                return Err(ApiError::new(error));
            }
            Err(Invalid::Documented(_)) => Vec::new(),
        };
        if own.iter().any(Option::is_some) || !checked.is_empty() {
            // One detail per parameter, in the spec's order: a problem found
            // reading it comes before (and instead of) what the rules say.
            let details = fields
                .iter()
                .zip(own)
                .filter_map(|(field, own)| {
                    let from_rules = checked
                        .iter()
                        .position(|d| d.field == field.name())
                        .map(|i| checked.remove(i));
                    own.or(from_rules)
                })
                .collect();
            return Err(ApiError::invalid_fields(details));
        }
        // The rules admit only what `P` reads; a failure here is a generator
        // bug, still answered as a documented 400.
        serde_json::from_value(Value::Object(object)).map_err(|e| {
            ApiError::invalid_body(format!("The request's parameters could not be read: {e}."))
        })
    }
}

/// A parameter's text as the JSON value its kind reads, if it is one.
fn parse(kind: Kind, text: &str) -> Option<Value> {
    match kind {
        Kind::Integer => text.parse::<i64>().ok().map(Value::from),
        Kind::Number => text
            .parse::<f64>()
            .ok()
            // `NaN`, `inf` and `1e999` parse as f64, but are not JSON numbers.
            .and_then(Number::from_f64)
            .map(Value::Number),
        Kind::Boolean => match text {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        _ => Some(Value::String(text.to_string())),
    }
}

/// A text that could not be decoded: why, and what it decodes to at best.
type Undecodable = (&'static str, String);

/// Decodes one `key` or `value` of a query string (`application/x-www-form-urlencoded`:
/// `+` is a space): the text, or why it is not text and what it is at best.
fn decode_form(raw: &str) -> Result<String, Undecodable> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut broken = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => {
                        broken = true;
                        out.push(b'%');
                    }
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    let lossy = || String::from_utf8_lossy(&out).into_owned();
    if broken {
        return Err((
            "This parameter's percent-encoding is broken: `%` must be followed by two hex digits.",
            lossy(),
        ));
    }
    String::from_utf8(out.clone()).map_err(|_| {
        (
            "This parameter is not UTF-8 text once percent-decoded.",
            lossy(),
        )
    })
}

/// What was sent for each of `fields` in `query`.
fn from_query(query: Option<&str>, fields: &[Field]) -> Vec<Sent> {
    let pairs: Vec<(String, Result<String, Undecodable>)> = query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = decode_form(key).unwrap_or_else(|(_, lossy)| lossy);
            (key, decode_form(value))
        })
        .collect();
    fields
        .iter()
        .map(|field| {
            let mut values = pairs.iter().filter(|(k, _)| k == field.name());
            match (values.next(), values.count()) {
                (None, _) => Sent::Absent,
                (Some((_, Ok(text))), 0) => Sent::Text(text.clone()),
                (Some((_, Err((why, lossy)))), 0) => Sent::Malformed(why, lossy.clone()),
                (Some(_), more) => Sent::Repeated(more + 1),
            }
        })
        .collect()
}

/// What was sent for a header parameter.
fn from_headers(headers: &http::HeaderMap, name: &str) -> Sent {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.count()) {
        (None, _) => Sent::Absent,
        (Some(value), 0) => match value.to_str() {
            Ok(text) => Sent::Text(text.to_string()),
            Err(_) => Sent::Malformed(
                "This header must be visible ASCII text.",
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            ),
        },
        (Some(_), more) => Sent::Repeated(more + 1),
    }
}

#[async_trait]
impl<P: Parameters> SharedExtractor for RawParameters<P> {
    async fn from_request<Context: ServerContext>(
        rqctx: &RequestContext<Context>,
    ) -> Result<Self, HttpError> {
        let fields = P::fields();
        let query = from_query(rqctx.request.uri().query(), fields);
        // dropshot's router has matched and percent-decoded the path's
        // segments; its `Path` reads them as strings, which cannot fail.
        let path = if P::parameters().iter().any(|p| p.location == Location::Path) {
            <dropshot::Path<BTreeMap<String, String>> as SharedExtractor>::from_request(rqctx)
                .await
                .map(dropshot::Path::into_inner)
                .unwrap_or_default()
        } else {
            BTreeMap::new()
        };
        let sent = fields
            .iter()
            .zip(P::parameters())
            .zip(query)
            .map(|((field, parameter), query)| match parameter.location {
                Location::Query => query,
                Location::Header => from_headers(rqctx.request.headers(), field.name()),
                Location::Path => match path.get(field.name()) {
                    Some(text) => Sent::Text(text.clone()),
                    None => Sent::Absent,
                },
            })
            .collect();
        Ok(RawParameters {
            sent,
            _type: PhantomData,
        })
    }

    fn metadata(_: ApiEndpointBodyContentType) -> ExtractorMetadata {
        let parameters = P::fields()
            .iter()
            .zip(P::parameters())
            .map(|(field, parameter)| {
                let location = match parameter.location {
                    Location::Path => ApiEndpointParameterLocation::Path,
                    Location::Query => ApiEndpointParameterLocation::Query,
                    Location::Header => ApiEndpointParameterLocation::Header,
                };
                let mut generator =
                    schemars::gen::SchemaGenerator::new(schemars::gen::SchemaSettings::openapi3());
                (parameter.register)(&mut generator);
                ApiEndpointParameter::new_named(
                    &location,
                    field.name().to_string(),
                    parameter.description.map(str::to_string),
                    field.presence_of() != Presence::Optional,
                    ApiSchemaGenerator::Static {
                        schema: Box::new(spec_schema(parameter.schema)),
                        dependencies: generator.take_definitions().into_iter().collect(),
                    },
                    Vec::new(),
                )
            })
            .collect();
        ExtractorMetadata {
            extension_mode: ExtensionMode::None,
            parameters,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_form_decoded_strictly() {
        assert_eq!(decode_form("a+b%20c").unwrap(), "a b c");
        assert_eq!(decode_form("%C3%A9").unwrap(), "é");
        assert_eq!(decode_form("").unwrap(), "");
        for (raw, lossy) in [("%zz", "%zz"), ("ab%2", "ab%2"), ("%", "%")] {
            let (why, shown) = decode_form(raw).unwrap_err();
            assert!(why.contains("percent-encoding is broken"), "{raw}");
            assert_eq!(shown, lossy);
        }
        let (why, shown) = decode_form("%FFx").unwrap_err();
        assert!(why.contains("not UTF-8"));
        assert_eq!(shown, "\u{FFFD}x");
    }

    static FIELDS: [Field; 3] = [
        Field::new("limit", Kind::Integer),
        Field::new("q", Kind::String),
        Field::new("on", Kind::Boolean),
    ];

    #[test]
    fn each_parameter_is_found_once_or_said_to_be_repeated() {
        let sent = from_query(Some("limit=5&x=1&q=a&q=b&&on"), &FIELDS);
        assert_eq!(
            sent,
            [
                Sent::Text("5".into()),
                Sent::Repeated(2),
                Sent::Text(String::new()),
            ]
        );
        assert_eq!(
            from_query(None, &FIELDS),
            [Sent::Absent, Sent::Absent, Sent::Absent]
        );
        // The key is decoded too: `%6Cimit` is `limit`.
        assert_eq!(from_query(Some("%6Cimit=%zz"), &FIELDS)[0], {
            Sent::Malformed(decode_form("%zz").unwrap_err().0, "%zz".into())
        });
    }

    #[test]
    fn texts_parse_as_their_kind() {
        use serde_json::json;
        let cases = [
            (Kind::Integer, "42", Some(json!(42))),
            (Kind::Integer, "-7", Some(json!(-7))),
            (Kind::Integer, "4.0", None),
            (Kind::Integer, "abc", None),
            (Kind::Integer, "", None),
            (Kind::Integer, "99999999999999999999", None),
            (Kind::Number, "0.5", Some(json!(0.5))),
            (Kind::Number, "NaN", None),
            (Kind::Number, "inf", None),
            (Kind::Number, "1e999", None),
            (Kind::Boolean, "true", Some(json!(true))),
            (Kind::Boolean, "false", Some(json!(false))),
            (Kind::Boolean, "1", None),
            (Kind::Boolean, "True", None),
            (Kind::String, "", Some(json!(""))),
        ];
        for (kind, text, expected) in cases {
            assert_eq!(parse(kind, text), expected, "{kind:?} {text:?}");
        }
    }

    #[test]
    fn headers_are_read_once_as_text() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(from_headers(&headers, "x-tenant"), Sent::Absent);
        headers.insert("x-tenant", http::HeaderValue::from_static("acme"));
        assert_eq!(
            from_headers(&headers, "X-Tenant"),
            Sent::Text("acme".into())
        );
        headers.append("x-tenant", http::HeaderValue::from_static("other"));
        assert_eq!(from_headers(&headers, "x-tenant"), Sent::Repeated(2));
        headers.insert(
            "x-bytes",
            http::HeaderValue::from_bytes(b"\xe9t\xe9").unwrap(),
        );
        assert!(matches!(
            from_headers(&headers, "x-bytes"),
            Sent::Malformed(why, _) if why.contains("visible ASCII")
        ));
    }
}
