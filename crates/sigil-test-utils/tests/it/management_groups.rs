//! The management API's groups and memberships.

use reqwest::Method;
use serde_json::{Value, json};
use sigil_test_utils::TestApp;

use super::api::{call, is_problem};

async fn create_group(app: &TestApp, token: &str, name: &str) -> Value {
    let (status, _, group) = call(
        app,
        token,
        Method::POST,
        "/groups",
        Some(json!({"name": name})),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{group}");
    group
}

#[tokio::test]
async fn groups_hold_members_and_count_their_changes() {
    let app = TestApp::spawn().await;
    let token = app.admin_token(&["groups:read", "groups:write"]).await;
    let alice = app.create_user("alice").await.id.to_string();

    let (status, headers, eng) = call(
        &app,
        &token,
        Method::POST,
        "/groups",
        Some(json!({"name": "Engineering", "description": "builds things"})),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{eng}");
    assert_eq!(headers["etag"], "\"1\"");
    let path = format!("/groups/{}", eng["id"].as_str().unwrap());
    assert_eq!(
        headers["location"].to_str().unwrap(),
        app.url(&format!("/api/v1{path}"))
    );
    let (status, headers, problem) = call(
        &app,
        &token,
        Method::POST,
        "/groups",
        Some(json!({"name": "ENGINEERING"})),
        &[],
    )
    .await;
    assert_eq!(status, 409, "names are unique ignoring case");
    is_problem(&headers, &problem, "conflict");

    // Membership: added once (201, then 200), and it counts as a change of the group.
    let members = format!("{path}/members");
    let add = json!({"user_id": alice});
    let (status, _, member) =
        call(&app, &token, Method::POST, &members, Some(add.clone()), &[]).await;
    assert_eq!(status, 201, "{member}");
    assert_eq!(member["username"], "alice");
    let (status, _, _) = call(&app, &token, Method::POST, &members, Some(add), &[]).await;
    assert_eq!(status, 200, "already a member");
    let (_, headers, _) = call(&app, &token, Method::GET, &path, None, &[]).await;
    assert_eq!(headers["etag"], "\"2\"");
    let (_, _, listed) = call(&app, &token, Method::GET, &members, None, &[]).await;
    assert_eq!(listed["items"][0]["id"], alice.as_str());
    let (_, _, of_alice) = call(
        &app,
        &token,
        Method::GET,
        &format!("/users/{alice}/groups"),
        None,
        &[],
    )
    .await;
    assert_eq!(of_alice["items"][0]["name"], "Engineering");
    let (status, _, problem) = call(
        &app,
        &token,
        Method::POST,
        &members,
        Some(json!({"user_id": "nobody"})),
        &[],
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["pointer"], "/user_id");

    // Renaming is optimistic.
    let rename = json!({"name": "R&D", "description": null});
    let (status, _, _) = call(
        &app,
        &token,
        Method::PATCH,
        &path,
        Some(rename.clone()),
        &[("if-match", "\"1\"")],
    )
    .await;
    assert_eq!(status, 412);
    let (status, headers, renamed) = call(
        &app,
        &token,
        Method::PATCH,
        &path,
        Some(rename),
        &[("if-match", "\"2\"")],
    )
    .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(
        (renamed["name"].as_str(), &renamed["description"]),
        (Some("R&D"), &Value::Null)
    );
    assert_eq!(headers["etag"], "\"3\"");

    // Leaving, then deleting the group.
    let membership = format!("{members}/{alice}");
    let (status, _, _) = call(&app, &token, Method::DELETE, &membership, None, &[]).await;
    assert_eq!(status, 204);
    let (status, _, _) = call(&app, &token, Method::DELETE, &membership, None, &[]).await;
    assert_eq!(status, 404);
    let (status, _, _) = call(&app, &token, Method::DELETE, &path, None, &[]).await;
    assert_eq!(status, 204);
    let (status, _, _) = call(&app, &token, Method::GET, &path, None, &[]).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn groups_are_listed_by_name_and_need_their_scopes() {
    let app = TestApp::spawn().await;
    let token = app.admin_token(&["groups:read", "groups:write"]).await;
    for name in ["ops", "Finance", "Ops-oncall", "ops-leads"] {
        create_group(&app, &token, name).await;
    }
    let mut seen = Vec::new();
    let mut next = Some("/groups?name_prefix=OPS&limit=2".to_owned());
    while let Some(url) = next.take() {
        let (status, headers, page) = call(&app, &token, Method::GET, &url, None, &[]).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["name"].as_str().unwrap().to_owned()),
        );
        next = headers.get("link").map(|l| {
            let l = l.to_str().unwrap();
            l[1..l.find('>').unwrap()].to_owned()
        });
    }
    assert_eq!(seen, vec!["ops", "ops-leads", "Ops-oncall"]);
    // A cursor longer than the documented 1024 characters is refused, even a decodable one.
    let long = sigil_core::b64url_encode("o".repeat(800));
    let (status, _, _) = call(
        &app,
        &token,
        Method::GET,
        &format!("/groups?after={long}"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 422);

    let reader = app.admin_token(&["groups:read"]).await;
    let (status, headers, problem) = call(
        &app,
        &reader,
        Method::POST,
        "/groups",
        Some(json!({"name": "x"})),
        &[],
    )
    .await;
    assert_eq!(status, 403);
    is_problem(&headers, &problem, "insufficient-scope");
    let (status, _, _) = call(
        &app,
        &token,
        Method::POST,
        "/groups",
        Some(json!({"name": " padded"})),
        &[],
    )
    .await;
    assert_eq!(status, 422);
}
