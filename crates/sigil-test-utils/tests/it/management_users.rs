//! The management API's users, through HTTP as automation would use them.

use reqwest::Method;

use super::api::{call, is_problem};
use serde_json::{Value, json};
use sigil_test_utils::{PASSWORD, TestApp};

#[tokio::test]
async fn users_are_created_read_changed_and_deleted_with_etags() {
    let app = TestApp::spawn().await;
    let token = app.admin_token(&["users:read", "users:write"]).await;

    let (status, headers, created) = call(
        &app,
        &token,
        Method::POST,
        "/users",
        Some(json!({"username": "Ada", "email": "ada@example.com", "password": PASSWORD, "name": "Ada L"})),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(headers["etag"], "\"1\"");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        headers["location"].to_str().unwrap(),
        app.url(&format!("/api/v1/users/{id}"))
    );
    assert_eq!(created["username"], "Ada");
    assert_eq!(created["has_password"], true);
    assert!(created.get("password").is_none() && created.get("password_hash").is_none());
    assert!(created["created_at"].as_str().unwrap().ends_with('Z'));

    let (status, headers, read) = call(
        &app,
        &token,
        Method::GET,
        &format!("/users/{id}"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(read, created);
    assert_eq!(headers["etag"], "\"1\"");
    let (status, _, _) = call(
        &app,
        &token,
        Method::GET,
        &format!("/users/{id}"),
        None,
        &[("if-none-match", "\"1\"")],
    )
    .await;
    assert_eq!(status, 304);

    // Updates need If-Match; a stale one is refused; `null` clears a field.
    let patch = json!({"email": null, "name": "Ada Lovelace"});
    let (status, headers, body) = call(
        &app,
        &token,
        Method::PATCH,
        &format!("/users/{id}"),
        Some(patch.clone()),
        &[],
    )
    .await;
    assert_eq!(status, 428);
    is_problem(&headers, &body, "precondition-required");
    let (status, _, changed) = call(
        &app,
        &token,
        Method::PATCH,
        &format!("/users/{id}"),
        Some(patch.clone()),
        &[("if-match", "\"1\"")],
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["email"], Value::Null);
    assert_eq!(changed["email_verified"], false);
    assert_eq!(changed["name"], "Ada Lovelace");
    let (status, headers, body) = call(
        &app,
        &token,
        Method::PATCH,
        &format!("/users/{id}"),
        Some(json!({"disabled": true})),
        &[("if-match", "\"1\"")],
    )
    .await;
    assert_eq!(
        status, 412,
        "a second admin working from revision 1 is stopped"
    );
    is_problem(&headers, &body, "precondition-failed");
    let (_, _, still) = call(
        &app,
        &token,
        Method::GET,
        &format!("/users/{id}"),
        None,
        &[],
    )
    .await;
    assert_eq!(still["disabled"], false, "nothing was overwritten");

    // Disabling stops sign-in.
    let (status, headers, _) = call(
        &app,
        &token,
        Method::PATCH,
        &format!("/users/{id}"),
        Some(json!({"disabled": true})),
        &[("if-match", "\"2\"")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["etag"], "\"3\"");
    let client = app.web_client().await;
    let browser = app.browser();
    let authorize = format!(
        "/authorize?response_type=code&client_id={}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=openid&code_challenge={}&code_challenge_method=S256",
        client.client_id,
        sigil_test_utils::pkce::pair().1
    );
    let page = browser
        .authorize(&app.url(&authorize), "Ada", PASSWORD)
        .await;
    assert!(
        page.location().is_none(),
        "a disabled user is not signed in"
    );

    // A new password set by an administrator works; a weak one is refused.
    let (status, headers, body) = call(
        &app,
        &token,
        Method::POST,
        &format!("/users/{id}/password"),
        Some(json!({"password": "short"})),
        &[],
    )
    .await;
    assert_eq!(status, 422);
    is_problem(&headers, &body, "validation");
    assert_eq!(body["errors"][0]["pointer"], "/password");
    let (status, headers, _) = call(
        &app,
        &token,
        Method::POST,
        &format!("/users/{id}/password"),
        Some(json!({"password": "a brand new passphrase"})),
        &[],
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(headers["etag"], "\"4\"");
    let (_, _, _) = call(
        &app,
        &token,
        Method::PATCH,
        &format!("/users/{id}"),
        Some(json!({"disabled": false})),
        &[("if-match", "*")],
    )
    .await;
    let page = app
        .browser()
        .authorize(&app.url(&authorize), "Ada", "a brand new passphrase")
        .await;
    assert!(
        page.location()
            .unwrap()
            .starts_with("https://app.example/cb?code="),
        "signed in with the new password"
    );

    // Deleting: a stale If-Match is refused, then it goes, then it is gone.
    let (status, _, _) = call(
        &app,
        &token,
        Method::DELETE,
        &format!("/users/{id}"),
        None,
        &[("if-match", "\"1\"")],
    )
    .await;
    assert_eq!(status, 412);
    let (status, _, _) = call(
        &app,
        &token,
        Method::DELETE,
        &format!("/users/{id}"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 204);
    let (status, headers, body) = call(
        &app,
        &token,
        Method::GET,
        &format!("/users/{id}"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 404);
    is_problem(&headers, &body, "not-found");
    let events: Vec<String> = app
        .provider
        .store()
        .list_audit(&app.tenant(), &sigil_store::AuditQuery::latest(50))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.event)
        .filter(|e| e.actor.starts_with("client:"))
        .map(|e| e.kind.as_str().to_owned())
        .collect();
    for kind in [
        "user.created",
        "user.updated",
        "user.password_set",
        "user.deleted",
    ] {
        assert!(
            events.iter().any(|e| e == kind),
            "{kind} audited with the client as actor: {events:?}"
        );
    }
}

#[tokio::test]
async fn bad_requests_get_precise_problems() {
    let app = TestApp::spawn().await;
    let token = app.admin_token(&["users:read", "users:write"]).await;
    app.create_user("taken").await;

    let (status, headers, body) = call(
        &app,
        &token,
        Method::POST,
        "/users",
        Some(json!({"username": "TAKEN"})),
        &[],
    )
    .await;
    assert_eq!(status, 409);
    is_problem(&headers, &body, "conflict");

    let (status, headers, body) = call(
        &app,
        &token,
        Method::POST,
        "/users",
        Some(json!({"username": "x", "emial": "a@b"})),
        &[],
    )
    .await;
    assert_eq!(status, 400);
    is_problem(&headers, &body, "malformed-request");
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("emial"),
        "{body}"
    );

    let (status, _, body) = call(
        &app,
        &token,
        Method::POST,
        "/users",
        Some(json!({"username": 7})),
        &[],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["pointer"], "/username");

    let (status, _, body) = call(
        &app,
        &token,
        Method::POST,
        "/users",
        Some(json!({"username": "bob", "email": "not-an-address"})),
        &[],
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["pointer"], "/email");

    let res = app
        .http()
        .post(app.url("/api/v1/users"))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("username=bob")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);

    let res = app
        .http()
        .post(app.url("/api/v1/users"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(vec![b' '; 3 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);

    for (query, pointer) in [("?limit=0", "/limit"), ("?limit=999", "/limit")] {
        let (status, _, body) = call(
            &app,
            &token,
            Method::GET,
            &format!("/users{query}"),
            None,
            &[],
        )
        .await;
        assert_eq!(status, 422, "{query}: {body}");
        assert_eq!(body["errors"][0]["pointer"], pointer);
    }
    let (status, _, body) =
        call(&app, &token, Method::GET, "/users?after=garbage", None, &[]).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["pointer"], "after");
    for query in ["?limit=x", "?sort=age", "?colour=blue"] {
        let (status, headers, body) = call(
            &app,
            &token,
            Method::GET,
            &format!("/users{query}"),
            None,
            &[],
        )
        .await;
        assert_eq!(status, 400, "{query}: {body}");
        is_problem(&headers, &body, "malformed-request");
    }
    let (status, _, body) = call(&app, &token, Method::PUT, "/users", None, &[]).await;
    assert_eq!(status, 405, "{body}");
    let (status, _, body) =
        call(&app, &token, Method::GET, "/users/not%20an%20id", None, &[]).await;
    assert_eq!(status, 404, "{body}");
    let (status, _, body) = call(&app, &token, Method::GET, "/nothing-here", None, &[]).await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn only_the_right_tokens_get_in() {
    let app = TestApp::spawn().await;
    let (status, headers, body) = call(&app, "", Method::GET, "/users", None, &[]).await;
    assert_eq!(status, 401);
    is_problem(&headers, &body, "invalid-token");
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );

    let (status, _, _) = call(&app, "not.a.token", Method::GET, "/users", None, &[]).await;
    assert_eq!(status, 401);

    let reader = app.admin_token(&["users:read"]).await;
    let (status, _, _) = call(&app, &reader, Method::GET, "/users", None, &[]).await;
    assert_eq!(status, 200);
    let (status, headers, body) = call(
        &app,
        &reader,
        Method::POST,
        "/users",
        Some(json!({"username": "eve"})),
        &[],
    )
    .await;
    assert_eq!(status, 403);
    is_problem(&headers, &body, "insufficient-scope");
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("error=\"insufficient_scope\", scope=\"users:write\"")
    );

    // A token for another tenant does not reach this one.
    app.provider
        .create_tenant("acme", "Acme", "test")
        .await
        .unwrap();
    let (status, _, _) = call(
        &app,
        &reader,
        Method::GET,
        &app.url("/t/acme/api/v1/users"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 401, "a token from the default issuer is not acme's");

    // A revoked token stops working.
    let admin = app.admin_token(&["users:read"]).await;
    let claims = sigil_test_utils::jwt_claims(&admin);
    let client_id = claims["client_id"].as_str().unwrap();
    assert!(!client_id.is_empty());
    app.provider
        .store()
        .revoke_access_token(
            &app.tenant(),
            claims["jti"].as_str().unwrap(),
            sigil_core::UnixTime(claims["exp"].as_i64().unwrap()),
            &sigil_core::model::AuditEvent::new(
                &app.tenant(),
                sigil_core::UnixTime(0),
                sigil_core::model::AuditKind::TokenRevoked,
                "test",
            ),
        )
        .await
        .unwrap();
    let (status, _, _) = call(&app, &admin, Method::GET, "/users", None, &[]).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn lists_page_filter_and_sort() {
    let app = TestApp::spawn().await;
    let token = app.admin_token(&["users:read"]).await;
    for name in [
        "dora", "alan", "Grace", "barbara", "edsger", "alonzo", "claude",
    ] {
        app.create_user(name).await;
    }
    // Walk every page through the Link header.
    let mut url = app.url("/api/v1/users?limit=3");
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let (status, headers, body) = call(&app, &token, Method::GET, &url, None, &[]).await;
        assert_eq!(status, 200, "{body}");
        pages += 1;
        seen.extend(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["username"].as_str().unwrap().to_owned()),
        );
        let Some(link) = headers.get("link") else {
            assert!(body.get("next_cursor").is_none());
            break;
        };
        let link = link.to_str().unwrap();
        assert!(link.ends_with(">; rel=\"next\""), "{link}");
        url = link
            .trim_start_matches('<')
            .split('>')
            .next()
            .unwrap()
            .to_owned();
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen,
        [
            "alan", "alonzo", "barbara", "claude", "dora", "edsger", "Grace"
        ]
    );

    let (_, _, body) = call(
        &app,
        &token,
        Method::GET,
        "/users?sort=-username&limit=2",
        None,
        &[],
    )
    .await;
    let names: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Grace", "edsger"]);
    let (_, _, body) = call(
        &app,
        &token,
        Method::GET,
        "/users?username_prefix=AL",
        None,
        &[],
    )
    .await;
    assert_eq!(body["items"].as_array().unwrap().len(), 2);
    let (_, _, body) = call(
        &app,
        &token,
        Method::GET,
        "/users?email=claude%40example.com",
        None,
        &[],
    )
    .await;
    assert_eq!(body["items"][0]["username"], "claude");
    let (_, _, body) = call(&app, &token, Method::GET, "/users?disabled=true", None, &[]).await;
    assert_eq!(body["items"].as_array().unwrap().len(), 0);
    // A cursor from one sort order is refused by another.
    let (_, _, body) = call(&app, &token, Method::GET, "/users?limit=1", None, &[]).await;
    let cursor = body["next_cursor"].as_str().unwrap();
    let (status, _, _) = call(
        &app,
        &token,
        Method::GET,
        &format!("/users?sort=created_at&after={cursor}"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 422);
    // Newest first, by creation time, page by page.
    let (_, _, first) = call(
        &app,
        &token,
        Method::GET,
        "/users?sort=-created_at&limit=4",
        None,
        &[],
    )
    .await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, _, rest) = call(
        &app,
        &token,
        Method::GET,
        &format!("/users?sort=-created_at&limit=4&after={cursor}"),
        None,
        &[],
    )
    .await;
    assert_eq!(
        first["items"].as_array().unwrap().len() + rest["items"].as_array().unwrap().len(),
        7
    );
    assert!(rest.get("next_cursor").is_none());
}

#[tokio::test]
async fn the_api_describes_itself() {
    let app = TestApp::spawn().await;
    let res = app
        .http()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    assert_eq!(doc["servers"][0]["url"], app.url("/api/v1"));
    assert_eq!(
        doc["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]["tokenUrl"],
        app.url("/token")
    );
    assert!(doc["paths"]["/users/{id}"]["patch"].is_object());

    let res = app
        .http()
        .get(app.url("/api/v1/docs"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.starts_with("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    let html = sigil_test_utils::browser::unescape(&res.text().await.unwrap());
    assert!(
        html.contains("PATCH /api/v1/users/{id}"),
        "every operation is listed"
    );
    assert!(html.contains("users:write"), "with its scopes");
    assert!(
        html.contains("id=\"schema-UserResource\""),
        "and the schemas"
    );
    assert!(!html.contains("<script"), "no script");
    assert!(
        !html.contains("https://cdn"),
        "nothing fetched from elsewhere"
    );
}
