//! RP-initiated logout.

use sigil_test_utils::browser::query_param;
use sigil_test_utils::{PASSWORD, TestApp, pkce};

use crate::code_flow::{authorize_url, sign_in_and_redeem};

#[tokio::test]
async fn logout_with_id_token_hint_ends_the_session_and_returns_with_state() {
    let app = TestApp::spawn().await;
    app.create_user("alice").await;
    let client = app.web_client().await;
    let browser = app.browser();
    let tokens = sign_in_and_redeem(
        &app,
        &browser,
        &client.client_id,
        client.client_secret.as_deref().unwrap(),
        "alice",
    )
    .await;
    let url = format!(
        "/logout?id_token_hint={}&post_logout_redirect_uri=https%3A%2F%2Fapp.example%2Fbye&state=bye-1",
        tokens["id_token"].as_str().unwrap()
    );
    let res = browser.get(&url).await;
    assert_eq!(res.status, 303, "{}", res.html);
    assert_eq!(
        res.location().unwrap(),
        "https://app.example/bye?state=bye-1"
    );

    let (_, challenge) = pkce::pair();
    let page = browser
        .get(&authorize_url(
            &app,
            &client.client_id,
            &challenge,
            "&prompt=none",
        ))
        .await;
    assert_eq!(
        query_param(&page.location().unwrap(), "error").as_deref(),
        Some("login_required")
    );
}

#[tokio::test]
async fn logout_without_a_hint_asks_first() {
    let app = TestApp::spawn().await;
    app.create_user("alice").await;
    let client = app.web_client().await;
    let browser = app.browser();
    sign_in_and_redeem(
        &app,
        &browser,
        &client.client_id,
        client.client_secret.as_deref().unwrap(),
        "alice",
    )
    .await;
    let page = browser
        .get(&format!(
            "/logout?client_id={}&post_logout_redirect_uri=https%3A%2F%2Fapp.example%2Fbye",
            client.client_id
        ))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.has_form("/logout/confirm"));
    assert!(page.html.contains("Web App"));
    assert!(
        browser.get("/account").await.status == 200,
        "still signed in until confirmed"
    );
    let done = browser.submit(&page, "/logout/confirm", &[]).await;
    assert_eq!(done.location().unwrap(), "https://app.example/bye");
    assert_eq!(browser.get("/account").await.status, 303, "signed out");
}

#[tokio::test]
async fn logout_never_redirects_to_unregistered_uris() {
    let app = TestApp::spawn().await;
    let client = app.web_client().await;
    let browser = app.browser();
    for query in [
        format!(
            "client_id={}&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F",
            client.client_id
        ),
        "post_logout_redirect_uri=https%3A%2F%2Fapp.example%2Fbye".to_owned(),
        "id_token_hint=not.a.token".to_owned(),
    ] {
        let page = browser.get(&format!("/logout?{query}")).await;
        assert_eq!(page.status, 400, "{query}");
        assert!(page.location().is_none());
    }
    let page = browser.get("/logout").await;
    assert_eq!(page.status, 200, "nothing to end: the signed-out page");
    assert!(page.html.contains("signed out"));
    let _ = PASSWORD;
}
