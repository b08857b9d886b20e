//! Idempotency keys on the management API: a retry does the work once.

use reqwest::Method;
use serde_json::json;
use sigil_test_utils::{PASSWORD, TestApp};

use super::api::{call, is_problem};

#[tokio::test]
async fn retries_with_an_idempotency_key_do_the_work_once() {
    let app = TestApp::spawn().await;
    let token = app.admin_token(&["users:read", "users:write"]).await;
    let create = json!({"username": "once", "password": PASSWORD});
    let key = [("idempotency-key", "\"create-once-1\"")];

    let (status, headers, first) = call(
        &app,
        &token,
        Method::POST,
        "/users",
        Some(create.clone()),
        &key,
    )
    .await;
    assert_eq!(status, 201);
    assert!(headers.get("idempotent-replayed").is_none());
    let (status, headers, again) = call(
        &app,
        &token,
        Method::POST,
        "/users",
        Some(create.clone()),
        &key,
    )
    .await;
    assert_eq!(status, 201, "the retry gets the first response");
    assert_eq!(again, first);
    assert_eq!(headers["idempotent-replayed"], "true");
    assert_eq!(headers["etag"], "\"1\"");
    assert!(
        headers["location"]
            .to_str()
            .unwrap()
            .ends_with(first["id"].as_str().unwrap())
    );
    let (_, _, page) = call(&app, &token, Method::GET, "/users", None, &[]).await;
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        1,
        "one user, not two"
    );

    let (status, headers, body) = call(
        &app,
        &token,
        Method::POST,
        "/users",
        Some(json!({"username": "other"})),
        &key,
    )
    .await;
    assert_eq!(status, 422);
    is_problem(&headers, &body, "idempotency-key-reused");

    // A PATCH retried applies once: the revision moves from 1 to 2, not 3.
    let id = first["id"].as_str().unwrap();
    let patch_key = [("idempotency-key", "patch-1"), ("if-match", "\"1\"")];
    for _ in 0..2 {
        let (status, headers, _) = call(
            &app,
            &token,
            Method::PATCH,
            &format!("/users/{id}"),
            Some(json!({"name": "Once"})),
            &patch_key,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(headers["etag"], "\"2\"");
    }

    // Errors are answers too: a conflict is replayed, not retried into a different outcome.
    let conflict_key = [("idempotency-key", "conflict-1")];
    for _ in 0..2 {
        let (status, _, body) = call(
            &app,
            &token,
            Method::POST,
            "/users",
            Some(create.clone()),
            &conflict_key,
        )
        .await;
        assert_eq!(status, 409, "{body}");
    }

    // While the first request with a key runs (here: held by another node), a retry waits.
    let claims = sigil_test_utils::jwt_claims(&token);
    let now = app.provider.now();
    app.provider
        .store()
        .claim_idempotency_key(
            &sigil_store::IdempotencyKey {
                tenant: app.tenant(),
                caller: format!("client:{}", claims["client_id"].as_str().unwrap()),
                key: "busy".into(),
            },
            &sigil_store::Claim {
                // The same request: method, path and body, as the middleware digests them.
                request: sigil_core::Digest32::of("POST\n/api/v1/users\n{\"username\":\"busy\"}"),
                now,
                lock_until: now.plus(std::time::Duration::from_secs(30)),
                expires_at: now.plus(std::time::Duration::from_secs(86_400)),
            },
        )
        .await
        .unwrap();
    let (status, headers, body) = call(
        &app,
        &token,
        Method::POST,
        "/users",
        Some(json!({"username": "busy"})),
        &[("idempotency-key", "busy")],
    )
    .await;
    assert_eq!(status, 409);
    is_problem(&headers, &body, "idempotency-key-in-flight");
    assert!(headers.contains_key("retry-after"));

    // Keys belong to their caller: another client's same key is a new request.
    let other = app.admin_token(&["users:write"]).await;
    let (status, _, _) = call(
        &app,
        &other,
        Method::POST,
        "/users",
        Some(json!({"username": "theirs"})),
        &key,
    )
    .await;
    assert_eq!(status, 201);

    let (status, _, body) = call(
        &app,
        &token,
        Method::POST,
        "/users",
        Some(json!({"username": "x"})),
        &[("idempotency-key", "")],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    // Unauthenticated requests are refused before their key is looked at.
    let (status, _, _) = call(&app, "bogus", Method::POST, "/users", Some(create), &key).await;
    assert_eq!(status, 401);
}
