//! SCIM Groups and Bulk as a provisioning client drives them, and the headers and versions
//! every write carries.

use reqwest::Method;
use serde_json::json;
use sigil_test_utils::TestApp;

use super::scim::{PATCH, USER, provisioning_token, scim, scim_error};

#[tokio::test]
async fn groups_hold_users_and_patches_change_their_members() {
    let app = TestApp::spawn().await;
    let token = provisioning_token(&app).await;
    let alice = app.create_user("alice").await.id.to_string();
    let bob = app.create_user("bob").await.id.to_string();
    let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Tour Guides",
                      "externalId": "g-1", "members": [{"value": alice, "type": "User"}]});
    let (status, _, group) = scim(&app, &token, Method::POST, "/Groups", Some(body), &[]).await;
    assert_eq!(status, 201, "{group}");
    assert_eq!(group["members"][0]["value"], json!(alice));
    assert!(
        group["members"][0].get("display").is_none(),
        "returned when asked for"
    );
    let path = format!("/Groups/{}", group["id"].as_str().unwrap());
    let asked = format!("{path}?attributes=members.value,members.display");
    let (_, _, named) = scim(&app, &token, Method::GET, &asked, None, &[]).await;
    assert_eq!(
        named["members"],
        json!([{"value": alice, "display": "alice Example"}])
    );

    // Entra ID's way of adding and removing members.
    let add = json!({"schemas": [PATCH], "Operations": [{"op": "Add", "path": "members", "value": [{"value": bob}]}]});
    let (status, _, group) = scim(&app, &token, Method::PATCH, &path, Some(add), &[]).await;
    assert_eq!(status, 200, "{group}");
    assert_eq!(group["members"].as_array().unwrap().len(), 2);
    let (_, _, user) = scim(
        &app,
        &token,
        Method::GET,
        &format!("/Users/{bob}"),
        None,
        &[],
    )
    .await;
    assert_eq!(user["groups"][0]["display"], "Tour Guides");
    let filter = format!("/Groups?filter=members%20eq%20%22{bob}%22&excludedAttributes=members");
    let (_, _, found) = scim(&app, &token, Method::GET, &filter, None, &[]).await;
    assert_eq!(found["totalResults"], 1);
    assert!(found["Resources"][0].get("members").is_none());
    let remove = json!({"schemas": [PATCH], "Operations": [{"op": "remove", "path": format!("members[value eq \"{alice}\"]")}]});
    let (_, _, group) = scim(&app, &token, Method::PATCH, &path, Some(remove), &[]).await;
    assert_eq!(
        group["members"],
        json!([{"value": bob, "$ref": app.url(&format!("/scim/v2/Users/{bob}")), "type": "User"}])
    );

    // Members are users that exist.
    let ghost = json!({"schemas": [PATCH], "Operations": [{"op": "add", "path": "members", "value": [{"value": "no-such-user"}]}]});
    let (status, _, body) = scim(&app, &token, Method::PATCH, &path, Some(ghost), &[]).await;
    scim_error(status, &body, 400, Some("invalidValue"));
    let (_, _, group) = scim(&app, &token, Method::GET, &path, None, &[]).await;
    assert_eq!(
        group["members"].as_array().unwrap().len(),
        1,
        "nothing half-written"
    );
}

#[tokio::test]
async fn bulk_requests_resolve_bulk_ids_in_any_order() {
    let app = TestApp::spawn().await;
    let token = provisioning_token(&app).await;
    let request = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [
            {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Ops",
                "members": [{"type": "User", "value": "bulkId:u"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "u", "data": {"schemas": [USER], "userName": "dana"}},
            {"method": "POST", "path": "/Users", "bulkId": "bad", "data": {"schemas": [USER]}},
            {"method": "DELETE", "path": "/Users/nobody"}
        ]
    });
    let (status, _, body) = scim(&app, &token, Method::POST, "/Bulk", Some(request), &[]).await;
    assert_eq!(status, 200, "{body}");
    let ops = body["Operations"].as_array().unwrap();
    let by_id = |id: &str| ops.iter().find(|o| o["bulkId"] == id).unwrap().clone();
    assert_eq!(by_id("u")["status"], "201");
    assert_eq!(by_id("g")["status"], "201", "{body}");
    assert_eq!(by_id("bad")["status"], "400");
    assert_eq!(by_id("bad")["response"]["scimType"], "invalidValue");
    assert!(
        ops.iter()
            .any(|o| o["method"] == "DELETE" && o["status"] == "404")
    );
    let group_path = by_id("g")["location"]
        .as_str()
        .unwrap()
        .rsplit_once("/scim/v2")
        .unwrap()
        .1
        .to_owned();
    let asked = format!("{group_path}?attributes=members.display");
    let (_, _, group) = scim(&app, &token, Method::GET, &asked, None, &[]).await;
    assert_eq!(group["members"][0]["display"], "dana", "{group}");
}

#[tokio::test]
async fn headers_versions_and_tenants_hold_whatever_the_request_asks() {
    let app = TestApp::spawn().await;
    let token = provisioning_token(&app).await;
    // Location and ETag come with a created resource even when the body leaves `meta` out.
    let body = json!({"schemas": [USER], "userName": "ida"});
    let (status, headers, user) = scim(
        &app,
        &token,
        Method::POST,
        "/Users?attributes=userName",
        Some(body),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{user}");
    assert!(user.get("meta").is_none());
    let id = user["id"].as_str().unwrap().to_owned();
    assert_eq!(
        headers["location"],
        app.url(&format!("/scim/v2/Users/{id}"))
    );
    assert_eq!(headers["etag"], "W/\"1\"");

    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Pilots", "members": [{"value": id}]});
    let (_, headers, group) = scim(&app, &token, Method::POST, "/Groups", Some(group), &[]).await;
    let path = format!("/Groups/{}", group["id"].as_str().unwrap());
    let tag = headers["etag"].to_str().unwrap().to_owned();
    // Renaming leaves the members alone.
    let rename = json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "displayName", "value": "Aviators"}]});
    let (_, headers, renamed) = scim(
        &app,
        &token,
        Method::PATCH,
        &path,
        Some(rename),
        &[("if-match", &tag)],
    )
    .await;
    assert_eq!(renamed["members"][0]["value"], json!(id));
    let tag = headers["etag"].to_str().unwrap().to_owned();
    // A member's deletion is a change of the group: its old version is no longer current.
    assert_eq!(
        scim(
            &app,
            &token,
            Method::DELETE,
            &format!("/Users/{id}"),
            None,
            &[]
        )
        .await
        .0,
        204
    );
    let (status, _, group) = scim(
        &app,
        &token,
        Method::GET,
        &path,
        None,
        &[("if-none-match", &tag)],
    )
    .await;
    assert_eq!(status, 200, "{group}");
    assert!(group.get("members").is_none());

    // A user of another tenant is no member here.
    app.provider
        .create_tenant("acme", "Acme", "test")
        .await
        .unwrap();
    let outsider = app
        .provider
        .create_user(
            &sigil_core::TenantId::parse("acme").unwrap(),
            sigil_oidc::admin::NewUser {
                username: "eve".into(),
                ..Default::default()
            },
            "test",
        )
        .await
        .unwrap();
    let add = json!({"schemas": [PATCH], "Operations": [{"op": "add", "path": "members", "value": [{"value": outsider.id}]}]});
    let (status, _, body) = scim(&app, &token, Method::PATCH, &path, Some(add), &[]).await;
    scim_error(status, &body, 400, Some("invalidValue"));
}
