//! Every example a spec holds, with the component schema it is an example of,
//! for the tests that put them through generated types (`ias_api::examples`:
//! what catches a generated type that is wrong for the spec).

use serde_json::Value;

/// One example: the component schema it is of, where it is (for messages),
/// and the value.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// The component schema's name.
    pub schema: String,
    /// Where the example is, in words.
    pub place: String,
    /// The example itself.
    pub value: Value,
}

/// Each schema's `example`, an object assembled from its properties'
/// examples (when every required property has one and the schema has no
/// example of its own), and the examples of request and response bodies that
/// `$ref` a schema.
pub fn examples(spec: &Value) -> Vec<Example> {
    let mut out = Vec::new();
    let mut push = |schema: &str, place: String, value: &Value| {
        out.push(Example {
            schema: schema.to_string(),
            place,
            value: value.clone(),
        })
    };
    for (name, schema) in spec["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        if let Some(example) = schema.get("example") {
            push(name, format!("{name}.example"), example);
            continue;
        }
        let Some(properties) = schema["properties"].as_object() else {
            continue;
        };
        let assembled: serde_json::Map<String, Value> = properties
            .iter()
            .filter_map(|(p, v)| Some((p.clone(), v.get("example")?.clone())))
            .collect();
        let required = schema["required"].as_array().cloned().unwrap_or_default();
        let complete = required
            .iter()
            .all(|r| r.as_str().is_some_and(|r| assembled.contains_key(r)));
        if complete && !assembled.is_empty() {
            let place = format!("{name} (its properties' examples)");
            push(name, place, &Value::Object(assembled));
        }
    }
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let mut bodies = vec![("request body".to_string(), &op["requestBody"])];
            for (status, response) in op["responses"].as_object().into_iter().flatten() {
                bodies.push((format!("response {status}"), response));
            }
            for (what, body) in bodies {
                let media = &body["content"]["application/json"];
                let Some(r) = media["schema"]["$ref"].as_str() else {
                    continue;
                };
                let schema = r.rsplit('/').next().unwrap_or(r);
                let place = format!("{} {path} {what}", method.to_uppercase());
                if let Some(example) = media.get("example") {
                    push(schema, format!("{place} example"), example);
                }
                for (name, example) in media["examples"].as_object().into_iter().flatten() {
                    push(
                        schema,
                        format!("{place} examples.{name}"),
                        &example["value"],
                    );
                }
            }
        }
    }
    out
}

/// Puts every example of `spec` through `round_trip` (a generated
/// `example_round_trip`) and panics with each one that fails, or when a
/// schema with properties has no example at all.
pub fn assert_round_trip(
    spec: &Value,
    round_trip: impl Fn(&str, &Value) -> Option<Result<(), String>>,
) {
    let examples = examples(spec);
    assert!(!examples.is_empty(), "the spec has no examples to check");
    let failures: Vec<String> = examples
        .iter()
        .filter_map(|e| match round_trip(&e.schema, &e.value) {
            Some(Ok(())) => None,
            Some(Err(problem)) => Some(format!("- {}: {problem}", e.place)),
            None => Some(format!("- {}: {} has no generated type", e.place, e.schema)),
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} examples do not fit the generated types:\n{}",
        failures.len(),
        examples.len(),
        failures.join("\n")
    );
    for (name, schema) in spec["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        if schema.get("properties").is_some() {
            assert!(
                examples.iter().any(|e| &e.schema == name),
                "{name} has no example to check: give it an `example`, or examples on its properties"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_every_kind_of_example() {
        let spec = json!({
            "paths": {"/a": {"post": {
                "requestBody": {"content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/A"}, "example": {"x": 1}}}},
                "responses": {"400": {"content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/E"},
                    "examples": {"bad": {"value": {"code": 0}}}}}}}
            }}},
            "components": {"schemas": {
                "A": {"properties": {"x": {"example": 2}, "y": {}}, "required": ["x"]},
                "B": {"properties": {"x": {"example": 2}}, "required": ["z"]},
                "E": {"example": {"code": 1}, "properties": {"code": {"example": 9}}}
            }}
        });
        let found: Vec<(String, String, Value)> = examples(&spec)
            .into_iter()
            .map(|e| (e.schema, e.place, e.value))
            .collect();
        let row = |s: &str, p: &str, v: Value| (s.to_string(), p.to_string(), v);
        assert_eq!(
            found,
            vec![
                row("A", "A (its properties' examples)", json!({"x": 2})),
                row("E", "E.example", json!({"code": 1})),
                row("A", "POST /a request body example", json!({"x": 1})),
                row("E", "POST /a response 400 examples.bad", json!({"code": 0})),
            ]
        );
    }

    fn spec_with(example: Value) -> Value {
        json!({"components": {"schemas": {
            "A": {"example": example, "properties": {"x": {}}},
            "B": {"properties": {"y": {}}, "example": {"y": 1}}
        }}})
    }

    #[test]
    fn passes_when_every_example_fits() {
        assert_round_trip(&spec_with(json!({"x": 1})), |_, _| Some(Ok(())));
    }

    #[test]
    #[should_panic(
        expected = "1 of 2 examples do not fit the generated types:\n- A.example: wrong"
    )]
    fn names_each_example_that_does_not_fit() {
        assert_round_trip(&spec_with(json!({"x": 1})), |schema, _| {
            Some(if schema == "A" {
                Err("wrong".into())
            } else {
                Ok(())
            })
        });
    }

    #[test]
    #[should_panic(expected = "- B.example: B has no generated type")]
    fn a_schema_without_a_type_fails() {
        assert_round_trip(&spec_with(json!({"x": 1})), |schema, _| {
            (schema == "A").then_some(Ok(()))
        });
    }

    #[test]
    #[should_panic(expected = "C has no example to check")]
    fn a_schema_with_properties_needs_an_example() {
        let mut spec = spec_with(json!({"x": 1}));
        spec["components"]["schemas"]["C"] = json!({"properties": {"z": {}}});
        assert_round_trip(&spec, |_, _| Some(Ok(())));
    }
}
