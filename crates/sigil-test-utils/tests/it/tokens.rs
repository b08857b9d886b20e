//! Client credentials, refresh rotation and reuse detection, introspection and revocation
//! over HTTP.

use sigil_test_utils::{TestApp, jwt_claims};

use crate::code_flow::sign_in_and_redeem;

#[tokio::test]
async fn client_credentials_with_basic_and_post_authentication() {
    let app = TestApp::spawn().await;
    let c = app
        .create_client(sigil_oidc::admin::NewClient {
            name: "svc".into(),
            grant_types: vec!["client_credentials".into()],
            scopes: vec!["api:read".into(), "api:write".into()],
            resources: vec!["https://rs.example/api".into()],
            ..Default::default()
        })
        .await;
    let secret = c.client_secret.unwrap();
    let (status, body, _) = app
        .post_form(
            "/token",
            Some((&c.client_id, &secret)),
            &[("grant_type", "client_credentials"), ("scope", "api:read")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let claims = jwt_claims(body["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], "https://rs.example/api");
    assert_eq!(claims["sub"], c.client_id.as_str());
    assert_eq!(claims["client_id"], c.client_id.as_str());
    assert_eq!(claims["scope"], "api:read");
    assert_eq!(claims["iss"], app.base.as_str());
    assert!(body.get("refresh_token").is_none());

    // client_secret_post is a different registered method: refused for this client.
    let (status, body, _) = app
        .post_form(
            "/token",
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &c.client_id),
                ("client_secret", &secret),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );

    let post = app
        .create_client(sigil_oidc::admin::NewClient {
            name: "svc-post".into(),
            grant_types: vec!["client_credentials".into()],
            scopes: vec!["api:read".into()],
            token_endpoint_auth_method: Some("client_secret_post".into()),
            ..Default::default()
        })
        .await;
    let (status, body, _) = app
        .post_form(
            "/token",
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &post.client_id),
                ("client_secret", post.client_secret.as_ref().unwrap()),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "api:read", "defaults to the client's scopes");
    assert_eq!(
        jwt_claims(body["access_token"].as_str().unwrap())["aud"],
        app.base.as_str()
    );
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_only_that_family() {
    let app = TestApp::spawn().await;
    app.create_user("alice").await;
    let client = app.web_client().await;
    let secret = client.client_secret.clone().unwrap();
    let auth = Some((client.client_id.as_str(), secret.as_str()));
    let first = sign_in_and_redeem(&app, &app.browser(), &client.client_id, &secret, "alice").await;
    let other_family =
        sign_in_and_redeem(&app, &app.browser(), &client.client_id, &secret, "alice").await;
    let rt1 = first["refresh_token"].as_str().unwrap();

    let (status, second, _) = app
        .post_form(
            "/token",
            auth,
            &[("grant_type", "refresh_token"), ("refresh_token", rt1)],
        )
        .await;
    assert_eq!(status, 200, "{second}");
    let rt2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(rt1, rt2, "rotated");
    let id = jwt_claims(second["id_token"].as_str().unwrap());
    assert!(
        id.get("nonce").is_none(),
        "a refreshed ID token carries no nonce"
    );
    assert_eq!(
        id["auth_time"],
        jwt_claims(first["id_token"].as_str().unwrap())["auth_time"]
    );

    // Narrowing is allowed, widening is not.
    let (status, body, _) = app
        .post_form(
            "/token",
            auth,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", rt2),
                ("scope", "openid admin"),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );

    // Replay of the rotated token: refused, and the whole family dies with it.
    let (status, body, _) = app
        .post_form(
            "/token",
            auth,
            &[("grant_type", "refresh_token"), ("refresh_token", rt1)],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, _, _) = app
        .post_form(
            "/token",
            auth,
            &[("grant_type", "refresh_token"), ("refresh_token", rt2)],
        )
        .await;
    assert_eq!(status, 400, "the family's newest token is revoked too");
    let res = app
        .http()
        .get(app.url("/userinfo"))
        .bearer_auth(second["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "and its access tokens");

    // The other family is untouched.
    let (status, _, _) = app
        .post_form(
            "/token",
            auth,
            &[
                ("grant_type", "refresh_token"),
                (
                    "refresh_token",
                    other_family["refresh_token"].as_str().unwrap(),
                ),
            ],
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn introspection_and_revocation() {
    let app = TestApp::spawn().await;
    app.create_user("alice").await;
    let client = app.web_client().await;
    let secret = client.client_secret.clone().unwrap();
    let auth = Some((client.client_id.as_str(), secret.as_str()));
    let tokens =
        sign_in_and_redeem(&app, &app.browser(), &client.client_id, &secret, "alice").await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();

    let (status, _, _) = app
        .post_form("/introspect", None, &[("token", access)])
        .await;
    assert_eq!(status, 401, "introspection needs an authenticated client");

    let (_, body, _) = app
        .post_form("/introspect", auth, &[("token", access)])
        .await;
    assert_eq!(body["active"], true);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["username"], "alice");
    assert_eq!(body["client_id"], client.client_id.as_str());
    let (_, body, _) = app
        .post_form(
            "/introspect",
            auth,
            &[("token", refresh), ("token_type_hint", "refresh_token")],
        )
        .await;
    assert_eq!(body["active"], true);
    assert_eq!(body["token_type"], "refresh_token");

    // Another client cannot see this client's refresh token, nor revoke it.
    let other = app.web_client().await;
    let other_auth = Some((
        other.client_id.as_str(),
        other.client_secret.as_deref().unwrap(),
    ));
    let (_, body, _) = app
        .post_form("/introspect", other_auth, &[("token", refresh)])
        .await;
    assert_eq!(body, serde_json::json!({"active": false}));
    let (status, body, _) = app
        .post_form("/revoke", other_auth, &[("token", refresh)])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );

    let (status, _, _) = app
        .post_form(
            "/revoke",
            auth,
            &[("token", access), ("token_type_hint", "access_token")],
        )
        .await;
    assert_eq!(status, 200);
    let (_, body, _) = app
        .post_form("/introspect", auth, &[("token", access)])
        .await;
    assert_eq!(body, serde_json::json!({"active": false}));

    let (status, _, _) = app.post_form("/revoke", auth, &[("token", refresh)]).await;
    assert_eq!(status, 200);
    let (_, body, _) = app
        .post_form("/introspect", auth, &[("token", refresh)])
        .await;
    assert_eq!(body["active"], false);
    let (status, _, _) = app
        .post_form(
            "/token",
            auth,
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        )
        .await;
    assert_eq!(status, 400);

    let (status, body, _) = app
        .post_form("/revoke", auth, &[("token", "no-such-token")])
        .await;
    assert_eq!(status, 200, "unknown tokens are not an error: {body}");
}

#[tokio::test]
async fn expired_access_tokens_introspect_inactive() {
    let app = TestApp::spawn().await;
    let c = app
        .create_client(sigil_oidc::admin::NewClient {
            name: "svc".into(),
            grant_types: vec!["client_credentials".into()],
            scopes: vec!["api:read".into()],
            ..Default::default()
        })
        .await;
    let auth = Some((c.client_id.as_str(), c.client_secret.as_deref().unwrap()));
    let (_, body, _) = app
        .post_form("/token", auth, &[("grant_type", "client_credentials")])
        .await;
    let token = body["access_token"].as_str().unwrap().to_owned();
    let (_, body, _) = app
        .post_form("/introspect", auth, &[("token", &token)])
        .await;
    assert_eq!(body["active"], true);
    app.clock.advance(std::time::Duration::from_secs(
        app.config.tokens.access_token_ttl + 1,
    ));
    let (_, body, _) = app
        .post_form("/introspect", auth, &[("token", &token)])
        .await;
    assert_eq!(body, serde_json::json!({"active": false}));
}
