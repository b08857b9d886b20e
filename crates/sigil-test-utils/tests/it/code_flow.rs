//! The authorization code flow end to end through the hosted pages.

use sigil_test_utils::browser::query_param;
use sigil_test_utils::{PASSWORD, TestApp, jwt_claims, jwt_header, pkce};

fn authorize_url(app: &TestApp, client_id: &str, challenge: &str, extra: &str) -> String {
    format!(
        "{}/authorize?response_type=code&client_id={client_id}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb\
         &scope=openid%20profile%20email%20offline_access&state=st-123&nonce=n-456&code_challenge={challenge}\
         &code_challenge_method=S256{extra}",
        app.base
    )
}

#[tokio::test]
async fn sign_in_consent_code_and_tokens() {
    let app = TestApp::spawn().await;
    let alice = app.create_user("alice").await;
    let client = app.web_client().await;
    let secret = client.client_secret.clone().unwrap();
    let (verifier, challenge) = pkce::pair();
    let browser = app.browser();

    let done = browser.authorize(&authorize_url(&app, &client.client_id, &challenge, ""), "alice", PASSWORD).await;
    assert_eq!(done.status, 303, "{}", done.html);
    let location = done.location().unwrap();
    assert!(location.starts_with("https://app.example/cb?"), "{location}");
    assert_eq!(query_param(&location, "state").as_deref(), Some("st-123"));
    assert_eq!(query_param(&location, "iss").as_deref(), Some(app.base.as_str()));
    let code = query_param(&location, "code").unwrap();

    let (status, body, headers) = app
        .post_form(
            "/token",
            Some((&client.client_id, &secret)),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "https://app.example/cb"),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    let id_token = body["id_token"].as_str().unwrap();
    let claims = jwt_claims(id_token);
    assert_eq!(claims["sub"], alice.id.as_str());
    assert_eq!(claims["nonce"], "n-456");
    assert_eq!(claims["aud"], client.client_id.as_str());
    assert_eq!(jwt_header(id_token)["alg"], "RS256");
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(jwt_header(access)["typ"], "at+jwt");
    assert!(body["refresh_token"].is_string());

    let res = app.http().get(app.url("/userinfo")).bearer_auth(access).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let info: serde_json::Value = res.json().await.unwrap();
    assert_eq!(info["sub"], alice.id.as_str());
    assert_eq!(info["email"], "alice@example.com");
}
