//! The request rules, applied. The generated code describes each property of
//! a request type as a [`Field`] (from the spec's `required`, gin's
//! `binding: required`, `nullable`, `type`, `enum`, `minLength`/`maxLength`,
//! `pattern`, `minimum`/`maximum` and their exclusive forms, `multipleOf`,
//! `minItems`/`maxItems`/`uniqueItems`; an array's items have a `Field` of
//! their own, an object's `additionalProperties: false` makes it closed, a
//! `oneOf` with a discriminator is a [`Union`]); [`check_request`] judges a
//! JSON object against them.
//!
//! Every problem is one [`ValidationDetail`] of a `400 request/0`, one per
//! property (its first problem), in the spec's property order, then a
//! closed object's unknown properties; an array's items and an object's
//! properties are named by their path (`parts[1].sku`). A value outside an
//! `enum` whose property names a documented error (`x-ias-enum-error`) is
//! answered with that error instead, once no property has a problem.
//!
//! `originalValue` holds what was sent, except for a property (or array
//! item) marked `x-ias-secret`, and an unknown property, whose values are
//! never echoed.

use std::sync::OnceLock;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::{ErrorCode, ValidationDetail};

/// A request type with generated rules.
pub trait Validate: DeserializeOwned {
    /// The rules of its properties, in the spec's order.
    fn fields() -> &'static [Field];
    /// `additionalProperties: false`: a property the schema does not list is
    /// refused.
    const CLOSED: bool = false;
    /// A `oneOf` with a discriminator: the variant the property names is
    /// judged by its own rules (`fields` is then empty).
    const UNION: Option<&'static Union> = None;
}

/// A `oneOf` of object schemas told apart by a discriminator property.
#[derive(Debug)]
pub struct Union {
    /// The discriminator's `propertyName`.
    pub property: &'static str,
    /// Each mapped value, and its variant's rules and closedness.
    pub variants: &'static [(&'static str, &'static [Field], bool)],
}

/// Judges a request object of type `T` (an object, or a union).
pub fn check_request<T: Validate>(object: &Map<String, Value>) -> Result<(), Invalid> {
    match T::UNION {
        Some(union) => {
            let mut details = Vec::new();
            let mut documented = None;
            check_union(object, union, "", &mut details, &mut documented);
            verdict(details, documented)
        }
        None => check(object, T::fields(), T::CLOSED),
    }
}

fn verdict(details: Vec<ValidationDetail>, documented: Option<ErrorCode>) -> Result<(), Invalid> {
    match (details.is_empty(), documented) {
        (false, _) => Err(Invalid::Fields(details)),
        (true, Some(error)) => Err(Invalid::Documented(error)),
        (true, None) => Ok(()),
    }
}

/// The variant the discriminator names, judged; or the discriminator's
/// problem (absent, not a string, a value no variant maps).
fn check_union(
    object: &Map<String, Value>,
    union: &'static Union,
    prefix: &str,
    details: &mut Vec<ValidationDetail>,
    documented: &mut Option<ErrorCode>,
) {
    let path = format!("{prefix}{}", union.property);
    match object.get(union.property) {
        None | Some(Value::Null) => details.push(ValidationDetail::required(&path)),
        Some(Value::String(tag)) => match union.variants.iter().find(|(v, _, _)| v == tag) {
            Some((_, fields, closed)) => {
                check_object(object, fields, *closed, prefix, details, documented)
            }
            None => {
                let values: Vec<&str> = union.variants.iter().map(|(v, _, _)| *v).collect();
                details.push(not_one_of(&path, &values, Some(Value::String(tag.clone()))));
            }
        },
        Some(other) => details.push(ValidationDetail::wrong_type(&path, "string", other.clone())),
    }
}

/// When a property must be there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// May be absent (or `null`, which counts as absent).
    Optional,
    /// Listed in the schema's `required`: absent or `null` is "required".
    Present,
    /// gin's `binding: required`: absent, `null` or the zero value (`""`,
    /// `0`, `false`) is "required".
    NonZero,
}

/// The JSON type a property must have.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `type: string`.
    String,
    /// `type: integer`.
    Integer,
    /// `type: number`.
    Number,
    /// `type: boolean`.
    Boolean,
    /// `type: array`, each item judged by its own rules (named `field[i]`).
    Array(&'static Field),
    /// An object with rules of its own (a `$ref` to an object schema).
    Object(&'static [Field]),
    /// The same, with `additionalProperties: false`.
    ClosedObject(&'static [Field]),
    /// A `oneOf` with a discriminator.
    OneOf(&'static Union),
    /// No `type`: any JSON value.
    Any,
}

impl Kind {
    /// Its JSON type's name, for messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Integer => "integer",
            Kind::Number => "number",
            Kind::Boolean => "boolean",
            Kind::Array(_) => "array",
            Kind::Object(_) | Kind::ClosedObject(_) | Kind::OneOf(_) => "object",
            Kind::Any => "value",
        }
    }

    fn admits(self, value: &Value) -> bool {
        match (self, value) {
            (Kind::String, Value::String(_))
            | (Kind::Number, Value::Number(_))
            | (Kind::Boolean, Value::Bool(_))
            | (Kind::Array(_), Value::Array(_))
            | (Kind::Object(_) | Kind::ClosedObject(_) | Kind::OneOf(_), Value::Object(_))
            | (Kind::Any, _) => true,
            (Kind::Integer, Value::Number(n)) => n.is_i64() || n.is_u64(),
            _ => false,
        }
    }
}

/// A `pattern`, compiled the first time it is used.
#[derive(Debug)]
pub struct Pattern {
    source: &'static str,
    compiled: OnceLock<regex::Regex>,
}

impl Pattern {
    /// A pattern from the spec (the generator has checked that it compiles).
    pub const fn new(source: &'static str) -> Self {
        Pattern {
            source,
            compiled: OnceLock::new(),
        }
    }

    fn is_match(&self, text: &str) -> bool {
        self.compiled
            .get_or_init(|| regex::Regex::new(self.source).expect("checked by the generator"))
            .is_match(text)
    }
}

/// The rules of one property, built by the generated code.
#[derive(Debug)]
pub struct Field {
    name: &'static str,
    kind: Kind,
    presence: Presence,
    secret: bool,
    values: &'static [&'static str],
    enum_error: Option<ErrorCode>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    pattern: Option<&'static Pattern>,
    exclusive_minimum: bool,
    exclusive_maximum: bool,
    min_items: Option<u64>,
    max_items: Option<u64>,
    unique_items: bool,
    multiple_of: Option<f64>,
    nullable: bool,
}

#[allow(missing_docs)] // each sets the rule it is named after
impl Field {
    pub const fn new(name: &'static str, kind: Kind) -> Self {
        Field {
            name,
            kind,
            presence: Presence::Optional,
            secret: false,
            values: &[],
            enum_error: None,
            min_length: None,
            max_length: None,
            minimum: None,
            maximum: None,
            pattern: None,
            exclusive_minimum: false,
            exclusive_maximum: false,
            min_items: None,
            max_items: None,
            unique_items: false,
            multiple_of: None,
            nullable: false,
        }
    }
    pub const fn presence(mut self, presence: Presence) -> Self {
        self.presence = presence;
        self
    }
    pub const fn secret(mut self) -> Self {
        self.secret = true;
        self
    }
    pub const fn one_of(mut self, values: &'static [&'static str]) -> Self {
        self.values = values;
        self
    }
    pub const fn enum_error(mut self, error: ErrorCode) -> Self {
        self.enum_error = Some(error);
        self
    }
    pub const fn min_length(mut self, n: u64) -> Self {
        self.min_length = Some(n);
        self
    }
    pub const fn max_length(mut self, n: u64) -> Self {
        self.max_length = Some(n);
        self
    }
    pub const fn minimum(mut self, n: f64) -> Self {
        self.minimum = Some(n);
        self
    }
    pub const fn maximum(mut self, n: f64) -> Self {
        self.maximum = Some(n);
        self
    }
    pub const fn pattern(mut self, pattern: &'static Pattern) -> Self {
        self.pattern = Some(pattern);
        self
    }
    pub const fn nullable(mut self) -> Self {
        self.nullable = true;
        self
    }
    pub const fn exclusive_minimum(mut self) -> Self {
        self.exclusive_minimum = true;
        self
    }
    pub const fn exclusive_maximum(mut self) -> Self {
        self.exclusive_maximum = true;
        self
    }
    pub const fn min_items(mut self, n: u64) -> Self {
        self.min_items = Some(n);
        self
    }
    pub const fn max_items(mut self, n: u64) -> Self {
        self.max_items = Some(n);
        self
    }
    pub const fn unique_items(mut self) -> Self {
        self.unique_items = true;
        self
    }
    pub const fn multiple_of(mut self, n: f64) -> Self {
        self.multiple_of = Some(n);
        self
    }
}

impl Field {
    /// Its name, as the spec spells it.
    pub fn name(&self) -> &'static str {
        self.name
    }
    pub(crate) fn kind(&self) -> Kind {
        self.kind
    }
    pub(crate) fn presence_of(&self) -> Presence {
        self.presence
    }
    pub(crate) fn is_secret(&self) -> bool {
        self.secret
    }
}

/// Why a request object was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Invalid {
    /// `400 request/0` with these details.
    Fields(Vec<ValidationDetail>),
    /// A documented error named by the spec for a value outside an `enum`.
    Documented(ErrorCode),
}

/// Judges `object` by `fields` (and, when `closed`, refuses a property they
/// do not list).
pub fn check(
    object: &Map<String, Value>,
    fields: &'static [Field],
    closed: bool,
) -> Result<(), Invalid> {
    let mut details = Vec::new();
    let mut documented = None;
    check_object(object, fields, closed, "", &mut details, &mut documented);
    verdict(details, documented)
}

fn check_object(
    object: &Map<String, Value>,
    fields: &'static [Field],
    closed: bool,
    prefix: &str,
    details: &mut Vec<ValidationDetail>,
    documented: &mut Option<ErrorCode>,
) {
    for field in fields {
        let path = format!("{prefix}{}", field.name);
        if let Some(problem) =
            check_field(object.get(field.name), field, &path, details, documented)
        {
            details.push(problem);
        }
    }
    if closed {
        // In the order sent; the value is not echoed (it may be a credential
        // sent under the wrong name).
        for name in object
            .keys()
            .filter(|k| !fields.iter().any(|f| f.name == *k))
        {
            details.push(ValidationDetail {
                field: format!("{prefix}{name}"),
                expression: "unknown".to_string(),
                argument: String::new(),
                original_value: None,
                reason: "This field is not part of the request; remove it.".to_string(),
            });
        }
    }
}

/// The first problem of one property (nested problems go to `details`).
fn check_field(
    value: Option<&Value>,
    field: &Field,
    path: &str,
    details: &mut Vec<ValidationDetail>,
    documented: &mut Option<ErrorCode>,
) -> Option<ValidationDetail> {
    let value = match value {
        // `nullable`: null is a value, which no rule applies to.
        Some(Value::Null) if field.nullable => return None,
        None | Some(Value::Null) if field.presence == Presence::Optional => return None,
        None | Some(Value::Null) => return Some(ValidationDetail::required(path)),
        Some(value) => value,
    };
    if field.presence == Presence::NonZero && is_zero(value) {
        return Some(ValidationDetail::required(path));
    }
    if !field.kind.admits(value) {
        let mut detail = ValidationDetail::wrong_type(path, field.kind.name(), value.clone());
        // A secret sent as the wrong type (a number, a boolean, an array...)
        // is still a secret: never echoed.
        if field.secret {
            detail.original_value = None;
        }
        return Some(detail);
    }
    let sent = || (!field.secret).then(|| value.clone());
    let violation = |expression: &str, argument: String, reason: String| ValidationDetail {
        field: path.to_string(),
        expression: expression.to_string(),
        argument,
        original_value: sent(),
        reason,
    };
    if let Value::String(text) = value {
        if !field.values.is_empty() && !field.values.contains(&text.as_str()) {
            match field.enum_error {
                Some(error) => {
                    documented.get_or_insert(error);
                }
                None => return Some(not_one_of(path, field.values, sent())),
            }
        }
        let length = text.chars().count() as u64;
        if let Some(n) = field.min_length.filter(|n| length < *n) {
            return Some(violation(
                "min",
                n.to_string(),
                format!("This field must be at least {n} characters long."),
            ));
        }
        if let Some(n) = field.max_length.filter(|n| length > *n) {
            return Some(violation(
                "max",
                n.to_string(),
                format!("This field must be at most {n} characters long."),
            ));
        }
        if let Some(pattern) = field.pattern.filter(|p| !p.is_match(text)) {
            return Some(violation(
                "pattern",
                pattern.source.to_string(),
                format!("This field must match the pattern {}.", pattern.source),
            ));
        }
    }
    if let Some(n) = value.as_f64() {
        if let Some(min) = field.minimum {
            if field.exclusive_minimum && n <= min {
                return Some(violation(
                    "gt",
                    min.to_string(),
                    format!("This field must be greater than {min}."),
                ));
            }
            if n < min {
                return Some(violation(
                    "min",
                    min.to_string(),
                    format!("This field must be at least {min}."),
                ));
            }
        }
        if let Some(max) = field.maximum {
            if field.exclusive_maximum && n >= max {
                return Some(violation(
                    "lt",
                    max.to_string(),
                    format!("This field must be less than {max}."),
                ));
            }
            if n > max {
                return Some(violation(
                    "max",
                    max.to_string(),
                    format!("This field must be at most {max}."),
                ));
            }
        }
        // An integer past int64 (`format: int64`, and the default) is out of
        // range, not of another type.
        if matches!(field.kind, Kind::Integer) && value.as_i64().is_none() {
            return Some(violation(
                "max",
                i64::MAX.to_string(),
                format!("This field must be at most {}.", i64::MAX),
            ));
        }
        if let Some(m) = field.multiple_of.filter(|m| !is_multiple(value, n, *m)) {
            return Some(violation(
                "multipleof",
                m.to_string(),
                format!("This field must be a multiple of {m}."),
            ));
        }
    }
    if let Value::Array(items) = value {
        let n = items.len() as u64;
        if let Some(min) = field.min_items.filter(|min| n < *min) {
            return Some(violation(
                "min",
                min.to_string(),
                format!("This field must have at least {min} items."),
            ));
        }
        if let Some(max) = field.max_items.filter(|max| n > *max) {
            return Some(violation(
                "max",
                max.to_string(),
                format!("This field must have at most {max} items."),
            ));
        }
        if field.unique_items {
            let repeated = (1..items.len()).find_map(|i| {
                items[..i]
                    .iter()
                    .position(|earlier| *earlier == items[i])
                    .map(|j| (i, j))
            });
            if let Some((i, j)) = repeated {
                let secret = matches!(field.kind, Kind::Array(item) if item.secret);
                return Some(ValidationDetail {
                    field: format!("{path}[{i}]"),
                    expression: "unique".to_string(),
                    argument: String::new(),
                    original_value: (!secret).then(|| items[i].clone()),
                    reason: format!("This field's items must differ; item {i} repeats item {j}."),
                });
            }
        }
    }
    check_nested(value, field.kind, path, details, documented);
    None
}

/// Whether `value` (`n` as a float) is a multiple of `m`: exactly for
/// integers, to a relative 1e-9 for other numbers.
fn is_multiple(value: &Value, n: f64, m: f64) -> bool {
    if m == 0.0 {
        return true;
    }
    match (value.as_i64(), m.fract() == 0.0 && m.abs() < 9e15) {
        (Some(i), true) => i % (m as i64) == 0,
        _ => {
            let q = n / m;
            (q - q.round()).abs() <= 1e-9 * q.abs().max(1.0)
        }
    }
}

/// A value outside an `enum`.
fn not_one_of(path: &str, values: &[&str], sent: Option<Value>) -> ValidationDetail {
    ValidationDetail {
        field: path.to_string(),
        expression: "oneof".to_string(),
        argument: values.join(" "),
        original_value: sent,
        reason: format!("This field must be one of: {}.", values.join(", ")),
    }
}

/// Objects' properties and arrays' items (each problem its own detail).
fn check_nested(
    value: &Value,
    kind: Kind,
    path: &str,
    details: &mut Vec<ValidationDetail>,
    documented: &mut Option<ErrorCode>,
) {
    match (kind, value) {
        (Kind::Object(fields), Value::Object(object)) => {
            check_object(
                object,
                fields,
                false,
                &format!("{path}."),
                details,
                documented,
            );
        }
        (Kind::ClosedObject(fields), Value::Object(object)) => {
            check_object(
                object,
                fields,
                true,
                &format!("{path}."),
                details,
                documented,
            );
        }
        (Kind::OneOf(union), Value::Object(object)) => {
            check_union(object, union, &format!("{path}."), details, documented);
        }
        (Kind::Array(item), Value::Array(items)) => {
            for (i, v) in items.iter().enumerate() {
                let at = format!("{path}[{i}]");
                if let Some(problem) = check_field(Some(v), item, &at, details, documented) {
                    details.push(problem);
                }
            }
        }
        _ => {}
    }
}

fn is_zero(value: &Value) -> bool {
    match value {
        Value::String(s) => s.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Bool(b) => !b,
        _ => false,
    }
}

impl ValidationDetail {
    /// `field` is missing, `null` or (gin's `binding: required`) the zero
    /// value, reported exactly as the spec's example does.
    pub fn required(field: &str) -> Self {
        ValidationDetail {
            field: field.to_string(),
            expression: "required".to_string(),
            argument: String::new(),
            original_value: Some(Value::String(String::new())),
            reason: "This field is required.".to_string(),
        }
    }

    /// `field` holds a JSON value of another type than `expected`.
    pub fn wrong_type(field: &str, expected: &str, sent: Value) -> Self {
        ValidationDetail {
            field: field.to_string(),
            expression: "type".to_string(),
            argument: expected.to_string(),
            reason: format!(
                "This field must be {}, not {}.",
                with_article(expected),
                json_type(&sent)
            ),
            original_value: Some(sent),
        }
    }
}

/// serde for an optional `nullable` property, `Option<Option<T>>`: absent
/// is `None`, `null` is `Some(None)`, a value `Some(Some(v))` (serde alone
/// would read `null` as absent). Used with `#[serde(default,
/// skip_serializing_if = "Option::is_none", with = "...")]`.
pub mod nullable {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// `Some(inner)` is written as `inner` (`null` or the value).
    pub fn serialize<T: Serialize, S: Serializer>(
        value: &Option<Option<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }

    /// A present property: `null` or a value.
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

/// `a string`, `an integer`: a type's name with its article, for messages.
pub(crate) fn with_article(noun: &str) -> String {
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {noun}")
}

/// The JSON type name of a value, for messages.
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A schema of the spec, embedded by the generator as JSON text, as schemars'
/// type (dropshot turns it back into OpenAPI for the server's document).
pub fn spec_schema(json: &str) -> schemars::schema::Schema {
    serde_json::from_str(json).expect("the generator embeds a valid schema")
}

// The contract's own operations are named here: not in ias-api-fixture,
// which compiles this file against its own generated code.
#[cfg(all(test, not(ias_api_fixture)))]
mod tests {
    use super::*;
    use serde_json::json;

    static PATTERN: Pattern = Pattern::new("^[a-z]+$");
    static INNER: [Field; 1] = [Field::new("n", Kind::Integer).presence(Presence::Present)];
    static BOOLEAN: Field = Field::new("", Kind::Boolean).presence(Presence::Present);
    static STATE: Field = Field::new("", Kind::String)
        .presence(Presence::Present)
        .one_of(&["on", "off"]);
    static SHORT_SECRET: Field = Field::new("", Kind::String)
        .presence(Presence::Present)
        .secret()
        .max_length(3);
    /// Rules of every kind, independent of the spec's own types.
    static FIELDS: [Field; 17] = [
        Field::new("name", Kind::String).presence(Presence::NonZero),
        Field::new("id", Kind::String)
            .presence(Presence::Present)
            .min_length(3)
            .max_length(5),
        Field::new("word", Kind::String).pattern(&PATTERN),
        Field::new("color", Kind::String).one_of(&["red", "blue"]),
        Field::new("size", Kind::Integer).minimum(1.0).maximum(10.0),
        Field::new("ratio", Kind::Number).maximum(0.5),
        Field::new("secret", Kind::String).secret().min_length(4),
        Field::new("inner", Kind::Object(&INNER)),
        Field::new("list", Kind::Array(&BOOLEAN)),
        Field::new("states", Kind::Array(&STATE))
            .min_items(1)
            .max_items(3)
            .unique_items(),
        Field::new("keys", Kind::Array(&SHORT_SECRET)).unique_items(),
        Field::new("step", Kind::Number)
            .multiple_of(0.5)
            .minimum(0.0)
            .exclusive_minimum()
            .maximum(2.0)
            .exclusive_maximum(),
        Field::new("count", Kind::Integer).multiple_of(3.0),
        Field::new("cents", Kind::Number).multiple_of(0.01),
        Field::new("nickels", Kind::Number).multiple_of(0.05),
        Field::new("closed", Kind::ClosedObject(&INNER)),
        Field::new("note", Kind::String).nullable().max_length(5),
    ];

    fn details(object: Value) -> Vec<(String, String, String, Option<Value>, String)> {
        let Value::Object(object) = object else {
            panic!("fixture must be an object")
        };
        match check(&object, &FIELDS, false) {
            Ok(()) => Vec::new(),
            Err(Invalid::Fields(d)) => d
                .into_iter()
                .map(|d| {
                    (
                        d.field,
                        d.expression,
                        d.argument,
                        d.original_value,
                        d.reason,
                    )
                })
                .collect(),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    fn one(
        field: &str,
        expression: &str,
        argument: &str,
        sent: Option<Value>,
        reason: &str,
    ) -> Vec<(String, String, String, Option<Value>, String)> {
        vec![(
            field.into(),
            expression.into(),
            argument.into(),
            sent,
            reason.into(),
        )]
    }

    #[test]
    fn each_rule_gives_its_detail() {
        let base = json!({"name": "n", "id": "abcd"});
        let with = |k: &str, v: Value| {
            let mut o = base.clone();
            o[k] = v;
            o
        };
        let required = |f: &str| {
            one(
                f,
                "required",
                "",
                Some(json!("")),
                "This field is required.",
            )
        };
        #[rustfmt::skip]
        let cases: Vec<(Value, Vec<_>)> = vec![
            (base.clone(), vec![]),
            (json!({"id": "abcd"}), required("name")),
            (with("name", Value::Null), required("name")),
            (with("name", json!("")), required("name")),
            (json!({"name": "n"}), required("id")),
            (with("id", Value::Null), required("id")),
            // `required` alone: present is enough, "" is then judged by the other rules
            (
                with("id", json!("")),
                one(
                    "id",
                    "min",
                    "3",
                    Some(json!("")),
                    "This field must be at least 3 characters long.",
                ),
            ),
            (
                with("id", json!("ab")),
                one(
                    "id",
                    "min",
                    "3",
                    Some(json!("ab")),
                    "This field must be at least 3 characters long.",
                ),
            ),
            (with("id", json!("abc")), vec![]),
            (with("id", json!("abcde")), vec![]),
            (with("id", json!("ééééé")), vec![]),
            (
                with("id", json!("abcdef")),
                one(
                    "id",
                    "max",
                    "5",
                    Some(json!("abcdef")),
                    "This field must be at most 5 characters long.",
                ),
            ),
            (
                with("id", json!(7)),
                one(
                    "id",
                    "type",
                    "string",
                    Some(json!(7)),
                    "This field must be a string, not number.",
                ),
            ),
            (
                with("word", json!("Abc")),
                one(
                    "word",
                    "pattern",
                    "^[a-z]+$",
                    Some(json!("Abc")),
                    "This field must match the pattern ^[a-z]+$.",
                ),
            ),
            (with("word", json!("abc")), vec![]),
            (
                with("color", json!("green")),
                one(
                    "color",
                    "oneof",
                    "red blue",
                    Some(json!("green")),
                    "This field must be one of: red, blue.",
                ),
            ),
            (with("color", json!("blue")), vec![]),
            (
                with("size", json!(0)),
                one(
                    "size",
                    "min",
                    "1",
                    Some(json!(0)),
                    "This field must be at least 1.",
                ),
            ),
            (with("size", json!(1)), vec![]),
            (with("size", json!(10)), vec![]),
            (
                with("size", json!(11)),
                one(
                    "size",
                    "max",
                    "10",
                    Some(json!(11)),
                    "This field must be at most 10.",
                ),
            ),
            (
                with("size", json!(1.5)),
                one(
                    "size",
                    "type",
                    "integer",
                    Some(json!(1.5)),
                    "This field must be an integer, not number.",
                ),
            ),
            // an integer past i64 is still an integer
            (with("size", json!(u64::MAX)), one("size", "max", "10", Some(json!(u64::MAX)), "This field must be at most 10.")),
            (with("size", json!(-1)), one("size", "min", "1", Some(json!(-1)), "This field must be at least 1.")),
            // a wrong type is echoed, unless the field is a secret
            (with("word", json!(["a"])), one("word", "type", "string", Some(json!(["a"])), "This field must be a string, not array.")),
            (
                with("ratio", json!(0.75)),
                one(
                    "ratio",
                    "max",
                    "0.5",
                    Some(json!(0.75)),
                    "This field must be at most 0.5.",
                ),
            ),
            (with("ratio", json!(0.5)), vec![]),
            // a secret's value is never echoed
            (
                with("secret", json!("abc")),
                one(
                    "secret",
                    "min",
                    "4",
                    None,
                    "This field must be at least 4 characters long.",
                ),
            ),
            (with("secret", json!(4242424242u64)), one("secret", "type", "string", None, "This field must be a string, not number.")),
            (with("secret", json!(true)), one("secret", "type", "string", None, "This field must be a string, not boolean.")),
            (with("secret", json!({"v": "abcd"})), one("secret", "type", "string", None, "This field must be a string, not object.")),
            (
                with("secret", json!(["abcd"])),
                one(
                    "secret",
                    "type",
                    "string",
                    None,
                    "This field must be a string, not array.",
                ),
            ),
            (with("inner", json!({})), required("inner.n")),
            (
                with("inner", json!({"n": "x"})),
                one(
                    "inner.n",
                    "type",
                    "integer",
                    Some(json!("x")),
                    "This field must be an integer, not string.",
                ),
            ),
            (
                with("list", json!([true, 1])),
                one(
                    "list[1]",
                    "type",
                    "boolean",
                    Some(json!(1)),
                    "This field must be a boolean, not number.",
                ),
            ),
            (with("states", json!(["on", "off"])), vec![]),
            (with("states", json!(["on", "dim"])), one("states[1]", "oneof", "on off", Some(json!("dim")), "This field must be one of: on, off.")),
            (with("states", json!([1])), one("states[0]", "type", "string", Some(json!(1)), "This field must be a string, not number.")),
            (with("states", json!([null])), one("states[0]", "required", "", Some(json!("")), "This field is required.")),
            (with("states", json!([])), one("states", "min", "1", Some(json!([])), "This field must have at least 1 items.")),
            (with("states", json!(["on", "off", "on", "off"])), one("states", "max", "3", Some(json!(["on", "off", "on", "off"])), "This field must have at most 3 items.")),
            (with("states", json!(["on", "off", "on"])), one("states[2]", "unique", "", Some(json!("on")), "This field's items must differ; item 2 repeats item 0.")),
            // a secret's items: never echoed, a repeat or a rule
            (with("keys", json!(["abc", "abc"])), one("keys[1]", "unique", "", None, "This field's items must differ; item 1 repeats item 0.")),
            (with("keys", json!(["abc", "abcd"])), one("keys[1]", "max", "3", None, "This field must be at most 3 characters long.")),
            (with("step", json!(1.5)), vec![]),
            (with("step", json!(1)), vec![]), // an integer, a multiple of 0.5
            (with("step", json!(0)), one("step", "gt", "0", Some(json!(0)), "This field must be greater than 0.")),
            (with("step", json!(-1)), one("step", "gt", "0", Some(json!(-1)), "This field must be greater than 0.")),
            (with("step", json!(2.0)), one("step", "lt", "2", Some(json!(2.0)), "This field must be less than 2.")),
            (with("step", json!(0.7)), one("step", "multipleof", "0.5", Some(json!(0.7)), "This field must be a multiple of 0.5.")),
            (with("count", json!(-9)), vec![]),
            (with("count", json!(10)), one("count", "multipleof", "3", Some(json!(10)), "This field must be a multiple of 3.")),
            // Integers exactly (2^53 + 1 is a multiple of 3; as a float it is not)...
            (with("count", json!(9_007_199_254_740_993_i64)), vec![]),
            (with("count", json!(9_007_199_254_740_994_i64)), one("count", "multipleof", "3", Some(json!(9_007_199_254_740_994_i64)), "This field must be a multiple of 3.")),
            // ... other numbers to a tolerance relative to the quotient.
            (with("cents", json!(76543.21)), vec![]),
            (with("cents", json!(0.005)), one("cents", "multipleof", "0.01", Some(json!(0.005)), "This field must be a multiple of 0.01.")),
            (with("nickels", json!(0.35)), vec![]),
            (with("size", json!(9_223_372_036_854_775_808_u64)), one("size", "max", "10", Some(json!(9_223_372_036_854_775_808_u64)), "This field must be at most 10.")),
            (with("count", json!(18_446_744_073_709_551_615_u64)), one("count", "max", "9223372036854775807", Some(json!(18_446_744_073_709_551_615_u64)), "This field must be at most 9223372036854775807.")),
            (with("closed", json!({"n": 1})), vec![]),
            (with("closed", json!({"n": 1, "extra": "gho_x"})), one("closed.extra", "unknown", "", None, "This field is not part of the request; remove it.")),
            (with("inner", json!({"n": 1, "extra": 1})), vec![]),
            (with("note", Value::Null), vec![]),
            (with("note", json!("short")), vec![]),
            (with("note", json!("too long")), one("note", "max", "5", Some(json!("too long")), "This field must be at most 5 characters long.")),
            // optional and absent, or null: no problem
            (with("word", Value::Null), vec![]),
        ];
        for (input, expected) in cases {
            assert_eq!(details(input.clone()), expected, "for {input}");
        }
    }

    /// gin's `binding: required`: the zero value of every type is missing.
    #[test]
    fn the_zero_value_is_required_under_binding() {
        static RULES: [Field; 3] = [
            Field::new("s", Kind::String).presence(Presence::NonZero),
            Field::new("n", Kind::Number).presence(Presence::NonZero),
            Field::new("b", Kind::Boolean).presence(Presence::NonZero),
        ];
        let check = |v: Value| match check(v.as_object().unwrap(), &RULES, false) {
            Ok(()) => Vec::new(),
            Err(Invalid::Fields(d)) => d.into_iter().map(|d| (d.field, d.expression)).collect(),
            Err(other) => panic!("{other:?}"),
        };
        let required = |f: &[&str]| {
            f.iter()
                .map(|f| (f.to_string(), "required".to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            check(json!({"s": "", "n": 0, "b": false})),
            required(&["s", "n", "b"])
        );
        assert_eq!(
            check(json!({"s": "x", "n": 0.0, "b": true})),
            required(&["n"])
        );
        assert_eq!(check(json!({"s": "x", "n": -2, "b": true})), required(&[]));
    }

    /// A required `nullable` property: `null` is a value, absence is not.
    #[test]
    fn a_required_nullable_property_takes_null_not_absence() {
        static RULES: [Field; 1] = [Field::new("n", Kind::Integer)
            .presence(Presence::Present)
            .nullable()
            .minimum(1.0)];
        let check = |v: Value| check(v.as_object().unwrap(), &RULES, false);
        assert_eq!(check(json!({"n": null})), Ok(()));
        assert_eq!(check(json!({"n": 2})), Ok(()));
        assert!(
            matches!(check(json!({})), Err(Invalid::Fields(d)) if d[0].expression == "required")
        );
        assert!(
            matches!(check(json!({"n": 0})), Err(Invalid::Fields(d)) if d[0].expression == "min")
        );
    }

    /// serde for an optional nullable property keeps its three states apart.
    #[test]
    fn an_optional_nullable_property_has_three_states() {
        #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        struct T {
            #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
            note: Option<Option<String>>,
        }
        for (text, value) in [
            ("{}", None),
            (r#"{"note":null}"#, Some(None)),
            (r#"{"note":"x"}"#, Some(Some("x".to_string()))),
        ] {
            let read: T = serde_json::from_str(text).unwrap();
            assert_eq!(read, T { note: value }, "{text}");
            assert_eq!(serde_json::to_string(&read).unwrap(), text);
        }
    }

    #[test]
    fn problems_come_one_per_field_in_rule_order() {
        let got: Vec<_> = details(json!({"color": "x", "name": "", "size": 99}))
            .into_iter()
            .map(|d| (d.0, d.1))
            .collect();
        let want = [
            ("name", "required"),
            ("id", "required"),
            ("color", "oneof"),
            ("size", "max"),
        ];
        assert_eq!(
            got,
            want.map(|(f, e)| (f.to_string(), e.to_string())).to_vec()
        );
    }

    #[test]
    fn a_documented_enum_error_comes_after_field_problems() {
        static RULES: [Field; 2] = [
            Field::new("kind", Kind::String)
                .one_of(&["a"])
                .enum_error(ErrorCode::ALL[0]),
            Field::new("other", Kind::String).presence(Presence::NonZero),
        ];
        let check = |v: Value| check(v.as_object().unwrap(), &RULES, false);
        assert!(
            matches!(check(json!({"kind": "b"})), Err(Invalid::Fields(d)) if d.len() == 1 && d[0].field == "other")
        );
        assert_eq!(
            check(json!({"kind": "b", "other": "x"})),
            Err(Invalid::Documented(ErrorCode::ALL[0]))
        );
        assert_eq!(check(json!({"kind": "a", "other": "x"})), Ok(()));
    }

    #[test]
    fn the_generated_request_rules_are_the_go_servers() {
        use crate::{ErrorCode as E, ExchangeAuthorizationCodeRequest as Request};
        let rules = <Request as Validate>::fields();
        let check = |v: Value| check(v.as_object().unwrap(), rules, false);
        // gin's binding: required on every field of the request: "" is missing.
        match check(json!({"code": ""})) {
            Err(Invalid::Fields(d)) => assert!(
                d.iter().all(|d| d.expression == "required") && d.len() == 2,
                "{d:?}"
            ),
            other => panic!("{other:?}"),
        }
        // the provider's enum answers with the documented error the spec names
        let provider = rules
            .iter()
            .find(|f| f.enum_error.is_some())
            .expect("a documented enum error");
        let mut body = json!({"code": "x"});
        body[provider.name] = json!("not-a-provider");
        for f in rules
            .iter()
            .filter(|f| f.name != provider.name && f.presence == Presence::NonZero)
        {
            body[f.name] = json!("x");
        }
        assert_eq!(
            check(body),
            Err(Invalid::Documented(provider.enum_error.unwrap()))
        );
        assert_eq!(provider.enum_error.map(E::status), Some(400));
    }
}
