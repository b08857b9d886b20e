//! The management API's sessions: what an administrator sees of a user's sign-ins, and
//! signing them out of one browser or everywhere.

use reqwest::Method;
use serde_json::Value;
use sigil_test_utils::{Browser, PASSWORD, TestApp, jwt_claims};

use super::api::{call, is_problem};
use crate::code_flow::sign_in_and_redeem;

/// Signs `username` in at the account page; returns the browser.
async fn signed_in(app: &TestApp, username: &str) -> Browser {
    let browser = app.browser();
    let login = browser.follow(browser.get("/account").await).await;
    let res = browser
        .submit(
            &login,
            "/login",
            &[("username", username), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(browser.follow(res).await.status, 200);
    browser
}

/// Whether a browser is still signed in (the account page shows, not the sign-in page).
async fn still_signed_in(browser: &Browser) -> bool {
    browser.get("/account").await.status == 200
}

async fn sessions(app: &TestApp, token: &str, user: &str) -> Vec<Value> {
    let (status, _, list) = call(
        app,
        token,
        Method::GET,
        &format!("/users/{user}/sessions"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 200, "{list}");
    list["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_administrator_ends_one_session_or_all_of_them() {
    let app = TestApp::spawn().await;
    let alice = app.create_user("alice").await;
    let user = alice.id.to_string();
    let client = app.web_client().await;
    let secret = client.client_secret.clone().unwrap();
    let laptop = app.browser();
    let tokens = sign_in_and_redeem(&app, &laptop, &client.client_id, &secret, "alice").await;
    let laptop_sid = jwt_claims(tokens["id_token"].as_str().unwrap())["sid"].clone();
    let phone = signed_in(&app, "alice").await;
    let admin = app.admin_token(&["sessions:read", "sessions:write"]).await;

    let listed = sessions(&app, &admin, &user).await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    for s in &listed {
        assert_eq!(s["amr"], serde_json::json!(["pwd"]));
        assert!(s["created_at"].as_str().unwrap().ends_with('Z'));
        assert!(s.get("secret_digest").is_none());
    }
    let phone_sid = listed
        .iter()
        .map(|s| s["id"].clone())
        .find(|id| *id != laptop_sid)
        .unwrap();

    // One session: the phone is signed out, the laptop is not.
    let path = format!("/users/{user}/sessions/{}", phone_sid.as_str().unwrap());
    let (status, _, _) = call(&app, &admin, Method::DELETE, &path, None, &[]).await;
    assert_eq!(status, 204);
    assert!(!still_signed_in(&phone).await);
    assert!(still_signed_in(&laptop).await);
    assert_eq!(sessions(&app, &admin, &user).await.len(), 1);
    let (status, headers, problem) = call(&app, &admin, Method::DELETE, &path, None, &[]).await;
    assert_eq!(status, 404, "an ended session is gone");
    is_problem(&headers, &problem, "not-found");

    // Everywhere, tokens included: the laptop is signed out and the app's refresh fails.
    let (status, _, _) = call(
        &app,
        &admin,
        Method::DELETE,
        &format!("/users/{user}/sessions?revoke_tokens=true"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 204);
    assert!(!still_signed_in(&laptop).await);
    assert!(sessions(&app, &admin, &user).await.is_empty());
    let (status, body, _) = app
        .post_form(
            "/token",
            Some((&client.client_id, &secret)),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, body, _) = app
        .post_form(
            "/introspect",
            Some((&client.client_id, &secret)),
            &[("token", tokens["access_token"].as_str().unwrap())],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["active"], false, "the access token is revoked too");
}

#[tokio::test]
async fn sessions_need_their_scopes_and_an_existing_user() {
    let app = TestApp::spawn().await;
    let alice = app.create_user("alice").await;
    let reader = app.admin_token(&["sessions:read"]).await;
    let path = format!("/users/{}/sessions", alice.id);
    let (status, headers, problem) = call(&app, &reader, Method::DELETE, &path, None, &[]).await;
    assert_eq!(status, 403);
    is_problem(&headers, &problem, "insufficient-scope");
    let users_only = app.admin_token(&["users:read"]).await;
    let (status, _, _) = call(&app, &users_only, Method::GET, &path, None, &[]).await;
    assert_eq!(status, 403);
    let (status, _, _) = call(
        &app,
        &reader,
        Method::GET,
        "/users/nobody/sessions",
        None,
        &[],
    )
    .await;
    assert_eq!(status, 404);
    let writer = app.admin_token(&["sessions:write"]).await;
    let (status, headers, problem) = call(
        &app,
        &writer,
        Method::DELETE,
        &format!("{path}?revoke_tokens=maybe"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 400, "{problem}");
    is_problem(&headers, &problem, "malformed-request");
}
