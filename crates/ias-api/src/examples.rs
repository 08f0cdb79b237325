//! The spec's examples put through the generated types: what catches a
//! generator that gives a field the wrong Rust type, which comparing OpenAPI
//! documents cannot (each type's `JsonSchema` is the spec's own text).
//!
//! An example must deserialize into the type and serialize back to the same
//! JSON; a request body's example must first pass the request rules. The
//! generated `example_round_trip` maps each component schema to its type; the
//! conformance tests feed it every example the spec holds.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::validate::{check_request, Invalid, Validate};

/// `example` as a `T` and back: the same JSON, or what differs.
pub fn round_trip<T: DeserializeOwned + Serialize>(example: &Value) -> Result<(), String> {
    let typed: T = serde_json::from_value(example.clone())
        .map_err(|e| format!("does not deserialize into {}: {e}", type_name::<T>()))?;
    let back = serde_json::to_value(&typed)
        .map_err(|e| format!("{} does not serialize: {e}", type_name::<T>()))?;
    if &back != example {
        return Err(format!(
            "serializes back through {} as {back}, not as the example {example}",
            type_name::<T>()
        ));
    }
    Ok(())
}

/// A request body's example: accepted by `T`'s rules, then [`round_trip`].
pub fn round_trip_request<T: Validate + Serialize>(example: &Value) -> Result<(), String> {
    let Value::Object(object) = example else {
        return Err(format!(
            "a request body example must be an object, not {example}"
        ));
    };
    match check_request::<T>(object) {
        Ok(()) => round_trip::<T>(example),
        Err(Invalid::Fields(details)) => {
            let fields: Vec<String> = details
                .iter()
                .map(|d| format!("{}: {} {}", d.field, d.expression, d.argument))
                .collect();
            Err(format!(
                "the request rules refuse it ({})",
                fields.join("; ")
            ))
        }
        Err(Invalid::Documented(error)) => Err(format!(
            "the request rules answer it with {}/{}",
            error.group(),
            error.code()
        )),
    }
}

fn type_name<T>() -> &'static str {
    let name = std::any::type_name::<T>();
    name.rsplit("::").next().unwrap_or(name)
}

// The contract's own operations are named here: not in ias-api-fixture,
// which compiles this file against its own generated code.
#[cfg(all(test, not(ias_api_fixture)))]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    /// A generator that typed `code` as a number: its example no longer
    /// round-trips, which is what conformance must catch.
    #[derive(Serialize, Deserialize)]
    struct WronglyTyped {
        provider: String,
        code: i64,
    }

    #[test]
    fn a_wrong_rust_type_fails_the_round_trip() {
        let example = json!({"provider": "github", "code": "abc123def456"});
        let e = round_trip::<WronglyTyped>(&example).unwrap_err();
        assert!(
            e.starts_with("does not deserialize into WronglyTyped: invalid type: string"),
            "{e}"
        );
        let right = json!({"provider": "github", "code": 42});
        assert_eq!(round_trip::<WronglyTyped>(&right), Ok(()));
        // Serializing back differently (here: a dropped field) fails too.
        let extra = json!({"provider": "github", "code": 42, "more": 1});
        let e = round_trip::<WronglyTyped>(&extra).unwrap_err();
        assert!(
            e.starts_with("serializes back through WronglyTyped as"),
            "{e}"
        );
    }

    #[test]
    fn a_request_example_must_pass_the_rules() {
        use crate::ExchangeAuthorizationCodeRequest as Request;
        let ok = json!({"provider": "github", "code": "abc"});
        assert_eq!(round_trip_request::<Request>(&ok), Ok(()));
        let e = round_trip_request::<Request>(&json!({"provider": "github", "code": ""}));
        assert_eq!(
            e,
            Err("the request rules refuse it (code: required )".to_string())
        );
        let e = round_trip_request::<Request>(&json!({"provider": "gitlab", "code": "abc"}));
        assert_eq!(
            e,
            Err("the request rules answer it with oauth/0".to_string())
        );
        let e = round_trip_request::<Request>(&json!(["x"]));
        assert_eq!(
            e,
            Err("a request body example must be an object, not [\"x\"]".to_string())
        );
    }
}
