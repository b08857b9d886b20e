//! The management API's clients: registration, secret rotation, disabling and deletion, seen
//! from the client's side too (which secrets and tokens still work).

use reqwest::Method;
use serde_json::{Value, json};
use sigil_test_utils::{TestApp, jwt_claims};

use super::api::{call, is_problem};

/// A client-credentials token for a client, or the token endpoint's status and error.
async fn client_token(app: &TestApp, id: &str, secret: &str) -> Result<String, (u16, Value)> {
    let (status, body, _) = app
        .post_form(
            "/token",
            Some((id, secret)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    match body["access_token"].as_str() {
        Some(token) if status == 200 => Ok(token.to_owned()),
        _ => Err((status, body)),
    }
}

/// Registers an automation client holding `users:read` through the API.
async fn register(app: &TestApp, admin: &str) -> Value {
    let (status, headers, created) = call(
        app,
        admin,
        Method::POST,
        "/clients",
        Some(json!({"client_name": "Nightly sync", "scope": "users:read"})),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(headers["etag"], "\"1\"");
    assert_eq!(headers["cache-control"], "no-store");
    let id = created["client_id"].as_str().unwrap();
    assert_eq!(
        headers["location"].to_str().unwrap(),
        app.url(&format!("/api/v1/clients/{id}"))
    );
    created
}

#[tokio::test]
async fn a_registered_client_works_and_its_secret_rotates() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token(&["clients:read", "clients:write"]).await;
    let created = register(&app, &admin).await;
    let id = created["client_id"].as_str().unwrap().to_owned();
    let first_secret = created["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(created["grant_types"], json!(["client_credentials"]));
    assert_eq!(created["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(created["scope"], "users:read");

    // Read back: the same client, and never its secret.
    let (status, headers, read) = call(
        &app,
        &admin,
        Method::GET,
        &format!("/clients/{id}"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["etag"], "\"1\"");
    assert!(read.get("client_secret").is_none(), "{read}");
    assert_eq!(read["client_name"], "Nightly sync");

    // The client itself can now get tokens and read users.
    let token = client_token(&app, &id, &first_secret).await.unwrap();
    let (status, _, _) = call(&app, &token, Method::GET, "/users", None, &[]).await;
    assert_eq!(status, 200);

    // Rotation: a new secret, shown once; the old one is refused at once.
    let (status, headers, rotated) = call(
        &app,
        &admin,
        Method::POST,
        &format!("/clients/{id}/secret"),
        None,
        &[("if-match", "\"1\"")],
    )
    .await;
    assert_eq!(status, 200, "{rotated}");
    assert_eq!(headers["etag"], "\"2\"");
    let second_secret = rotated["client_secret"].as_str().unwrap();
    assert_ne!(second_secret, first_secret);
    let (status, refused) = client_token(&app, &id, &first_secret).await.unwrap_err();
    assert_eq!(
        (status, refused["error"].as_str()),
        (401, Some("invalid_client"))
    );
    client_token(&app, &id, second_secret).await.unwrap();

    // Rotating against a stale revision is refused.
    let (status, headers, problem) = call(
        &app,
        &admin,
        Method::POST,
        &format!("/clients/{id}/secret"),
        None,
        &[("if-match", "\"1\"")],
    )
    .await;
    assert_eq!(status, 412);
    is_problem(&headers, &problem, "precondition-failed");
}

#[tokio::test]
async fn disabling_or_deleting_a_client_stops_it_and_its_tokens() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token(&["clients:read", "clients:write"]).await;
    let created = register(&app, &admin).await;
    let id = created["client_id"].as_str().unwrap().to_owned();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    let token = client_token(&app, &id, &secret).await.unwrap();

    // An update needs If-Match; a stale one is refused; the current one applies.
    let path = format!("/clients/{id}");
    let disable = json!({"disabled": true});
    let (status, headers, problem) = call(
        &app,
        &admin,
        Method::PATCH,
        &path,
        Some(disable.clone()),
        &[],
    )
    .await;
    assert_eq!(status, 428);
    is_problem(&headers, &problem, "precondition-required");
    let (status, _, _) = call(
        &app,
        &admin,
        Method::PATCH,
        &path,
        Some(disable.clone()),
        &[("if-match", "\"7\"")],
    )
    .await;
    assert_eq!(status, 412);
    let (status, headers, disabled) = call(
        &app,
        &admin,
        Method::PATCH,
        &path,
        Some(disable),
        &[("if-match", "\"1\"")],
    )
    .await;
    assert_eq!(status, 200, "{disabled}");
    assert_eq!(disabled["disabled"], true);
    assert_eq!(headers["etag"], "\"2\"");

    // Disabled: no new tokens, and the one it holds no longer opens the API.
    let (status, _) = client_token(&app, &id, &secret).await.unwrap_err();
    assert_eq!(status, 401);
    let (status, headers, problem) = call(&app, &token, Method::GET, "/users", None, &[]).await;
    assert_eq!(status, 401);
    is_problem(&headers, &problem, "invalid-token");

    // Enabled again, it works; deleted, it is gone for good.
    let (status, _, _) = call(
        &app,
        &admin,
        Method::PATCH,
        &path,
        Some(json!({"disabled": false})),
        &[("if-match", "*")],
    )
    .await;
    assert_eq!(status, 200);
    let token = client_token(&app, &id, &secret).await.unwrap();
    let (status, _, _) = call(&app, &admin, Method::DELETE, &path, None, &[]).await;
    assert_eq!(status, 204);
    let (status, headers, problem) = call(&app, &admin, Method::GET, &path, None, &[]).await;
    assert_eq!(status, 404);
    is_problem(&headers, &problem, "not-found");
    let (status, _, _) = call(&app, &token, Method::GET, "/users", None, &[]).await;
    assert_eq!(status, 401);
    let (status, _) = client_token(&app, &id, &secret).await.unwrap_err();
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_client_cannot_lock_itself_out() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token(&["clients:read", "clients:write"]).await;
    let me = format!(
        "/clients/{}",
        jwt_claims(&admin)["client_id"].as_str().unwrap()
    );
    for (method, body) in [
        (Method::PATCH, Some(json!({"disabled": true}))),
        (Method::DELETE, None),
    ] {
        let (status, headers, problem) =
            call(&app, &admin, method, &me, body, &[("if-match", "*")]).await;
        assert_eq!(status, 409, "{problem}");
        is_problem(&headers, &problem, "would-lock-out");
    }
    let (status, _, _) = call(&app, &admin, Method::GET, &me, None, &[]).await;
    assert_eq!(status, 200, "still there, still working");
}

#[tokio::test]
async fn changes_are_validated_like_registrations() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token(&["clients:write"]).await;
    let web = json!({
        "client_name": "Web",
        "redirect_uris": ["https://app.example/cb"],
        "token_endpoint_auth_method": "none",
    });
    let (status, _, created) = call(&app, &admin, Method::POST, "/clients", Some(web), &[]).await;
    assert_eq!(status, 201, "{created}");
    assert!(created.get("client_secret").is_none(), "{created}");
    assert_eq!(created["require_pkce"], true);
    let path = format!("/clients/{}", created["client_id"].as_str().unwrap());

    // Refused values point at the field at fault.
    for (patch, pointer) in [
        (
            json!({"redirect_uris": ["https://app.example/cb#frag"]}),
            "/redirect_uris",
        ),
        (
            json!({"grant_types": ["client_credentials"]}),
            "/grant_types",
        ),
        (json!({"grant_types": ["password"]}), "/grant_types"),
        (json!({"redirect_uris": []}), "/redirect_uris"),
        (
            json!({"id_token_signed_response_alg": "none"}),
            "/id_token_signed_response_alg",
        ),
    ] {
        let (status, headers, problem) = call(
            &app,
            &admin,
            Method::PATCH,
            &path,
            Some(patch.clone()),
            &[("if-match", "*")],
        )
        .await;
        assert_eq!(status, 422, "{patch}: {problem}");
        is_problem(&headers, &problem, "validation");
        assert_eq!(
            problem["errors"][0]["pointer"], pointer,
            "{patch}: {problem}"
        );
    }
    // The method is fixed at registration: not a field an update knows.
    let (status, _, problem) = call(
        &app,
        &admin,
        Method::PATCH,
        &path,
        Some(json!({"token_endpoint_auth_method": "client_secret_basic"})),
        &[("if-match", "*")],
    )
    .await;
    assert_eq!(status, 400, "{problem}");
    // A public client has no secret to rotate.
    let (status, _, problem) = call(
        &app,
        &admin,
        Method::POST,
        &format!("{path}/secret"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 422, "{problem}");

    // Nothing refused was written: the client is as registered.
    let (status, headers, _) = call(
        &app,
        &admin,
        Method::PATCH,
        &path,
        Some(json!({"client_name": "Web app", "redirect_uris": ["https://app.example/callback"]})),
        &[("if-match", "\"1\"")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["etag"], "\"2\"");
}

#[tokio::test]
async fn clients_are_listed_page_by_page_with_the_right_scope() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token(&["clients:read", "clients:write"]).await;
    for _ in 0..3 {
        register(&app, &admin).await;
    }
    // Four clients now (the admin's own among them), two per page.
    let mut seen = Vec::new();
    let mut next = Some("/clients?limit=2".to_owned());
    while let Some(url) = next.take() {
        let (status, headers, page) = call(&app, &admin, Method::GET, &url, None, &[]).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["client_id"].as_str().unwrap().to_owned()),
        );
        next = headers.get("link").map(|link| {
            let link = link.to_str().unwrap();
            assert!(link.ends_with(">; rel=\"next\""), "{link}");
            link[1..link.find('>').unwrap()].to_owned()
        });
    }
    assert_eq!(seen.len(), 4);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "listed by client_id");

    let (status, _, problem) =
        call(&app, &admin, Method::GET, "/clients?after=%01", None, &[]).await;
    assert_eq!(status, 422, "{problem}");

    let reader = app.admin_token(&["users:read"]).await;
    let (status, headers, problem) = call(&app, &reader, Method::GET, "/clients", None, &[]).await;
    assert_eq!(status, 403);
    is_problem(&headers, &problem, "insufficient-scope");
    let (status, _, _) = call(
        &app,
        &reader,
        Method::POST,
        "/clients",
        Some(json!({"client_name": "x"})),
        &[],
    )
    .await;
    assert_eq!(status, 403);
}
