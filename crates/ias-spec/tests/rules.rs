//! The diff rules where they live: one row per case, each an edit of
//! `fixture.yaml` and the full list of changes `diff_documents` must give,
//! as (kind, location, bump). A missing, extra or misclassified change fails
//! its row. The version rule has its own table below.
//!
//! Locations are written with `$REQ` (POST /items request body), `$LIST` (the
//! items of GET /items' 200 body), `$CREATED` (POST /items' 201 body) and
//! `$BAD` (its 400 body), expanded before comparing.

use ias_spec::diff::Security::NowRequired;
use ias_spec::version::judge;
use ias_spec::Bump::{self, Major, Minor};
use ias_spec::ChangeKind::{self, *};

const BASE: &str = include_str!("fixture.yaml");
const DOCS: Bump = Bump::None;

const NEW_ITEM_REQUIRED: &str = "      required: [name, kind]\n";
const ITEM_REQUIRED: &str = "      required: [id, name, status]\n";

/// One row: edits to BASE, and every change they make.
struct Case {
    name: &'static str,
    edits: &'static [(&'static str, &'static str)],
    changes: &'static [(ChangeKind, &'static str, Bump)],
}

const PLACES: &[(&str, &str)] = &[
    (
        "$REQ",
        "/paths/~1items/post/requestBody/content/application~1json/schema",
    ),
    (
        "$LIST",
        "/paths/~1items/get/responses/200/content/application~1json/schema/items",
    ),
    (
        "$CREATED",
        "/paths/~1items/post/responses/201/content/application~1json/schema",
    ),
    (
        "$BAD",
        "/paths/~1items/post/responses/400/content/application~1json/schema",
    ),
];

#[rustfmt::skip]
const CASES: &[Case] = &[
    Case {
        name: "identical",
        edits: &[],
        changes: &[
        ],
    },
    Case {
        name: "operation removed",
        edits: &[("    get:\n      operationId: listItems", "    x-get:\n      operationId: listItems")],
        changes: &[
            (OperationRemoved, "/paths/~1items/get", Major),
            (Documentation, "/paths/~1items/x-get", DOCS),
        ],
    },
    Case {
        name: "method changed",
        edits: &[("    get:\n      operationId: listItems", "    put:\n      operationId: listItems")],
        changes: &[
            (MethodChanged, "/paths/~1items/get", Major),
        ],
    },
    Case {
        name: "path changed",
        edits: &[("  /items:\n", "  /things:\n")],
        changes: &[
            (PathChanged, "/paths/~1items/get", Major),
            (PathChanged, "/paths/~1items/post", Major),
        ],
    },
    Case {
        name: "operationId changed",
        edits: &[("operationId: createItem", "operationId: addItem")],
        changes: &[
            (OperationIdChanged, "/paths/~1items/post/operationId", Major),
        ],
    },
    Case {
        name: "operation added",
        edits: &[("components:\n", "  /health:\n    get:\n      operationId: health\n      responses:\n        '200':\n          description: ok\ncomponents:\n")],
        changes: &[
            (OperationAdded, "/paths/~1health/get", Minor),
        ],
    },
    Case {
        name: "request: new required property",
        edits: &[(NEW_ITEM_REQUIRED, "      required: [name, kind, size]\n"), ("        note:\n          type: string\n    Item:", "        note:\n          type: string\n        size:\n          type: integer\n    Item:")],
        changes: &[
            (PropertyAdded { required: true }, "$REQ/properties/size", Major),
        ],
    },
    Case {
        name: "request: new optional property",
        edits: &[("        note:\n          type: string\n    Item:", "        note:\n          type: string\n        size:\n          type: integer\n    Item:")],
        changes: &[
            (PropertyAdded { required: false }, "$REQ/properties/size", Minor),
        ],
    },
    Case {
        name: "request: optional made required",
        edits: &[(NEW_ITEM_REQUIRED, "      required: [name, kind, note]\n")],
        changes: &[
            (RequiredAdded, "$REQ/properties/note", Major),
        ],
    },
    Case {
        name: "request: required made optional",
        edits: &[(NEW_ITEM_REQUIRED, "      required: [name]\n")],
        changes: &[
            (RequiredRemoved, "$REQ/properties/kind", Minor),
        ],
    },
    Case {
        name: "request: property type changed",
        edits: &[("        name:\n          type: string\n          description: The name.", "        name:\n          type: integer\n          description: The name.")],
        changes: &[
            (TypeChanged, "$REQ/properties/name", Major),
        ],
    },
    Case {
        name: "request: format changed",
        edits: &[("          type: string\n          description: The name.", "          type: string\n          format: email\n          description: The name.")],
        changes: &[
            (FormatChanged, "$REQ/properties/name", Major),
        ],
    },
    Case {
        name: "request: enum value removed",
        edits: &[("enum: [a, b]", "enum: [a]")],
        changes: &[
            (EnumValueRemoved, "$REQ/properties/kind/enum", Major),
        ],
    },
    Case {
        name: "request: enum value added",
        edits: &[("enum: [a, b]", "enum: [a, b, c]")],
        changes: &[
            (EnumValueAdded, "$REQ/properties/kind/enum", Minor),
        ],
    },
    Case {
        name: "response: property removed",
        edits: &[("        note:\n          type: string\n    Error:", "    Error:")],
        changes: &[
            (PropertyRemoved, "$LIST/properties/note", Major),
            (PropertyRemoved, "$CREATED/properties/note", Major),
        ],
    },
    Case {
        name: "response: required made optional",
        edits: &[(ITEM_REQUIRED, "      required: [id, name]\n")],
        changes: &[
            (RequiredRemoved, "$LIST/properties/status", Major),
            (RequiredRemoved, "$CREATED/properties/status", Major),
        ],
    },
    Case {
        name: "response: optional made required",
        edits: &[(ITEM_REQUIRED, "      required: [id, name, status, note]\n")],
        changes: &[
            (RequiredAdded, "$LIST/properties/note", Minor),
            (RequiredAdded, "$CREATED/properties/note", Minor),
        ],
    },
    Case {
        name: "response: type changed",
        edits: &[("        id:\n          type: integer\n          format: int64", "        id:\n          type: string")],
        changes: &[
            (TypeChanged, "$LIST/properties/id", Major),
            (TypeChanged, "$CREATED/properties/id", Major),
        ],
    },
    Case {
        name: "response: format changed",
        edits: &[("          format: int64", "          format: int32")],
        changes: &[
            (FormatChanged, "$LIST/properties/id", Major),
            (FormatChanged, "$CREATED/properties/id", Major),
        ],
    },
    Case {
        name: "response: new property",
        edits: &[("        message:\n          type: string\n", "        message:\n          type: string\n        details:\n          type: array\n          items:\n            type: string\n")],
        changes: &[
            (PropertyAdded { required: false }, "$BAD/properties/details", Minor),
        ],
    },
    Case {
        name: "response: enum value added",
        edits: &[("enum: [active, archived]", "enum: [active, archived, deleted]")],
        changes: &[
            (EnumValueAdded, "$LIST/properties/status/enum", Major),
            (EnumValueAdded, "$CREATED/properties/status/enum", Major),
        ],
    },
    Case {
        name: "response: enum value removed",
        edits: &[("enum: [active, archived]", "enum: [active]")],
        changes: &[
            (EnumValueRemoved, "$LIST/properties/status/enum", Minor),
            (EnumValueRemoved, "$CREATED/properties/status/enum", Minor),
        ],
    },
    Case {
        name: "status code removed",
        edits: &[("        '400':\n          description: Bad request.", "        x-400:\n          description: Bad request.")],
        changes: &[
            (StatusRemoved, "/paths/~1items/post/responses/400", Major),
            (StatusAdded, "/paths/~1items/post/responses/X-400", Minor),
        ],
    },
    Case {
        name: "status code added",
        edits: &[("        '400':\n          description: Bad request.", "        '409':\n          description: Conflict.\n        '400':\n          description: Bad request.")],
        changes: &[
            (StatusAdded, "/paths/~1items/post/responses/409", Minor),
        ],
    },
    Case {
        name: "query parameter added, required",
        edits: &[("            maximum: 1000\n", "            maximum: 1000\n        - name: cursor\n          in: query\n          required: true\n          schema:\n            type: string\n")],
        changes: &[
            (ParameterAdded { required: true }, "/paths/~1items/get/parameters/query/cursor", Major),
        ],
    },
    Case {
        name: "query parameter added, optional",
        edits: &[("            maximum: 1000\n", "            maximum: 1000\n        - name: cursor\n          in: query\n          schema:\n            type: string\n")],
        changes: &[
            (ParameterAdded { required: false }, "/paths/~1items/get/parameters/query/cursor", Minor),
        ],
    },
    Case {
        name: "header parameter added, required",
        edits: &[("            maximum: 1000\n", "            maximum: 1000\n        - name: X-Tenant\n          in: header\n          required: true\n          schema:\n            type: string\n")],
        changes: &[
            (ParameterAdded { required: true }, "/paths/~1items/get/parameters/header/X-Tenant", Major),
        ],
    },
    Case {
        name: "query parameter's bound tightened",
        edits: &[("            maximum: 1000\n", "            maximum: 100\n")],
        changes: &[
            (ConstraintChanged { tightened: Some(true) }, "/paths/~1items/get/parameters/query/limit/schema/maximum", Major),
        ],
    },
    Case {
        name: "query parameter's bound loosened",
        edits: &[("            maximum: 1000\n", "            maximum: 5000\n")],
        changes: &[
            (ConstraintChanged { tightened: Some(false) }, "/paths/~1items/get/parameters/query/limit/schema/maximum", Minor),
        ],
    },
    Case {
        name: "query parameter's rule added",
        edits: &[("            maximum: 1000\n", "            maximum: 1000\n            minimum: 5\n")],
        changes: &[
            // a lower bound of 0 or more makes the client's type unsigned
            (ConstraintAdded { retypes: true }, "/paths/~1items/get/parameters/query/limit/schema/minimum", Major),
        ],
    },
    Case {
        name: "request: an array's size bound tightened",
        edits: &[("          maxItems: 5\n", "          maxItems: 3\n")],
        changes: &[
            (ConstraintChanged { tightened: Some(true) }, "$REQ/properties/tags/maxItems", Major),
        ],
    },
    Case {
        name: "request: an array's size bound loosened",
        edits: &[("          maxItems: 5\n", "          maxItems: 10\n")],
        changes: &[
            (ConstraintChanged { tightened: Some(false) }, "$REQ/properties/tags/maxItems", Minor),
        ],
    },
    Case {
        name: "request: items made distinct, an item rule and a multipleOf added",
        edits: &[("          maxItems: 5\n", "          maxItems: 5\n          uniqueItems: true\n"), ("            type: string\n            x-tag: 1\n", "            type: string\n            x-tag: 1\n            maxLength: 8\n"), ("        step:\n          type: number\n", "        step:\n          type: number\n          multipleOf: 0.5\n")],
        changes: &[
            (ConstraintAdded { retypes: false }, "$REQ/properties/step/multipleOf", Major),
            (ConstraintAdded { retypes: false }, "$REQ/properties/tags/uniqueItems", Major),
            // a bounded string is a newtype in the client
            (ConstraintAdded { retypes: true }, "$REQ/properties/tags/items/maxLength", Major),
        ],
    },
    Case {
        name: "request: an exclusive lower bound added",
        edits: &[("        step:\n          type: number\n", "        step:\n          type: number\n          minimum: 0\n          exclusiveMinimum: true\n")],
        changes: &[
            (ConstraintAdded { retypes: false }, "$REQ/properties/step/minimum", Major),
            (ConstraintAdded { retypes: false }, "$REQ/properties/step/exclusiveMinimum", Major),
        ],
    },
    Case {
        name: "request: a oneOf alternative added",
        edits: &[("            - $ref: '#/components/schemas/Triangle'\n        note:", "            - $ref: '#/components/schemas/Triangle'\n            - $ref: '#/components/schemas/Hexagon'\n        note:")],
        changes: &[
            (AlternativeAdded, "$REQ/properties/shape", Minor),
        ],
    },
    Case {
        name: "request: a oneOf alternative removed",
        edits: &[("            - $ref: '#/components/schemas/Triangle'\n        note:", "        note:")],
        changes: &[
            (AlternativeRemoved, "$REQ/properties/shape", Major),
        ],
    },
    Case {
        name: "response: a oneOf alternative added",
        edits: &[("            - $ref: '#/components/schemas/Square'\n        note:\n          type: string\n    Error:", "            - $ref: '#/components/schemas/Square'\n            - $ref: '#/components/schemas/Triangle'\n        note:\n          type: string\n    Error:")],
        changes: &[
            (AlternativeAdded, "$LIST/properties/outline", Major),
            (AlternativeAdded, "$CREATED/properties/outline", Major),
        ],
    },
    Case {
        name: "request: a oneOf alternative swapped for another",
        edits: &[("            - $ref: '#/components/schemas/Triangle'\n        note:", "            - $ref: '#/components/schemas/Hexagon'\n        note:")],
        changes: &[
            (AlternativesChanged, "$REQ/properties/shape", Major),
        ],
    },
    Case {
        name: "security required by one operation",
        edits: &[("      operationId: listItems\n", "      operationId: listItems\n      security:\n        - bearer: []\n")],
        changes: &[
            (SecurityChanged(NowRequired), "/paths/~1items/get/security", Major),
        ],
    },
    Case {
        name: "query parameter made required",
        edits: &[("          required: false\n", "          required: true\n")],
        changes: &[
            (ParameterRequired, "/paths/~1items/get/parameters/query/limit", Major),
        ],
    },
    Case {
        name: "descriptions and summaries only",
        edits: &[("description: The name.", "description: The item's name."), ("summary: List items.", "summary: Lists the items.")],
        changes: &[
            (Documentation, "/components/schemas/NewItem/properties/name/description", DOCS),
            (Documentation, "/paths/~1items/get/summary", DOCS),
        ],
    },
    Case {
        name: "examples and vendor extensions only",
        edits: &[("example: widget", "example: gadget"), ("      operationId: createItem\n", "      operationId: createItem\n      x-go-name: createItem\n")],
        changes: &[
            (Documentation, "/components/schemas/Item/properties/name/example", DOCS),
            (Documentation, "/paths/~1items/post/x-go-name", DOCS),
        ],
    },
    Case {
        name: "schema moved into components ($ref) is no change",
        edits: &[(
            "                type: array\n                items:\n                  $ref: '#/components/schemas/Item'\n",
            "                $ref: '#/components/schemas/Items'\n",
        ), ("    Error:\n", "    Items:\n      type: array\n      items:\n        $ref: '#/components/schemas/Item'\n    Error:\n")],
        changes: &[
        ],
    },
    Case {
        name: "request: last enum value but one removed",
        edits: &[("enum: [a, b]", "enum: [b]")],
        changes: &[
            (EnumValueRemoved, "$REQ/properties/kind/enum", Major),
        ],
    },
    Case {
        name: "request: bound loosened (maxLength raised)",
        edits: &[("maxLength: 64", "maxLength: 128")],
        changes: &[
            (ConstraintChanged { tightened: Some(false) }, "$REQ/properties/name/maxLength", Minor),
        ],
    },
    Case {
        name: "request: bound tightened (maxLength lowered)",
        edits: &[("maxLength: 64", "maxLength: 32")],
        changes: &[
            (ConstraintChanged { tightened: Some(true) }, "$REQ/properties/name/maxLength", Major),
        ],
    },
    Case {
        name: "request: constraint introduced (minLength)",
        edits: &[("        note:\n          type: string\n    Item:", "        note:\n          type: string\n          minLength: 1\n    Item:")],
        changes: &[
            (ConstraintAdded { retypes: true }, "$REQ/properties/note/minLength", Major),
        ],
    },
    Case {
        name: "response: bound tightened (minimum raised)",
        edits: &[("minimum: 100", "minimum: 200")],
        changes: &[
            (ConstraintChanged { tightened: Some(true) }, "$BAD/properties/code/minimum", Minor),
        ],
    },
    Case {
        name: "response: bound loosened (minimum lowered)",
        edits: &[("minimum: 100", "minimum: 0")],
        changes: &[
            (ConstraintChanged { tightened: Some(false) }, "$BAD/properties/code/minimum", Major),
        ],
    },
    Case {
        name: "response: constraint dropped",
        edits: &[("          minimum: 100\n", "")],
        changes: &[
            (ConstraintDropped { retypes: true }, "$BAD/properties/code/minimum", Major),
        ],
    },
    Case {
        name: "request: extra properties refused",
        edits: &[("    NewItem:\n      type: object\n", "    NewItem:\n      type: object\n      additionalProperties: false\n")],
        changes: &[
            (AdditionalPropertiesChanged { allowed: false }, "$REQ/additionalProperties", Major),
        ],
    },
    Case {
        name: "security now required",
        edits: &[("paths:\n", "security:\n  - bearer: []\npaths:\n")],
        changes: &[
            (SecurityChanged(NowRequired), "/paths/~1items/get/security", Major),
            (SecurityChanged(NowRequired), "/paths/~1items/post/security", Major),
        ],
    },
    Case {
        name: "operation deprecated (documentation)",
        edits: &[("      operationId: listItems\n", "      operationId: listItems\n      deprecated: true\n")],
        changes: &[
            (Documentation, "/paths/~1items/get/deprecated", DOCS),
        ],
    },
    Case {
        name: "query parameter removed",
        edits: &[("      parameters:\n        - name: limit\n          in: query\n          required: false\n          schema:\n            type: integer\n            format: int32\n            maximum: 1000\n", "")],
        changes: &[(ParameterRemoved, "/paths/~1items/get/parameters/query/limit", Major)],
    },
    Case {
        name: "request body made optional",
        edits: &[("      requestBody:\n        required: true\n", "      requestBody:\n        required: false\n")],
        changes: &[(RequestBodyOptional, "/paths/~1items/post/requestBody", Minor)],
    },
    Case {
        name: "request body removed",
        edits: &[("      requestBody:\n        required: true\n        content:\n          application/json:\n            schema:\n              $ref: '#/components/schemas/NewItem'\n", "")],
        changes: &[(RequestBodyRemoved, "/paths/~1items/post/requestBody", Major)],
    },
    Case {
        name: "request: media type added",
        edits: &[("              $ref: '#/components/schemas/NewItem'\n", "              $ref: '#/components/schemas/NewItem'\n          text/plain:\n            schema:\n              type: string\n")],
        changes: &[(MediaTypeAdded, "/paths/~1items/post/requestBody/content/text~1plain", Minor)],
    },
    Case {
        name: "response: media type replaced",
        edits: &[("          description: Bad request.\n          content:\n            application/json:\n", "          description: Bad request.\n          content:\n            application/problem+json:\n")],
        changes: &[
            (MediaTypeRemoved, "$BAD", Major),
            (MediaTypeAdded, "/paths/~1items/post/responses/400/content/application~1problem+json", Minor),
        ],
    },
    Case {
        name: "request: may now be null",
        edits: &[("        note:\n          type: string\n    Item:", "        note:\n          type: string\n          nullable: true\n    Item:")],
        changes: &[(NullableChanged { nullable: true }, "$REQ/properties/note", Minor)],
    },
    Case {
        name: "response: may now be null",
        edits: &[("        note:\n          type: string\n    Error:", "        note:\n          type: string\n          nullable: true\n    Error:")],
        changes: &[
            (NullableChanged { nullable: true }, "$LIST/properties/note", Major),
            (NullableChanged { nullable: true }, "$CREATED/properties/note", Major),
        ],
    },
    Case {
        name: "request: enum introduced",
        edits: &[("        note:\n          type: string\n    Item:", "        note:\n          type: string\n          enum: [x]\n    Item:")],
        changes: &[(EnumIntroduced, "$REQ/properties/note/enum", Major)],
    },
    Case {
        name: "response: enum dropped",
        edits: &[("          enum: [active, archived]\n", "")],
        changes: &[
            (EnumDropped, "$LIST/properties/status/enum", Major),
            (EnumDropped, "$CREATED/properties/status/enum", Major),
        ],
    },
    Case {
        name: "response: constraint introduced, same generated type",
        edits: &[("          minimum: 100\n", "          minimum: 100\n          maximum: 999\n")],
        changes: &[(ConstraintAdded { retypes: false }, "$BAD/properties/code/maximum", Minor)],
    },
    Case {
        name: "response: array items changed",
        edits: &[("                items:\n                  $ref: '#/components/schemas/Item'\n", "                items:\n                  type: string\n")],
        changes: &[(TypeChanged, "$LIST", Major)],
    },
    Case {
        name: "schema renamed (the generated type's name is gone)",
        edits: &[("    NewItem:\n", "    ItemDraft:\n"), ("#/components/schemas/NewItem", "#/components/schemas/ItemDraft")],
        changes: &[(SchemaRemoved, "/components/schemas/NewItem", Major)],
    },
    Case {
        name: "schema inlined (the generated type's name is gone)",
        edits: &[("              $ref: '#/components/schemas/Error'\n", "              type: object\n"), ("    Error:\n", "    x-Error:\n")],
        changes: &[
            (PropertyRemoved, "$BAD/properties/code", Major),
            (PropertyRemoved, "$BAD/properties/message", Major),
            (SchemaRemoved, "/components/schemas/Error", Major),
        ],
    },
    Case {
        name: "tags changed (documentation)",
        edits: &[("      tags: [items]\n      summary", "      tags: [things]\n      summary")],
        changes: &[(TagsChanged, "/paths/~1items/get/tags", DOCS)],
    },
];

fn edited(name: &str, edits: &[(&str, &str)]) -> ias_spec::SpecDocument {
    let mut text = BASE.to_string();
    for (from, to) in edits {
        assert!(
            text.contains(from),
            "{name}: fixture text {from:?} not found"
        );
        text = text.replacen(from, to, 1);
    }
    ias_spec::parse("new.yaml", &text).unwrap()
}

#[test]
fn each_edit_gives_exactly_its_changes() {
    let old = ias_spec::parse("old.yaml", BASE).unwrap();
    let mut failures = Vec::new();
    for case in CASES {
        let new = edited(case.name, case.edits);
        let got: Vec<(ChangeKind, String, Bump)> = ias_spec::diff_specs(&old, &new)
            .unwrap()
            .into_iter()
            .map(|c| (c.kind, c.location, c.bump))
            .collect();
        let want: Vec<(ChangeKind, String, Bump)> = case
            .changes
            .iter()
            .map(|&(kind, location, bump)| {
                let location = PLACES
                    .iter()
                    .fold(location.to_string(), |l, (short, long)| {
                        l.replace(short, long)
                    });
                (kind, location, bump)
            })
            .collect();
        if got != want {
            failures.push(format!("{}:\n  got  {got:?}\n  want {want:?}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

/// The documented errors (`- [group:**g**, code:**n**]: message` lines of
/// error responses): (old 400 description, new 400 description, new status
/// of the 400 block, every change but the description's own).
#[test]
fn documented_errors_have_their_own_rules() {
    const ENTRY: &str = "\"- [group:**item**, code:**1**]: Bad name.\"";
    const OTHER: &str = "\"- [group:**item**, code:**2**]: Bad kind.\"";
    let at = |status: &str| format!("/paths/~1items/post/responses/{status}");
    type Row<'a> = (&'a str, &'a str, &'a str, Vec<(ChangeKind, String, Bump)>);
    let rows: [Row<'_>; 5] = [
        (
            "Bad request.",
            ENTRY,
            "400",
            vec![(ErrorAdded, at("400"), Minor)],
        ),
        (
            ENTRY,
            "Bad request.",
            "400",
            vec![(ErrorRemoved, at("400"), Major)],
        ),
        (
            ENTRY,
            ENTRY,
            "422",
            vec![
                (StatusRemoved, at("400"), Major),
                (StatusAdded, at("422"), Minor),
                (ErrorStatusChanged, at("422"), Major),
            ],
        ),
        (
            ENTRY,
            OTHER,
            "400",
            vec![
                (ErrorRemoved, at("400"), Major),
                (ErrorAdded, at("400"), Minor),
            ],
        ),
        // same pair, new words: documentation only
        (
            ENTRY,
            "\"- [group:**item**, code:**1**]: The name is bad.\"",
            "400",
            vec![],
        ),
    ];
    for (old_text, new_text, status, want) in rows {
        let old = edited(
            "old",
            &[(
                "description: Bad request.",
                &format!("description: {old_text}"),
            )],
        );
        let new = edited(
            "new",
            &[(
                "        '400':\n          description: Bad request.",
                &format!("        '{status}':\n          description: {new_text}"),
            )],
        );
        let got: Vec<_> = ias_spec::diff_specs(&old, &new)
            .unwrap()
            .into_iter()
            .filter(|c| c.kind != Documentation)
            .map(|c| (c.kind, c.location, c.bump))
            .collect();
        assert_eq!(got, want, "{old_text} -> {status} {new_text}");
    }
}

/// The documented errors' Rust names (`components.x-ias-error-names`, else
/// made from the pair): (old names, new names, every change). A name that
/// changes renames a generated variant, whatever made it change.
#[test]
fn error_names_are_contract() {
    const NAMES: &str = "components:\n  x-ias-error-names:\n";
    let at = "/components/x-ias-error-names".to_string();
    type Row<'a> = (&'a str, &'a str, Vec<(ChangeKind, String, Bump)>);
    let rows: [Row<'_>; 5] = [
        ("    item/1: BadName\n", "    item/1: BadName\n", vec![]),
        (
            "    item/1: BadName\n",
            "    item/1: NameRefused\n",
            vec![(ErrorRenamed, at.clone(), Major)],
        ),
        // an explicit name dropped: the pair's own name (Item1) takes over
        (
            "    item/1: BadName\n",
            "",
            vec![(ErrorRenamed, at.clone(), Major)],
        ),
        (
            "",
            "    item/1: BadName\n",
            vec![(ErrorRenamed, at.clone(), Major)],
        ),
        // the name made from the pair, given explicitly: nothing moves
        ("", "    item/1: Item1\n", vec![]),
    ];
    let spec = |name: &str, names: &str| {
        edited(
            name,
            &[
                (
                    "description: Bad request.",
                    "description: \"- [group:**item**, code:**1**]: Bad name.\"",
                ),
                ("components:\n", &format!("{NAMES}{names}")),
            ],
        )
    };
    let changes = |old: &ias_spec::SpecDocument, new: &ias_spec::SpecDocument| -> Vec<_> {
        ias_spec::diff_specs(old, new)
            .unwrap()
            .into_iter()
            .map(|c| (c.kind, c.location, c.bump))
            .collect()
    };
    for (old_names, new_names, want) in rows {
        let got = changes(&spec("old", old_names), &spec("new", new_names));
        assert_eq!(got, want, "{old_names:?} -> {new_names:?}");
    }
    // A document without the extension predates stable names (its errors were
    // named after their messages): declaring them is not a rename.
    let before = edited(
        "before",
        &[(
            "description: Bad request.",
            "description: \"- [group:**item**, code:**1**]: Bad name.\"",
        )],
    );
    assert_eq!(
        changes(&before, &spec("new", "    item/1: BadName\n")),
        vec![]
    );
}

/// (old version, new version, bump the changes need, whether the rule holds).
#[rustfmt::skip]
const VERSIONS: &[(&str, &str, Bump, bool)] = &[
    ("1.2.3", "1.2.3", DOCS, true),
    ("1.2.3", "1.2.4", DOCS, true),
    ("1.2.3", "1.2.2", DOCS, false),
    ("1.2.3", "1.2.4", Minor, false),
    ("1.2.3", "1.3.0", Minor, true),
    ("1.2.3", "2.0.0", Minor, true),
    ("1.2.3", "1.3.0", Major, false),
    ("1.2.3", "2.0.0", Major, true),
    ("1.2.3", "2.1.0", Major, true),
    ("2.0.0", "1.9.0", DOCS, false),
];

#[test]
fn the_version_rule() {
    for &(old, new, required, ok) in VERSIONS {
        let change = ias_spec::Change {
            location: "/x".into(),
            kind: Documentation,
            bump: required,
            message: "a change".into(),
            old: None,
            new: None,
        };
        let verdict = judge(old, new, &[change]).unwrap();
        assert_eq!(
            (verdict.required, verdict.breaking, verdict.ok),
            (required, required == Major, ok),
            "{old} → {new} with a {} change: {}",
            required.as_str(),
            verdict.reason
        );
    }
}

#[test]
fn a_version_that_is_not_semver_names_its_document() {
    let err = judge("1.2.3", "latest", &[]).unwrap_err();
    assert_eq!(err.document(), ias_spec::Document::New);
    assert!(matches!(&err, ias_spec::Error::Version { version, .. } if version == "latest"));
    assert!(
        err.to_string()
            .starts_with("new info.version \"latest\" is not semver (MAJOR.MINOR.PATCH): "),
        "{err}"
    );
}

#[test]
fn an_unresolvable_ref_names_its_document() {
    let old = ias_spec::parse("old.yaml", BASE).unwrap();
    let new = edited(
        "dangling $ref",
        &[(
            "#/components/schemas/NewItem",
            "#/components/schemas/Nothing",
        )],
    );
    let err = ias_spec::diff_documents(&old.json, &new.json).unwrap_err();
    assert_eq!(
        err,
        ias_spec::Error::Reference {
            document: ias_spec::Document::New,
            problem: ias_spec::RefError::Unresolved("#/components/schemas/Nothing".into()),
        }
    );
    assert_eq!(
        err.to_string(),
        "new document: $ref \"#/components/schemas/Nothing\" does not resolve"
    );
}

#[test]
fn messages_say_what_changed() {
    let old = ias_spec::parse("old.yaml", BASE).unwrap();
    let new = edited("enum", &[("enum: [a, b]", "enum: [a]")]);
    let changes = ias_spec::diff_documents(&old.json, &new.json).unwrap();
    assert_eq!(
        changes[0].to_string(),
        "breaking   /paths/~1items/post/requestBody/content/application~1json/schema/properties/kind/enum: \
         POST /items: request body: property kind: enum value \"b\" was removed"
    );
    assert_eq!(changes[0].kind.name(), "enum-value-removed");
}
