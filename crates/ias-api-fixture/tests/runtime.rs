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
use ias_api_fixture::operations::{
    ClearItems, CreateItem, DeleteItem, GetItem, GrantToken, ListItems, ReplaceSettings,
    SearchItems,
};
use ias_api_fixture::{
    client, ApiError, DeleteItemCredential, DeleteItemParams, GetItemParams, Grant, IasApi, Item,
    ItemKind, ItemList, NewItem, ReplaceSettingsCredential, SearchItemsParams, Secret, Settings,
    Status, TokenRequest,
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
        let note = match &body.note {
            None => "absent".to_string(),
            Some(None) => "null".to_string(),
            Some(Some(text)) => format!("{text:?}"),
        };
        rqctx
            .context()
            .record(format!("createItem {} note {note}", body.name));
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
        credential: ReplaceSettingsCredential,
        body: Settings,
    ) -> Result<HttpResponseAccepted<Settings>, ApiError<ReplaceSettings>> {
        let ReplaceSettingsCredential::BearerAuthApiKey(token, key) = credential;
        rqctx.context().record(format!(
            "replaceSettings {} {} {}",
            body.page_size,
            token.expose_secret(),
            key.expose_secret()
        ));
        Ok(HttpResponseAccepted(body))
    }

    async fn grant_token(
        rqctx: RequestContext<Calls>,
        body: TokenRequest,
    ) -> Result<HttpResponseCreated<Grant>, ApiError<GrantToken>> {
        let by = match body {
            TokenRequest::CodeGrant(grant) => {
                format!(
                    "code {} {:?}",
                    grant.code.expose_secret(),
                    grant.redirect_uri
                )
            }
            TokenRequest::RefreshGrant(grant) => {
                format!("refresh {}", grant.refresh_token.expose_secret())
            }
        };
        rqctx.context().record(format!("grantToken {by}"));
        Ok(HttpResponseCreated(Grant::new(by)))
    }

    async fn get_item(
        rqctx: RequestContext<Calls>,
        credential: Secret,
        params: GetItemParams,
    ) -> Result<HttpResponseOk<Item>, ApiError<GetItem>> {
        rqctx.context().record(format!(
            "getItem {} {:?} {} {}",
            params.item_id,
            params.view.map(|v| v.as_str()),
            params.x_tenant,
            credential.expose_secret()
        ));
        Ok(HttpResponseOk(Item::new(
            params.item_id,
            "one".into(),
            ItemKind::Tool,
            Status::Active,
        )))
    }

    async fn delete_item(
        rqctx: RequestContext<Calls>,
        credential: DeleteItemCredential,
        params: DeleteItemParams,
    ) -> Result<HttpResponseUpdatedNoContent, ApiError<DeleteItem>> {
        let by = match credential {
            DeleteItemCredential::BearerAuth(t) => format!("bearer {}", t.expose_secret()),
            DeleteItemCredential::ApiKey(k) => format!("key {}", k.expose_secret()),
        };
        rqctx
            .context()
            .record(format!("deleteItem {} {by}", params.item_id));
        Ok(HttpResponseUpdatedNoContent())
    }

    async fn search_items(
        rqctx: RequestContext<Calls>,
        credential: Option<Secret>,
        params: SearchItemsParams,
    ) -> Result<HttpResponseOk<ItemList>, ApiError<SearchItems>> {
        let SearchItemsParams {
            q,
            limit,
            fragile,
            min_weight,
            status,
            kind,
            x_session,
            x_trace_depth,
        } = params;
        rqctx.context().record(format!(
            "searchItems {q} {limit:?} {fragile:?} {min_weight:?} {:?} {:?} {} {x_trace_depth:?} {}",
            status.map(Status::as_str),
            kind.map(|k| k.as_str()),
            x_session.as_ref().map_or("-", Secret::expose_secret),
            credential.as_ref().map_or("anonymous", Secret::expose_secret),
        ));
        Ok(HttpResponseOk(ItemList::new(Vec::new())))
    }
}

/// A client whose every request carries `headers` (the progenitor way of
/// sending a credential: set once on the reqwest client).
fn client_with(base: &str, headers: &[(&'static str, &str)]) -> client::Client {
    let mut map = reqwest::header::HeaderMap::new();
    for (name, value) in headers {
        map.insert(*name, value.parse().unwrap());
    }
    let http = reqwest::Client::builder()
        .default_headers(map)
        .build()
        .unwrap();
    client::Client::new_with_client(base, http)
}

/// The handlers, served on loopback, and their base URL.
fn serve() -> (dropshot::HttpServer<Calls>, String) {
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
    (server, base)
}

#[tokio::test]
async fn valid_inputs_reach_the_handlers_and_invalid_ones_never_do() {
    let (server, base) = serve();

    // Valid, through the generated client: each reaches its handler once.
    let api = client::Client::new(&base);
    let listed = api.list_items().await.unwrap().into_inner();
    assert_eq!(listed.items[0].id, 7);
    assert_eq!(listed.items[0].kind, client::types::ItemKind::Part);
    let new: client::types::NewItem = serde_json::from_value(json!({
        "name": "widget-1", "kind": "tool", "owner": "me", "count": 3, "weight": 0,
        "parts": [{"sku": "ABC-1", "quantity": 2}], "self": "s", "type": "t",
        "status": "archived", "history": ["active", "archived"],
        "secret": "a-long-secret", "extra": {"any": [1, "json"]},
        "labels": ["a", "b"], "keys": ["key-1", "key-2"], "step": 1.5, "weightLimit": 999,
        "mainPart": {"sku": "ABC-2", "origin": "FR"}
    }))
    .unwrap();
    // A nullable property's three states reach the handler apart.
    let raw = reqwest::Client::new();
    for note in [json!(null), json!("hi")] {
        let mut body = json!({"name": "widget-2", "kind": "part", "owner": "me"});
        body["note"] = note;
        let response = raw
            .post(format!("{base}/items"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    let created = api.create_item(&new).await.unwrap();
    assert_eq!(created.status(), 201);
    let created = created.into_inner();
    assert_eq!((created.id, created.name.as_str()), (1, "widget-1"));
    assert_eq!(
        created.parts[0].quantity,
        Some(std::num::NonZeroU64::new(2).unwrap())
    );
    assert_eq!(api.clear_items().await.unwrap().status(), 204);
    let both = client_with(
        &base,
        &[("authorization", "Bearer tok-1"), ("x-api-key", "key-1")],
    );
    let settings: client::types::Settings =
        serde_json::from_value(json!({"pageSize": 20, "theme": "dark", "motd": null})).unwrap();
    let accepted = both.replace_settings(&settings).await.unwrap();
    assert_eq!(accepted.status(), 202);
    assert_eq!(accepted.into_inner().page_size, 20);
    let bearer = client_with(&base, &[("authorization", "bearer tok-2")]);
    let id = std::num::NonZeroU64::new(42).unwrap();
    let tenant = "acme".parse().unwrap();
    let item = bearer.get_item(id, Some(client::types::GetItemView::Summary), &tenant);
    assert_eq!(item.await.unwrap().into_inner().id, 42);
    assert_eq!(
        bearer.get_item(id, None, &tenant).await.unwrap().status(),
        200
    );
    assert_eq!(bearer.delete_item(id).await.unwrap().status(), 204);
    let keyed = client_with(&base, &[("x-api-key", "key-2")]);
    assert_eq!(keyed.delete_item(id).await.unwrap().status(), 204);
    let q = "wid get".parse().unwrap();
    let session = "s-1234".parse().unwrap();
    let found = keyed.search_items(
        Some(true),
        Some(client::types::SearchItemsKind::Part),
        Some(std::num::NonZeroU32::new(50).unwrap()),
        Some(0.5),
        &q,
        Some(client::types::Status::Archived),
        Some(&session),
        Some(-3),
    );
    assert_eq!(found.await.unwrap().status(), 200);
    let anonymous = api.search_items(None, None, None, None, &q, None, None, None);
    assert_eq!(anonymous.await.unwrap().status(), 200);
    for body in [
        json!({"grantType": "authorization_code", "code": "c-1234", "redirectUri": "https://x"}),
        json!({"grantType": "refresh_token", "refreshToken": "r-12345678"}),
    ] {
        let request: client::types::TokenRequest = serde_json::from_value(body).unwrap();
        assert_eq!(api.grant_token(&request).await.unwrap().status(), 201);
    }
    let calls = server.app_private();
    assert_eq!(
        calls.taken(),
        [
            "listItems",
            "createItem widget-2 note null",
            "createItem widget-2 note \"hi\"",
            "createItem widget-1 note absent",
            "clearItems",
            "replaceSettings 20 tok-1 key-1",
            "getItem 42 Some(\"summary\") acme tok-2",
            "getItem 42 None acme tok-2",
            "deleteItem 42 bearer tok-2",
            "deleteItem 42 key key-2",
            "searchItems wid get Some(50) Some(true) Some(0.5) Some(\"archived\") Some(\"part\") s-1234 Some(-3) key-2",
            "searchItems wid get None None None None None - None anonymous",
            "grantToken code c-1234 Some(\"https://x\")",
            "grantToken refresh r-12345678",
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
    let json_type: &[(&str, &str)] = &[("content-type", "application/json")];
    let bearer: &[(&str, &str)] = &[("authorization", "Bearer t"), ("x-tenant", "acme")];
    let both: &[(&str, &str)] = &[
        ("authorization", "Bearer t"),
        ("x-api-key", "k"),
        ("content-type", "application/json"),
    ];
    let none: &[(&str, &str)] = &[];
    let settings = json!({"pageSize": 20, "motd": "hi"}).to_string();
    type Case<'a> = (
        &'a str,
        &'a str,
        String,
        &'a [(&'a str, &'a str)],
        u16,
        &'a str,
        i64,
        Vec<&'a str>,
    );
    #[rustfmt::skip]
    let cases: Vec<Case<'_>> = vec![
        ("POST", "/items", String::new(), json_type, 400, "request", 1, vec![]),
        ("POST", "/items", "  ".into(), none, 400, "request", 1, vec![]),
        ("POST", "/items", "{}".into(), json_type, 400, "request", 0, vec!["name", "kind", "owner"]),
        ("POST", "/items", "[1]".into(), json_type, 400, "request", 0, vec![]),
        ("POST", "/items", "{\"name\":".into(), json_type, 400, "request", 0, vec![]),
        ("POST", "/items", valid.to_string(), &[("content-type", "text/plain")], 400, "request", 0, vec![]),
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
        // Arrays: sizes, distinct items, each item's rules (named by index).
        ("POST", "/items", with("labels", json!([])), json_type, 400, "request", 0, vec!["labels"]),
        ("POST", "/items", with("labels", json!(["a", "b", "c", "d"])), json_type, 400, "request", 0, vec!["labels"]),
        ("POST", "/items", with("labels", json!(["a", "b", "a"])), json_type, 400, "request", 0, vec!["labels[2]"]),
        ("POST", "/items", with("labels", json!(["a", "Bad"])), json_type, 400, "request", 0, vec!["labels[1]"]),
        ("POST", "/items", with("labels", json!(["toolonglabel"])), json_type, 400, "request", 0, vec!["labels[0]"]),
        ("POST", "/items", with("labels", json!(["a", null])), json_type, 400, "request", 0, vec!["labels[1]"]),
        ("POST", "/items", with("keys", json!(["abcd", "abcd"])), json_type, 400, "request", 0, vec!["keys[1]"]),
        ("POST", "/items", with("keys", json!(["abcd", "abc"])), json_type, 400, "request", 0, vec!["keys[1]"]),
        ("POST", "/items", with("keys", json!(["abcd", 42])), json_type, 400, "request", 0, vec!["keys[1]"]),
        ("POST", "/items", with("step", json!(0.7)), json_type, 400, "request", 0, vec!["step"]),
        ("POST", "/items", with("step", json!(0)), json_type, 400, "request", 0, vec!["step"]),
        ("POST", "/items", with("weightLimit", json!(1000)), json_type, 400, "request", 0, vec!["weightLimit"]),
        ("POST", "/items", with("note", json!("too long")), json_type, 400, "request", 0, vec!["note"]),
        // allOf: the merged object's rules, the base's and its own.
        ("POST", "/items", with("mainPart", json!({"origin": "DE"})), json_type, 400, "request", 0, vec!["mainPart.sku"]),
        ("POST", "/items", with("mainPart", json!({"sku": "ABC-1", "origin": "D"})), json_type, 400, "request", 0, vec!["mainPart.origin"]),
        ("POST", "/items", with("mainPart", json!({"sku": "bad", "quantity": 0})), json_type, 400, "request", 0, vec!["mainPart.sku", "mainPart.quantity", "mainPart.origin"]),
        ("POST", "/items", with("note", json!(5)), json_type, 400, "request", 0, vec!["note"]),
        ("POST", "/items", with("parts", json!([{"sku": "ABC-1", "quantity": 9_223_372_036_854_775_808_u64}])), json_type, 400, "request", 0, vec!["parts[0].quantity"]),
        ("POST", "/items", with("count", json!(3_000_000_000_u64)), json_type, 400, "request", 0, vec!["count"]),
        // oneOf by grantType: the discriminator, then the variant's own rules.
        ("POST", "/tokens", json!({"code": "c-1234"}).to_string(), json_type, 400, "request", 0, vec!["grantType"]),
        ("POST", "/tokens", json!({"grantType": "password"}).to_string(), json_type, 400, "request", 0, vec!["grantType"]),
        ("POST", "/tokens", json!({"grantType": 7}).to_string(), json_type, 400, "request", 0, vec!["grantType"]),
        ("POST", "/tokens", json!({"grantType": "authorization_code"}).to_string(), json_type, 400, "request", 0, vec!["code"]),
        ("POST", "/tokens", json!({"grantType": "authorization_code", "code": "c-1", "redirectUri": "http://x"}).to_string(), json_type, 400, "request", 0, vec!["code", "redirectUri"]),
        ("POST", "/tokens", json!({"grantType": "refresh_token", "code": "c-1234"}).to_string(), json_type, 400, "request", 0, vec!["refreshToken", "code"]),
        ("POST", "/tokens", json!({"grantType": "refresh_token", "refreshToken": "short"}).to_string(), json_type, 400, "request", 0, vec!["refreshToken"]),
        ("POST", "/tokens", String::new(), json_type, 400, "request", 1, vec![]),
        // additionalProperties: false
        ("PUT", "/settings", json!({"pageSize": 20, "motd": null, "extra": "gho_x"}).to_string(), both, 400, "request", 0, vec!["extra"]),
        ("PUT", "/settings", "{}".into(), both, 400, "request", 0, vec!["pageSize", "motd"]),
        ("PUT", "/settings", json!({"pageSize": 20}).to_string(), both, 400, "request", 0, vec!["motd"]),
        ("PUT", "/settings", json!({"pageSize": 20, "motd": ""}).to_string(), both, 400, "request", 0, vec!["motd"]),
        ("PUT", "/settings", json!({"pageSize": 9, "motd": null}).to_string(), both, 400, "request", 0, vec!["pageSize"]),
        ("PUT", "/settings", json!({"pageSize": 20, "motd": null, "theme": "blue"}).to_string(), both, 400, "request", 0, vec!["theme"]),
        ("PUT", "/settings", String::new(), both, 400, "request", 1, vec![]),
        // Security: each requirement's schemes, all of them, well-formed, once.
        ("PUT", "/settings", settings.clone(), json_type, 401, "auth", 1, vec![]),
        ("PUT", "/settings", settings.clone(), &[("authorization", "Bearer t")], 401, "auth", 1, vec![]),
        ("PUT", "/settings", settings.clone(), &[("x-api-key", "k")], 401, "auth", 1, vec![]),
        ("PUT", "/settings", settings.clone(), &[("authorization", "Basic dTpw"), ("x-api-key", "k")], 401, "auth", 1, vec![]),
        ("PUT", "/settings", settings.clone(), &[("authorization", "Bearer "), ("x-api-key", "k")], 401, "auth", 1, vec![]),
        ("PUT", "/settings", settings.clone(), &[("authorization", "Bearer t"), ("x-api-key", "")], 401, "auth", 1, vec![]),
        // ... before the body is judged.
        ("PUT", "/settings", String::new(), none, 401, "auth", 1, vec![]),
        ("GET", "/items/1", String::new(), &[("x-tenant", "acme")], 401, "auth", 1, vec![]),
        ("GET", "/items/1", String::new(), &[("x-api-key", "k"), ("x-tenant", "acme")], 401, "auth", 1, vec![]),
        ("DELETE", "/items/1", String::new(), none, 401, "auth", 1, vec![]),
        ("DELETE", "/items/1", String::new(), &[("authorization", "Token t")], 401, "auth", 1, vec![]),
        ("GET", "/search?q=ab", String::new(), &[("x-api-key", "")], 401, "auth", 2, vec![]),
        // ... and before the parameters.
        ("GET", "/items/0?view=all", String::new(), none, 401, "auth", 1, vec![]),
        // Parameters: missing, not their type, malformed, repeated, rules.
        ("GET", "/items/1", String::new(), &[("authorization", "Bearer t")], 400, "request", 0, vec!["X-Tenant"]),
        ("GET", "/items/abc", String::new(), bearer, 400, "request", 0, vec!["itemId"]),
        ("GET", "/items/0", String::new(), bearer, 400, "request", 0, vec!["itemId"]),
        ("GET", "/items/1.5", String::new(), bearer, 400, "request", 0, vec!["itemId"]),
        ("GET", "/items/99999999999999999999", String::new(), bearer, 400, "request", 0, vec!["itemId"]),
        ("GET", "/items/1?view=all", String::new(), bearer, 400, "request", 0, vec!["view"]),
        ("GET", "/items/1?view=full&view=summary", String::new(), bearer, 400, "request", 0, vec!["view"]),
        ("GET", "/items/1?view=%zz", String::new(), bearer, 400, "request", 0, vec!["view"]),
        ("GET", "/items/1?view=%FF", String::new(), bearer, 400, "request", 0, vec!["view"]),
        ("GET", "/items/0?view=all", String::new(), &[("authorization", "Bearer t"), ("x-tenant", "ACME")], 400, "request", 0, vec!["itemId", "view", "X-Tenant"]),
        ("GET", "/items/1", String::new(), &[("authorization", "Bearer t"), ("x-tenant", "toolongname")], 400, "request", 0, vec!["X-Tenant"]),
        ("DELETE", "/items/1001", String::new(), &[("x-api-key", "k")], 400, "request", 0, vec!["itemId"]),
        ("GET", "/search", String::new(), none, 400, "request", 0, vec!["q"]),
        ("GET", "/search?q=a", String::new(), none, 400, "request", 0, vec!["q"]),
        ("GET", "/search?q=ab&limit=abc", String::new(), none, 400, "request", 0, vec!["limit"]),
        ("GET", "/search?q=ab&limit=0", String::new(), none, 400, "request", 0, vec!["limit"]),
        ("GET", "/search?q=ab&limit=51", String::new(), none, 400, "request", 0, vec!["limit"]),
        ("GET", "/search?q=ab&limit=", String::new(), none, 400, "request", 0, vec!["limit"]),
        ("GET", "/search?q=ab&fragile=yes", String::new(), none, 400, "request", 0, vec!["fragile"]),
        ("GET", "/search?q=ab&minWeight=-1", String::new(), none, 400, "request", 0, vec!["minWeight"]),
        ("GET", "/search?q=ab&minWeight=NaN", String::new(), none, 400, "request", 0, vec!["minWeight"]),
        ("GET", "/search?q=ab&status=lost", String::new(), none, 400, "request", 0, vec!["status"]),
        ("GET", "/search?q=ab", String::new(), &[("x-session", "abc")], 400, "request", 0, vec!["X-Session"]),
        ("GET", "/search?q=ab", String::new(), &[("x-trace-depth", "3000000000")], 400, "request", 0, vec!["X-Trace-Depth"]),
        ("GET", "/search?q=ab", String::new(), &[("x-trace-depth", "1"), ("x-trace-depth", "2")], 400, "request", 0, vec!["X-Trace-Depth"]),
        // A value outside an enum with x-ias-enum-error: that pair, once
        // nothing else is wrong.
        ("GET", "/search?q=ab&kind=gadget", String::new(), none, 400, "item", 3, vec![]),
        ("GET", "/search?q=a&kind=gadget", String::new(), none, 400, "request", 0, vec!["q"]),
        ("GET", "/search?q=ab&kind=gadget&limit=abc", String::new(), none, 400, "request", 0, vec!["limit"]),
        ("GET", "/search?q=ab&kind=gadget&limit=1&limit=2", String::new(), none, 400, "request", 0, vec!["limit"]),
    ];
    let http = reqwest::Client::new();
    for (method, path, body, headers, status, group, code, fields) in cases {
        let mut request = http
            .request(method.parse().unwrap(), format!("{base}{path}"))
            .body(body.clone());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        let case = format!("{method} {path} {body} {headers:?}");
        assert_eq!(response.status().as_u16(), status, "{case}");
        // A 401 says how to authenticate (RFC 6750 §3); nothing else does.
        let challenge = response.headers().get("www-authenticate");
        assert_eq!(
            challenge.map(|v| v.to_str().unwrap()),
            (status == 401).then_some("Bearer"),
            "{case}"
        );
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
        // A secret (or a secret item, or an unknown property) is never
        // echoed, whatever it was.
        if ["secret", "X-Session", "keys[1]", "extra"]
            .contains(&fields.first().copied().unwrap_or(""))
        {
            assert_eq!(answer.validation_detail[0].original_value, None, "{case}");
        }
        // The client names the documented error: by x-ias-error-names
        // (item/3) or after the pair itself (request/0, request/1).
        let named = client::ErrorCode::try_from(&answer).unwrap();
        let expected = match (group, code) {
            ("item", 3) => client::ErrorCode::UnknownKind,
            ("request", 1) => client::ErrorCode::Request1,
            ("auth", 1) => client::ErrorCode::Auth1,
            ("auth", 2) => client::ErrorCode::Auth2,
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

/// Request headers, as (name, value).
type Headers<'a> = &'a [(&'a str, &'a str)];

/// What a refused parameter's detail says: named as the spec spells it, the
/// expression and argument as for body fields, what was sent (decoded)
/// unless the parameter is secret.
#[tokio::test]
async fn a_refused_parameter_is_named_with_what_was_sent() {
    let (server, base) = serve();
    let http = reqwest::Client::new();
    #[rustfmt::skip]
    let cases: &[(&str, Headers<'_>, Value)] = &[
        ("/search", &[], json!({"field": "q", "expression": "required", "originalValue": "", "reason": "This field is required."})),
        ("/search?q=+", &[], json!({"field": "q", "expression": "min", "argument": "2", "originalValue": " ", "reason": "This field must be at least 2 characters long."})),
        ("/search?q=ab&limit=abc", &[], json!({"field": "limit", "expression": "type", "argument": "integer", "originalValue": "abc", "reason": "This parameter must be an integer."})),
        ("/search?q=ab&limit=51", &[], json!({"field": "limit", "expression": "max", "argument": "50", "originalValue": 51, "reason": "This field must be at most 50."})),
        ("/search?q=ab&fragile=1", &[], json!({"field": "fragile", "expression": "type", "argument": "boolean", "originalValue": "1", "reason": "This parameter must be a boolean."})),
        ("/search?q=ab&status=lost", &[], json!({"field": "status", "expression": "oneof", "argument": "active archived", "originalValue": "lost", "reason": "This field must be one of: active, archived."})),
        ("/search?q=ab&limit=1&limit=2", &[], json!({"field": "limit", "expression": "single", "reason": "This parameter must be sent once; it was sent 2 times."})),
        ("/search?q=%E9", &[], json!({"field": "q", "expression": "encoding", "originalValue": "\u{FFFD}", "reason": "This parameter is not UTF-8 text once percent-decoded."})),
        ("/search?q=ab%2", &[], json!({"field": "q", "expression": "encoding", "originalValue": "ab%2", "reason": "This parameter's percent-encoding is broken: `%` must be followed by two hex digits."})),
        // A secret parameter: never echoed, whatever was wrong.
        ("/search?q=ab", &[("x-session", "abc")], json!({"field": "X-Session", "expression": "min", "argument": "4", "reason": "This field must be at least 4 characters long."})),
        ("/search?q=ab", &[("x-session", "sécret")], json!({"field": "X-Session", "expression": "encoding", "reason": "This header must be visible ASCII text."})),
        ("/search?q=ab", &[("x-session", "s-1"), ("x-session", "s-2")], json!({"field": "X-Session", "expression": "single", "reason": "This parameter must be sent once; it was sent 2 times."})),
        ("/search?q=ab", &[("x-trace-depth", "d\u{e9}ep")], json!({"field": "X-Trace-Depth", "expression": "encoding", "originalValue": "d\u{e9}ep", "reason": "This header must be visible ASCII text."})),
        ("/search?q=ab", &[("x-trace-depth", "3000000000")], json!({"field": "X-Trace-Depth", "expression": "max", "argument": "2147483647", "originalValue": 3_000_000_000_i64, "reason": "This field must be at most 2147483647."})),
        ("/items/x1", &[("authorization", "Bearer t"), ("x-tenant", "acme")], json!({"field": "itemId", "expression": "type", "argument": "integer", "originalValue": "x1", "reason": "This parameter must be an integer."})),
    ];
    for (path, headers, detail) in cases {
        let mut request = http.get(format!("{base}{path}"));
        for (name, value) in *headers {
            request = request.header(*name, *value);
        }
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        assert_eq!(
            answer,
            json!({
                "group": "request",
                "code": 0,
                "message": "Invalid field in the request.",
                "validationDetail": [detail],
            }),
            "{path}"
        );
    }
    assert_eq!(server.app_private().taken(), Vec::<String>::new());
    server.close().await.unwrap();
}

/// The server's document is the spec (conformance: no mismatch), its
/// parameters included; security, which dropshot's documents lack, comes
/// from the generated routes, and each route's is the spec's.
#[test]
fn the_fixture_document_conforms_to_its_spec() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/shapes.yaml");
    let spec = ias_spec::load(path.as_ref(), "shapes.yaml").unwrap().json;
    let api = ias_api_fixture::ias_api_mod::stub_api_description().unwrap();
    let version = ias_api_fixture::API_VERSION.parse().unwrap();
    let mut document = api
        .openapi(ias_api_fixture::API_TITLE, version)
        .json()
        .unwrap();
    ias_api_fixture::security::document_security(&mut document, &ias_api_fixture::ROUTES);
    let mismatches = ias_spec::conformance(&spec, &document).unwrap();
    let shown: Vec<String> = mismatches.iter().map(ToString::to_string).collect();
    assert!(shown.is_empty(), "{}", shown.join("\n"));
    // Not vacuous: the document lists the parameters and the security.
    let search = &document["paths"]["/search"]["get"];
    let names: Vec<&str> = search["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "q",
            "limit",
            "fragile",
            "minWeight",
            "status",
            "kind",
            "X-Session",
            "X-Trace-Depth"
        ]
    );
    assert_eq!(search["security"], json!([{}, {"apiKey": []}]));
    let contract = ias_spec::model::contract(&spec).unwrap();
    for route in ias_api_fixture::ROUTES {
        let key = ias_spec::model::OperationKey::new(route.path, &route.method.to_lowercase());
        let op = &contract.operations[&key];
        assert_eq!(op.operation_id, route.operation_id);
        let generated: std::collections::BTreeSet<std::collections::BTreeSet<String>> = route
            .security
            .iter()
            .map(|alt| alt.iter().map(|s| s.to_string()).collect())
            .filter(|alt: &std::collections::BTreeSet<String>| !alt.is_empty())
            .collect();
        assert_eq!(generated, op.security, "{}", route.operation_id);
    }
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
