//! The authorization code flow end to end through the hosted pages.

use sigil_test_utils::browser::query_param;
use sigil_test_utils::{PASSWORD, TestApp, jwt_claims, jwt_header, pkce};

/// An authorization URL for the standard web client.
pub fn authorize_url(app: &TestApp, client_id: &str, challenge: &str, extra: &str) -> String {
    format!(
        "{}/authorize?response_type=code&client_id={client_id}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb\
         &scope=openid%20profile%20email%20offline_access&state=st-123&nonce=n-456&code_challenge={challenge}\
         &code_challenge_method=S256{extra}",
        app.base
    )
}

/// Runs the whole flow for `username` and returns the token response.
pub async fn sign_in_and_redeem(
    app: &TestApp,
    browser: &sigil_test_utils::Browser,
    client_id: &str,
    secret: &str,
    username: &str,
) -> serde_json::Value {
    let (verifier, challenge) = pkce::pair();
    let done = browser
        .authorize(
            &authorize_url(app, client_id, &challenge, ""),
            username,
            PASSWORD,
        )
        .await;
    let code = query_param(&done.location().unwrap(), "code").unwrap();
    let (status, body, _) = app
        .post_form(
            "/token",
            Some((client_id, secret)),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "https://app.example/cb"),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn sign_in_consent_code_and_tokens() {
    let app = TestApp::spawn().await;
    let alice = app.create_user("alice").await;
    let client = app.web_client().await;
    let secret = client.client_secret.clone().unwrap();
    let (verifier, challenge) = pkce::pair();
    let browser = app.browser();

    let done = browser
        .authorize(
            &authorize_url(&app, &client.client_id, &challenge, ""),
            "alice",
            PASSWORD,
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.html);
    let location = done.location().unwrap();
    assert!(
        location.starts_with("https://app.example/cb?"),
        "{location}"
    );
    assert_eq!(query_param(&location, "state").as_deref(), Some("st-123"));
    assert_eq!(
        query_param(&location, "iss").as_deref(),
        Some(app.base.as_str())
    );
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
    assert_eq!(headers["pragma"], "no-cache");
    let id_token = body["id_token"].as_str().unwrap();
    let claims = jwt_claims(id_token);
    assert_eq!(claims["sub"], alice.id.as_str());
    assert_eq!(claims["nonce"], "n-456");
    assert_eq!(claims["aud"], client.client_id.as_str());
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
    assert!(
        claims["sid"].is_string() && claims["at_hash"].is_string() && claims["auth_time"].is_i64()
    );
    assert_eq!(jwt_header(id_token)["alg"], "RS256");
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(jwt_header(access)["typ"], "at+jwt");
    assert_eq!(jwt_header(access)["alg"], "ES256");
    assert!(body["refresh_token"].is_string());

    let res = app
        .http()
        .get(app.url("/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let info: serde_json::Value = res.json().await.unwrap();
    assert_eq!(info["sub"], alice.id.as_str());
    assert_eq!(info["email"], "alice@example.com");
    assert_eq!(info["preferred_username"], "alice");

    // The code is single-use: a replay fails and revokes what the first redemption issued.
    let (status, body, _) = app
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
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let res = app
        .http()
        .get(app.url("/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "the replay revoked the access token");
}

#[tokio::test]
async fn second_authorization_uses_the_session_and_remembered_consent() {
    let app = TestApp::spawn().await;
    app.create_user("bob").await;
    let client = app.web_client().await;
    let browser = app.browser();
    let (_, challenge) = pkce::pair();
    let url = authorize_url(&app, &client.client_id, &challenge, "");
    browser.authorize(&url, "bob", PASSWORD).await;

    // Signed in and consented: straight back to the client, no page at all.
    let page = browser.get(&url).await;
    assert_eq!(page.status, 303);
    assert!(
        page.location()
            .unwrap()
            .starts_with("https://app.example/cb?code=")
    );

    // prompt=none works silently too.
    let page = browser.get(&format!("{url}&prompt=none")).await;
    assert!(page.location().unwrap().contains("code="));

    // prompt=login asks for the password again; max_age=0 too.
    for extra in ["&prompt=login", "&max_age=0"] {
        let page = browser
            .follow(browser.get(&format!("{url}{extra}")).await)
            .await;
        assert!(
            page.has_form("/login"),
            "{extra} must re-authenticate: {} {:?} {}",
            page.status,
            page.location(),
            page.html
        );
        assert!(page.html.contains("sign in again"));
    }
}

#[tokio::test]
async fn prompt_none_without_a_session_answers_login_required() {
    let app = TestApp::spawn().await;
    let client = app.web_client().await;
    let (_, challenge) = pkce::pair();
    let page = app
        .browser()
        .get(&authorize_url(
            &app,
            &client.client_id,
            &challenge,
            "&prompt=none",
        ))
        .await;
    let loc = page.location().unwrap();
    assert_eq!(
        query_param(&loc, "error").as_deref(),
        Some("login_required")
    );
    assert_eq!(query_param(&loc, "state").as_deref(), Some("st-123"));
    assert_eq!(query_param(&loc, "iss").as_deref(), Some(app.base.as_str()));
}

#[tokio::test]
async fn consent_is_required_under_prompt_none_and_denial_returns_access_denied() {
    let app = TestApp::spawn().await;
    app.create_user("carol").await;
    let client = app.web_client().await;
    let browser = app.browser();
    let (_, challenge) = pkce::pair();
    let url = authorize_url(&app, &client.client_id, &challenge, "");
    let login = browser.follow(browser.get(&url).await).await;
    let consent = browser
        .follow(
            browser
                .submit(
                    &login,
                    "/login",
                    &[("username", "carol"), ("password", PASSWORD)],
                )
                .await,
        )
        .await;
    assert!(consent.has_form("/consent"), "{}", consent.html);
    assert!(consent.html.contains("Web App"));

    let silent = browser.get(&format!("{url}&prompt=none")).await;
    assert_eq!(
        query_param(&silent.location().unwrap(), "error").as_deref(),
        Some("consent_required")
    );

    let denied = browser
        .submit(&consent, "/consent", &[("decision", "deny")])
        .await;
    assert!(denied.location().is_some());
    let _ = login;
    let loc = denied.location().unwrap();
    assert_eq!(query_param(&loc, "error").as_deref(), Some("access_denied"));
}

#[tokio::test]
async fn first_party_clients_skip_consent() {
    let app = TestApp::spawn().await;
    app.create_user("dave").await;
    let client = app
        .create_client(sigil_oidc::admin::NewClient {
            name: "Portal".into(),
            redirect_uris: vec!["https://app.example/cb".into()],
            first_party: true,
            ..Default::default()
        })
        .await;
    let browser = app.browser();
    let (_, challenge) = pkce::pair();
    let login = browser
        .follow(
            browser
                .get(&authorize_url(&app, &client.client_id, &challenge, ""))
                .await,
        )
        .await;
    let done = browser
        .submit(
            &login,
            "/login",
            &[("username", "dave"), ("password", PASSWORD)],
        )
        .await;
    let done = browser.follow(done).await;
    assert!(
        done.location()
            .unwrap()
            .starts_with("https://app.example/cb?code=")
    );
}

#[tokio::test]
async fn public_clients_must_use_pkce_and_get_loopback_port_flexibility() {
    let app = TestApp::spawn().await;
    app.create_user("erin").await;
    let client = app
        .create_client(sigil_oidc::admin::NewClient {
            name: "CLI tool".into(),
            redirect_uris: vec!["http://127.0.0.1/callback".into()],
            public: true,
            ..Default::default()
        })
        .await;
    assert!(client.client_secret.is_none());
    let browser = app.browser();
    let base = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri=http%3A%2F%2F127.0.0.1%3A53123%2Fcallback&scope=openid&state=s",
        app.base, client.client_id
    );
    let page = browser.get(&base).await;
    let loc = page.location().unwrap();
    assert!(loc.starts_with("http://127.0.0.1:53123/callback?"), "{loc}");
    assert_eq!(
        query_param(&loc, "error").as_deref(),
        Some("invalid_request"),
        "PKCE is required"
    );

    let (verifier, challenge) = pkce::pair();
    let done = browser
        .authorize(
            &format!("{base}&code_challenge={challenge}&code_challenge_method=S256"),
            "erin",
            PASSWORD,
        )
        .await;
    let code = query_param(&done.location().unwrap(), "code").unwrap();
    let (status, body, _) = app
        .post_form(
            "/token",
            None,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", &client.client_id),
                ("code", &code),
                ("redirect_uri", "http://127.0.0.1:53123/callback"),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_failed_sign_in_still_names_the_client_and_keeps_the_request() {
    let app = TestApp::spawn().await;
    app.create_user("frank").await;
    let client = app.web_client().await;
    let browser = app.browser();
    let (_, challenge) = pkce::pair();
    let login = browser
        .follow(
            browser
                .get(&authorize_url(&app, &client.client_id, &challenge, ""))
                .await,
        )
        .await;
    assert!(
        login
            .html
            .contains("to continue to <strong>Web App</strong>")
    );
    let again = browser
        .submit(
            &login,
            "/login",
            &[("username", "frank"), ("password", "not the password")],
        )
        .await;
    assert_eq!(again.status, 200);
    assert!(
        again
            .html
            .contains("The username or password is incorrect.")
    );
    assert!(
        again
            .html
            .contains("to continue to <strong>Web App</strong>"),
        "{}",
        again.html
    );
    assert!(again.html.contains("aria-describedby=\"form-error\""));
    let consent = browser
        .follow(
            browser
                .submit(
                    &again,
                    "/login",
                    &[("username", "frank"), ("password", PASSWORD)],
                )
                .await,
        )
        .await;
    assert!(consent.has_form("/consent"));
}
