//! The fixture's generated trait implemented by test handlers that record
//! each call, served by dropshot on loopback, and called through the
//! fixture's generated client (valid inputs) and as raw HTTP (invalid ones).
//! Every invalid request is answered in `ErrStatusMsg` with the documented
//! pair and never reaches a handler; every valid one does.

use std::sync::Mutex;

use dropshot::{
    ConfigDropshot, HttpResponseAccepted, HttpResponseCreated, HttpResponseOk,
    HttpResponseUpdatedNoContent, RequestContext, ServerBuilder,
};
use ias_api_fixture::operations::{ClearItems, CreateItem, ListItems, ReplaceSettings};
use ias_api_fixture::{
    client, ApiError, IasApi, Item, ItemKind, ItemList, NewItem, Settings, Status,
};
use serde_json::{json, Value};

/// What the handlers saw, in order.
#[derive(Default)]
struct Calls(Mutex<Vec<String>>);

impl Calls {
    fn record(&self, call: String) {
        self.0.lock().unwrap().push(call);
    }
    fn taken(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

enum Handlers {}

impl IasApi for Handlers {
    type Context = Calls;

    async fn list_items(
        rqctx: RequestContext<Calls>,
    ) -> Result<HttpResponseOk<ItemList>, ApiError<ListItems>> {
        rqctx.context().record("listItems".into());
        Ok(HttpResponseOk(ItemList::new(vec![Item::new(
            7,
            "seven".into(),
            ItemKind::Part,
            Status::Archived,
        )])))
    }

    async fn create_item(
        rqctx: RequestContext<Calls>,
        body: NewItem,
    ) -> Result<HttpResponseCreated<Item>, ApiError<CreateItem>> {
        rqctx.context().record(format!("createItem {}", body.name));
        let kind = match body.kind.as_str() {
            "tool" => ItemKind::Tool,
            _ => ItemKind::Part,
        };
        let mut item = Item::new(1, body.name, kind, body.status.unwrap_or(Status::Active));
        item.parts = body.parts;
        Ok(HttpResponseCreated(item))
    }

    async fn clear_items(
        rqctx: RequestContext<Calls>,
    ) -> Result<HttpResponseUpdatedNoContent, ApiError<ClearItems>> {
        rqctx.context().record("clearItems".into());
        Ok(HttpResponseUpdatedNoContent())
    }

    async fn replace_settings(
        rqctx: RequestContext<Calls>,
        body: Settings,
    ) -> Result<HttpResponseAccepted<Settings>, ApiError<ReplaceSettings>> {
        rqctx
            .context()
            .record(format!("replaceSettings {}", body.page_size));
        Ok(HttpResponseAccepted(body))
    }
}

#[tokio::test]
async fn valid_inputs_reach_the_handlers_and_invalid_ones_never_do() {
    let api = ias_api_fixture::ias_api_mod::api_description::<Handlers>().unwrap();
    let log = slog::Logger::root(slog::Discard, slog::o!());
    let server = ServerBuilder::new(api, Calls::default(), log)
        .config(ConfigDropshot {
            bind_address: "127.0.0.1:0".parse().unwrap(),
            ..Default::default()
        })
        .start()
        .unwrap();
    let base = format!("http://{}", server.local_addr());

    // Valid, through the generated client: each reaches its handler once.
    let api = client::Client::new(&base);
    let listed = api.list_items().await.unwrap().into_inner();
    assert_eq!(listed.items[0].id, 7);
    assert_eq!(listed.items[0].kind, client::types::ItemKind::Part);
    let new: client::types::NewItem = serde_json::from_value(json!({
        "name": "widget-1", "kind": "tool", "owner": "me", "count": 3, "weight": 0,
        "parts": [{"sku": "ABC-1", "quantity": 2}], "self": "s", "type": "t",
        "status": "archived", "history": ["active", "archived"],
        "secret": "a-long-secret", "extra": {"any": [1, "json"]}
    }))
    .unwrap();
    let created = api.create_item(&new).await.unwrap();
    assert_eq!(created.status(), 201);
    let created = created.into_inner();
    assert_eq!((created.id, created.name.as_str()), (1, "widget-1"));
    assert_eq!(
        created.parts[0].quantity,
        Some(std::num::NonZeroU64::new(2).unwrap())
    );
    assert_eq!(api.clear_items().await.unwrap().status(), 204);
    let settings: client::types::Settings =
        serde_json::from_value(json!({"pageSize": 20, "theme": "dark"})).unwrap();
    let accepted = api.replace_settings(&settings).await.unwrap();
    assert_eq!(accepted.status(), 202);
    assert_eq!(accepted.into_inner().page_size, 20);
    let calls = server.app_private();
    assert_eq!(
        calls.taken(),
        [
            "listItems",
            "createItem widget-1",
            "clearItems",
            "replaceSettings 20"
        ]
    );

    // Invalid, as raw HTTP: (method, path, body, content type, status,
    // group, code, the fields named in validationDetail).
    let valid = json!({"name": "widget-1", "kind": "tool", "owner": "me"});
    let with = |key: &str, value: Value| {
        let mut body = valid.clone();
        body[key] = value;
        body.to_string()
    };
    let json_type = Some("application/json");
    type Case<'a> = (
        &'a str,
        &'a str,
        String,
        Option<&'a str>,
        u16,
        &'a str,
        i64,
        Vec<&'a str>,
    );
    #[rustfmt::skip]
    let cases: Vec<Case<'_>> = vec![
        ("POST", "/items", String::new(), json_type, 400, "request", 1, vec![]),
        ("POST", "/items", "  ".into(), None, 400, "request", 1, vec![]),
        ("POST", "/items", "{}".into(), json_type, 400, "request", 0, vec!["name", "kind", "owner"]),
        ("POST", "/items", "[1]".into(), json_type, 400, "request", 0, vec![]),
        ("POST", "/items", "{\"name\":".into(), json_type, 400, "request", 0, vec![]),
        ("POST", "/items", valid.to_string(), Some("text/plain"), 400, "request", 0, vec![]),
        ("POST", "/items", with("kind", json!("gadget")), json_type, 400, "item", 3, vec![]),
        ("POST", "/items", with("name", json!("")), json_type, 400, "request", 0, vec!["name"]),
        ("POST", "/items", with("name", json!("Capital")), json_type, 400, "request", 0, vec!["name"]),
        ("POST", "/items", with("name", json!("a-name-that-is-too-long")), json_type, 400, "request", 0, vec!["name"]),
        ("POST", "/items", with("owner", json!("")), json_type, 400, "request", 0, vec!["owner"]),
        ("POST", "/items", with("status", json!("lost")), json_type, 400, "request", 0, vec!["status"]),
        ("POST", "/items", with("history", json!(["active", "gone"])), json_type, 400, "request", 0, vec!["history[1]"]),
        ("POST", "/items", with("count", json!(0)), json_type, 400, "request", 0, vec!["count"]),
        ("POST", "/items", with("count", json!(101)), json_type, 400, "request", 0, vec!["count"]),
        ("POST", "/items", with("count", json!("3")), json_type, 400, "request", 0, vec!["count"]),
        ("POST", "/items", with("count", json!(1.5)), json_type, 400, "request", 0, vec!["count"]),
        ("POST", "/items", with("weight", json!(-0.5)), json_type, 400, "request", 0, vec!["weight"]),
        ("POST", "/items", with("fragile", json!("yes")), json_type, 400, "request", 0, vec!["fragile"]),
        ("POST", "/items", with("tags", json!(["a", 1])), json_type, 400, "request", 0, vec!["tags[1]"]),
        ("POST", "/items", with("parts", json!([{"sku": "ABC-1"}, {"sku": "bad"}])), json_type, 400, "request", 0, vec!["parts[1].sku"]),
        ("POST", "/items", with("parts", json!([{"quantity": 0}])), json_type, 400, "request", 0, vec!["parts[0].sku", "parts[0].quantity"]),
        ("POST", "/items", with("secret", json!("short")), json_type, 400, "request", 0, vec!["secret"]),
        ("POST", "/items", with("type", json!(5)), json_type, 400, "request", 0, vec!["type"]),
        ("POST", "/items", with("self", json!(false)), json_type, 400, "request", 0, vec!["self"]),
        ("PUT", "/settings", "{}".into(), json_type, 400, "request", 0, vec!["pageSize"]),
        ("PUT", "/settings", json!({"pageSize": 9}).to_string(), json_type, 400, "request", 0, vec!["pageSize"]),
        ("PUT", "/settings", json!({"pageSize": 20, "theme": "blue"}).to_string(), json_type, 400, "request", 0, vec!["theme"]),
        ("PUT", "/settings", String::new(), json_type, 400, "request", 1, vec![]),
    ];
    let http = reqwest::Client::new();
    for (method, path, body, content_type, status, group, code, fields) in cases {
        let mut request = http
            .request(method.parse().unwrap(), format!("{base}{path}"))
            .body(body.clone());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.unwrap();
        let case = format!("{method} {path} {body}");
        assert_eq!(response.status().as_u16(), status, "{case}");
        let answer: client::types::ErrStatusMsg = response.json().await.unwrap();
        assert_eq!(
            (answer.group.as_str(), answer.code),
            (group, code),
            "{case}: {answer:?}"
        );
        let named: Vec<&str> = answer
            .validation_detail
            .iter()
            .filter_map(|d| d.field.as_deref())
            .collect();
        assert_eq!(named, fields, "{case}");
        // A secret is never echoed, whatever it was.
        if fields == ["secret"] {
            assert_eq!(answer.validation_detail[0].original_value, None, "{case}");
        }
        // The client names the documented error: by x-ias-error-names
        // (item/3) or after the pair itself (request/0, request/1).
        let named = client::ErrorCode::try_from(&answer).unwrap();
        let expected = match (group, code) {
            ("item", 3) => client::ErrorCode::UnknownKind,
            ("request", 1) => client::ErrorCode::Request1,
            _ => client::ErrorCode::Request0,
        };
        assert_eq!(named, expected, "{case}");
        assert_eq!(
            calls.taken(),
            Vec::<String>::new(),
            "{case} reached a handler"
        );
    }
    server.close().await.unwrap();
}

/// Every example of `shapes.yaml` fits the generated types (the same check
/// conformance makes of the contract).
#[test]
fn the_fixture_examples_round_trip_through_the_generated_types() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/shapes.yaml");
    let spec = ias_spec::load(path.as_ref(), "shapes.yaml").unwrap().json;
    ias_spec::examples::assert_round_trip(&spec, ias_api_fixture::example_round_trip);
}

/// The same check with a deliberately wrong type for one schema (Part's
/// `sku` as a number): the fixture's examples catch it, naming the place.
#[test]
#[should_panic(
    expected = "- Part.example: does not deserialize into WrongPart: invalid type: string \"ABC-1\", expected i64"
)]
fn a_wrongly_typed_schema_fails_the_examples() {
    #[derive(serde::Serialize, serde::Deserialize)]
    struct WrongPart {
        sku: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        quantity: Option<i64>,
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/shapes.yaml");
    let spec = ias_spec::load(path.as_ref(), "shapes.yaml").unwrap().json;
    ias_spec::examples::assert_round_trip(&spec, |schema, example| match schema {
        "Part" => Some(ias_api_fixture::examples::round_trip::<WrongPart>(example)),
        other => ias_api_fixture::example_round_trip(other, example),
    });
}
