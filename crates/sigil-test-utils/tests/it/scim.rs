//! SCIM 2.0 provisioning as an HR system drives it: discovery, authentication, Users with the
//! enterprise extension, filters, paging, PATCH and ETags (Groups and Bulk in `scim_groups`).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sigil_test_utils::TestApp;

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Calls SCIM with a bearer token; returns status, headers and body.
pub async fn scim(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut req = app
        .http()
        .request(method, app.url(&format!("/scim/v2{path}")))
        .bearer_auth(token);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/scim+json")
            .body(b.to_string());
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A provisioning token of the default tenant.
pub async fn provisioning_token(app: &TestApp) -> String {
    app.provider
        .create_provisioning_token(&app.tenant(), "HR".into(), "test")
        .await
        .unwrap()
        .1
}

pub fn scim_error(status: StatusCode, body: &Value, expected: u16, scim_type: Option<&str>) {
    assert_eq!(status.as_u16(), expected, "{body}");
    assert_eq!(
        body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
        "{body}"
    );
    assert_eq!(body["status"], expected.to_string(), "{body}");
    if let Some(t) = scim_type {
        assert_eq!(body["scimType"], t, "{body}");
    }
}

fn babs() -> Value {
    json!({
        "schemas": [USER, ENTERPRISE],
        "userName": "bjensen@example.com",
        "externalId": "701984",
        "name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara"},
        "displayName": "Babs Jensen",
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "phoneNumbers": [{"value": "555-555-8377", "type": "work"}],
        "title": "Tour Guide",
        "active": true,
        "password": "t1meMa$heen-and-more",
        ENTERPRISE: {"employeeNumber": "701984", "department": "Tour Operations"}
    })
}

#[tokio::test]
async fn discovery_describes_the_service_without_authentication() {
    let app = TestApp::spawn().await;
    let get = |path: &'static str| {
        let app = &app;
        async move {
            let res = app
                .http()
                .get(app.url(&format!("/scim/v2{path}")))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            assert_eq!(res.headers()["content-type"], "application/scim+json");
            res.json::<Value>().await.unwrap()
        }
    };
    let config = get("/ServiceProviderConfig").await;
    for feature in ["patch", "bulk", "filter", "sort", "etag", "changePassword"] {
        assert_eq!(config[feature]["supported"], true, "{feature}");
    }
    assert_eq!(
        config["authenticationSchemes"][0]["type"],
        "oauthbearertoken"
    );
    let types = get("/ResourceTypes").await;
    assert_eq!(types["totalResults"], 2);
    assert_eq!(
        get("/ResourceTypes/User").await["schemaExtensions"][0]["schema"],
        ENTERPRISE
    );
    let user = get(&*Box::leak(format!("/Schemas/{USER}").into_boxed_str())).await;
    let username = user["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "userName")
        .unwrap();
    assert_eq!(
        (username["required"].clone(), username["uniqueness"].clone()),
        (json!(true), json!("server"))
    );
    assert_eq!(get("/Schemas").await["totalResults"], 3);
}

#[tokio::test]
async fn only_scim_tokens_and_provisioning_tokens_of_the_tenant_get_in() {
    let app = TestApp::spawn().await;
    let (status, headers, body) = scim(&app, "nonsense", Method::GET, "/Users", None, &[]).await;
    scim_error(status, &body, 401, None);
    assert!(headers.contains_key("www-authenticate"));
    let users_only = app.admin_token(&["users:read"]).await;
    let (status, _, body) = scim(&app, &users_only, Method::GET, "/Users", None, &[]).await;
    scim_error(status, &body, 403, None);
    let oauth = app.admin_token(&["scim"]).await;
    assert_eq!(
        scim(&app, &oauth, Method::GET, "/Users", None, &[]).await.0,
        200
    );

    let (record, token) = app
        .provider
        .create_provisioning_token(&app.tenant(), "Workday".into(), "test")
        .await
        .unwrap();
    assert!(token.starts_with("sigil_scim_"));
    let (status, _, created) = scim(
        &app,
        &token,
        Method::POST,
        "/Users",
        Some(json!({"schemas": [USER], "userName": "pat"})),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{created}");
    // The audit trail names the token that acted.
    let (events, _) = app
        .provider
        .list_audit(&app.tenant(), sigil_store::AuditQuery::latest(5))
        .await
        .unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.event.actor == format!("provisioning-token:{}", record.id))
    );
    // Another tenant does not take it; a deleted token stops working at once.
    app.provider
        .create_tenant("acme", "Acme", "test")
        .await
        .unwrap();
    let res = app
        .http()
        .get(app.url("/t/acme/scim/v2/Users"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    app.provider
        .delete_provisioning_token(&app.tenant(), &record.id, "test")
        .await
        .unwrap();
    assert_eq!(
        scim(&app, &token, Method::GET, "/Users", None, &[]).await.0,
        401
    );
}

#[tokio::test]
async fn users_are_created_read_replaced_patched_and_deleted() {
    let app = TestApp::spawn().await;
    let token = provisioning_token(&app).await;
    let (status, headers, user) =
        scim(&app, &token, Method::POST, "/Users", Some(babs()), &[]).await;
    assert_eq!(status, 201, "{user}");
    let id = user["id"].as_str().unwrap().to_owned();
    assert_eq!(
        headers["location"],
        app.url(&format!("/scim/v2/Users/{id}"))
    );
    assert_eq!(headers["etag"], "W/\"1\"");
    assert_eq!(user["meta"]["version"], "W/\"1\"");
    assert_eq!(user["name"]["givenName"], "Barbara");
    assert_eq!(user[ENTERPRISE]["department"], "Tour Operations");
    assert_eq!(user["emails"][1]["value"], "babs@jensen.org");
    assert!(user.get("password").is_none(), "write-only");
    // What sign-in uses lives in Sigil's own fields.
    let stored = app
        .provider
        .find_user(&app.tenant(), "BJensen@example.com")
        .await
        .unwrap();
    assert_eq!(
        (stored.email.as_deref(), stored.name.as_deref()),
        (Some("bjensen@example.com"), Some("Babs Jensen"))
    );
    assert!(
        stored
            .password_hash
            .as_deref()
            .unwrap()
            .starts_with("$argon2id$")
    );

    // userName is unique ignoring case.
    let mut twin = babs();
    twin["userName"] = json!("BJENSEN@example.com");
    let (status, _, body) = scim(&app, &token, Method::POST, "/Users", Some(twin), &[]).await;
    scim_error(status, &body, 409, Some("uniqueness"));

    let path = format!("/Users/{id}");
    let (status, headers, read) = scim(&app, &token, Method::GET, &path, None, &[]).await;
    assert_eq!((status.as_u16(), &read), (200, &user));
    let (status, _, _) = scim(
        &app,
        &token,
        Method::GET,
        &path,
        None,
        &[("if-none-match", "W/\"1\"")],
    )
    .await;
    assert_eq!(status, 304);
    assert_eq!(headers["etag"], "W/\"1\"");
    let (_, _, some) = scim(
        &app,
        &token,
        Method::GET,
        &format!("{path}?attributes=userName,name.familyName"),
        None,
        &[],
    )
    .await;
    assert_eq!(
        some,
        json!({"schemas": [USER, ENTERPRISE], "id": id, "userName": "bjensen@example.com", "name": {"familyName": "Jensen"}})
    );

    // PATCH as Entra ID sends it: deactivate, change the department and the work e-mail.
    let ops = json!({"schemas": [PATCH], "Operations": [
        {"op": "Replace", "path": "active", "value": false},
        {"op": "replace", "path": format!("{ENTERPRISE}:department"), "value": "Sales"},
        {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "barbara@example.com"}
    ]});
    let (status, headers, patched) = scim(
        &app,
        &token,
        Method::PATCH,
        &path,
        Some(ops),
        &[("if-match", "W/\"1\"")],
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(headers["etag"], "W/\"2\"");
    assert_eq!(
        (
            patched["active"].clone(),
            patched[ENTERPRISE]["department"].clone()
        ),
        (json!(false), json!("Sales"))
    );
    let stored = app
        .provider
        .get_user(&app.tenant(), &stored.id)
        .await
        .unwrap();
    assert!(stored.disabled, "deactivated users cannot sign in");
    assert_eq!(
        stored.email.as_deref(),
        Some("barbara@example.com"),
        "the primary e-mail is the user's"
    );

    // A stale If-Match is refused; a patch of a read-only attribute too.
    let noop = json!({"schemas": [PATCH], "Operations": [{"op": "add", "path": "title", "value": "Guide"}]});
    let (status, _, body) = scim(
        &app,
        &token,
        Method::PATCH,
        &path,
        Some(noop),
        &[("if-match", "W/\"1\"")],
    )
    .await;
    scim_error(status, &body, 412, None);
    let readonly =
        json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "id", "value": "x"}]});
    let (status, _, body) = scim(&app, &token, Method::PATCH, &path, Some(readonly), &[]).await;
    scim_error(status, &body, 400, Some("mutability"));

    // PUT replaces: what it leaves out is gone.
    let (status, _, replaced) = scim(
        &app,
        &token,
        Method::PUT,
        &path,
        Some(json!({"schemas": [USER], "userName": "babs", "active": true})),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{replaced}");
    assert!(
        replaced.get("name").is_none() && replaced.get("emails").is_none(),
        "{replaced}"
    );
    assert_eq!(replaced["meta"]["version"], "W/\"3\"");

    let (status, _, _) = scim(&app, &token, Method::DELETE, &path, None, &[]).await;
    assert_eq!(status, 204);
    let (status, _, body) = scim(&app, &token, Method::GET, &path, None, &[]).await;
    scim_error(status, &body, 404, None);
}

#[tokio::test]
async fn filters_sort_and_pages_run_in_the_store() {
    let app = TestApp::spawn().await;
    let token = provisioning_token(&app).await;
    for (name, external, active) in [
        ("ann", "e1", true),
        ("anna", "e2", false),
        ("bert", "E3", true),
        ("cleo", "e4", true),
    ] {
        let body = json!({"schemas": [USER], "userName": name, "externalId": external, "active": active,
                          "emails": [{"value": format!("{name}@Example.com")}]});
        assert_eq!(
            scim(&app, &token, Method::POST, "/Users", Some(body), &[])
                .await
                .0,
            201
        );
    }
    let names = |body: &Value| -> Vec<String> {
        body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["userName"].as_str().unwrap().to_owned())
            .collect()
    };
    let search = |query: &str| {
        let app = &app;
        let token = &token;
        let path = format!("/Users?{query}");
        async move { scim(app, token, Method::GET, &path, None, &[]).await }
    };
    let (_, _, body) = search("filter=userName%20sw%20%22ANN%22&sortBy=userName").await;
    assert_eq!(names(&body), ["ann", "anna"]);
    let (_, _, body) = search("filter=externalId%20eq%20%22e3%22").await;
    assert_eq!(body["totalResults"], 0, "externalId is case-exact");
    let (_, _, body) = search("filter=emails.value%20ew%20%22example.com%22%20and%20not%20(active%20eq%20false)&sortBy=userName&sortOrder=descending").await;
    assert_eq!(names(&body), ["cleo", "bert", "ann"]);
    let (_, _, body) = search("sortBy=userName&startIndex=2&count=2").await;
    assert_eq!(
        (
            body["totalResults"].clone(),
            body["startIndex"].clone(),
            body["itemsPerPage"].clone()
        ),
        (json!(4), json!(2), json!(2))
    );
    assert_eq!(names(&body), ["anna", "bert"]);
    let (_, _, body) = search("count=0").await;
    assert_eq!(
        (body["totalResults"].clone(), body["Resources"].clone()),
        (json!(4), json!([]))
    );

    // POST /.search takes the same parameters as a body.
    let request = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": "userName eq \"Cleo\"", "attributes": ["userName"]});
    let (status, _, body) = scim(
        &app,
        &token,
        Method::POST,
        "/Users/.search",
        Some(request),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["Resources"][0].as_object().unwrap().len(),
        3,
        "schemas, id, userName: {body}"
    );

    for bad in [
        "filter=userName%20eq",
        "filter=title%20eq%20%22x%22",
        "filter=active%20gt%20true",
    ] {
        let (status, _, body) = search(bad).await;
        scim_error(status, &body, 400, Some("invalidFilter"));
    }
}
