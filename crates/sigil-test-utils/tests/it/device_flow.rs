//! RFC 8628 device authorization through the device endpoint, the pages and polling.

use std::time::Duration;

use sigil_test_utils::{PASSWORD, TestApp, jwt_claims};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

#[tokio::test]
async fn device_flow_with_pending_slow_down_and_approval() {
    let app = TestApp::spawn().await;
    let alice = app.create_user("alice").await;
    let tv = app
        .create_client(sigil_oidc::admin::NewClient {
            name: "Living room TV".into(),
            public: true,
            grant_types: vec![DEVICE_GRANT.into(), "refresh_token".into()],
            ..Default::default()
        })
        .await;
    let (status, start, _) = app
        .post_form(
            "/device_authorization",
            None,
            &[
                ("client_id", &tv.client_id),
                ("scope", "openid profile offline_access"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{start}");
    let user_code = start["user_code"].as_str().unwrap().to_owned();
    let device_code = start["device_code"].as_str().unwrap().to_owned();
    assert_eq!(start["verification_uri"], app.url("/device").as_str());
    assert!(
        start["verification_uri_complete"]
            .as_str()
            .unwrap()
            .contains("user_code=")
    );
    assert_eq!(start["interval"], 5);
    assert_eq!(user_code.len(), 9);

    let poll = || {
        let app = &app;
        let (id, code) = (tv.client_id.clone(), device_code.clone());
        async move {
            app.post_form(
                "/token",
                None,
                &[
                    ("grant_type", DEVICE_GRANT),
                    ("device_code", &code),
                    ("client_id", &id),
                ],
            )
            .await
        }
    };
    let (status, body, _) = poll().await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("authorization_pending"))
    );
    let (_, body, _) = poll().await;
    assert_eq!(body["error"], "slow_down", "polled again at once");
    app.clock.advance(Duration::from_secs(11));
    let (_, body, _) = poll().await;
    assert_eq!(body["error"], "authorization_pending");

    // The user, on another device: the code page asks to sign in first, then to confirm.
    let browser = app.browser();
    let page = browser
        .follow(
            browser
                .get(start["verification_uri_complete"].as_str().unwrap())
                .await,
        )
        .await;
    let page = browser
        .follow(
            browser
                .submit(
                    &page,
                    "/login",
                    &[("username", "alice"), ("password", PASSWORD)],
                )
                .await,
        )
        .await;
    assert!(page.has_form("/device/decide"), "{}", page.html);
    assert!(page.html.contains("Living room TV") && page.html.contains(&user_code));
    let done = browser
        .submit(&page, "/device/decide", &[("decision", "approve")])
        .await;
    assert_eq!(done.status, 200);
    assert!(done.html.contains("Device connected"));

    app.clock.advance(Duration::from_secs(11));
    let (status, tokens, _) = poll().await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        jwt_claims(tokens["id_token"].as_str().unwrap())["sub"],
        alice.id.as_str()
    );
    assert!(tokens["refresh_token"].is_string());

    app.clock.advance(Duration::from_secs(11));
    let (status, body, _) = poll().await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "single use"
    );
}

#[tokio::test]
async fn denied_and_expired_device_codes() {
    let app = TestApp::spawn().await;
    app.create_user("bob").await;
    let tv = app
        .create_client(sigil_oidc::admin::NewClient {
            name: "TV".into(),
            public: true,
            grant_types: vec![DEVICE_GRANT.into()],
            ..Default::default()
        })
        .await;
    let (_, denied, _) = app
        .post_form(
            "/device_authorization",
            None,
            &[("client_id", &tv.client_id), ("scope", "openid")],
        )
        .await;
    let browser = app.browser();
    let page = browser.follow(browser.get("/device").await).await;
    let page = browser
        .follow(
            browser
                .submit(
                    &page,
                    "/login",
                    &[("username", "bob"), ("password", PASSWORD)],
                )
                .await,
        )
        .await;
    assert!(page.has_form("/device"), "{}", page.html);
    let wrong = browser
        .submit(&page, "/device", &[("user_code", "BCDF-GHJK")])
        .await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.html.contains("not valid"));
    let review = browser
        .submit(
            &page,
            "/device",
            &[(
                "user_code",
                &denied["user_code"].as_str().unwrap().to_lowercase(),
            )],
        )
        .await;
    assert!(
        review.has_form("/device/decide"),
        "codes are case- and dash-insensitive: {}",
        review.html
    );
    let done = browser
        .submit(&review, "/device/decide", &[("decision", "deny")])
        .await;
    assert!(done.html.contains("denied"));
    let (_, body, _) = app
        .post_form(
            "/token",
            None,
            &[
                ("grant_type", DEVICE_GRANT),
                ("device_code", denied["device_code"].as_str().unwrap()),
                ("client_id", &tv.client_id),
            ],
        )
        .await;
    assert_eq!(body["error"], "access_denied");

    let (_, late, _) = app
        .post_form(
            "/device_authorization",
            None,
            &[("client_id", &tv.client_id)],
        )
        .await;
    app.clock
        .advance(Duration::from_secs(app.config.tokens.device_code_ttl + 1));
    let (_, body, _) = app
        .post_form(
            "/token",
            None,
            &[
                ("grant_type", DEVICE_GRANT),
                ("device_code", late["device_code"].as_str().unwrap()),
                ("client_id", &tv.client_id),
            ],
        )
        .await;
    assert_eq!(body["error"], "expired_token");
}
