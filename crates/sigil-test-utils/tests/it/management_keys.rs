//! The management API's signing keys: listing and rotation, checked against the JWK Set.

use reqwest::Method;
use serde_json::{Value, json};
use sigil_test_utils::TestApp;

use super::api::{call, is_problem};

fn with_state<'a>(keys: &'a Value, alg: &str, state: &str) -> Vec<&'a Value> {
    keys["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["alg"] == alg && k["state"] == state)
        .collect()
}

async fn published_kids(app: &TestApp) -> Vec<String> {
    let jwks: Value = app
        .http()
        .get(app.url("/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn rotation_publishes_new_keys_before_they_sign() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token(&["keys:read", "keys:write"]).await;
    let (status, _, before) = call(&app, &admin, Method::GET, "/keys", None, &[]).await;
    assert_eq!(status, 200, "{before}");
    for alg in ["RS256", "ES256", "EdDSA"] {
        assert_eq!(with_state(&before, alg, "active").len(), 1, "{before}");
    }

    let (status, _, after) = call(
        &app,
        &admin,
        Method::POST,
        "/keys/rotate",
        Some(json!({"algs": ["ES256"], "activate_after_seconds": 3600})),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{after}");
    let pending = with_state(&after, "ES256", "pending");
    assert_eq!(pending.len(), 1, "{after}");
    assert_eq!(
        with_state(&after, "ES256", "active").len(),
        1,
        "the old key signs until then"
    );
    assert_eq!(
        with_state(&after, "RS256", "pending").len(),
        0,
        "only ES256 rotated"
    );
    let kid = pending[0]["kid"].as_str().unwrap();
    assert!(
        published_kids(&app).await.iter().any(|k| k == kid),
        "published at once"
    );

    // The API lists what the rotation returned.
    let (_, _, listed) = call(&app, &admin, Method::GET, "/keys", None, &[]).await;
    assert_eq!(listed, after);
}

#[tokio::test]
async fn rotation_refuses_what_it_cannot_do() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token(&["keys:write"]).await;
    let (status, headers, problem) = call(
        &app,
        &admin,
        Method::POST,
        "/keys/rotate",
        Some(json!({"algs": ["HS256"]})),
        &[],
    )
    .await;
    assert_eq!(status, 400);
    is_problem(&headers, &problem, "malformed-request");
    assert_eq!(problem["errors"][0]["pointer"], "/algs/0", "{problem}");
    let (status, _, problem) = call(
        &app,
        &admin,
        Method::POST,
        "/keys/rotate",
        Some(json!({"activate_after_seconds": 40_000_000})),
        &[],
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    let (status, _, _) = call(&app, &admin, Method::GET, "/keys", None, &[]).await;
    assert_eq!(status, 403, "keys:read is needed to list");
}
