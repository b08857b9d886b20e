//! Tenants are separate issuers: their own metadata, keys, users and clients.

use sigil_core::TenantId;
use sigil_test_utils::{TestApp, jwt_claims};

#[tokio::test]
async fn each_tenant_is_its_own_issuer() {
    let app = TestApp::spawn().await;
    app.provider
        .create_tenant("acme", "Acme Corp", "test")
        .await
        .unwrap();
    let acme = TenantId::parse("acme").unwrap();

    let meta: serde_json::Value = app
        .http()
        .get(app.url("/t/acme/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let issuer = format!("{}/t/acme", app.base);
    assert_eq!(meta["issuer"], issuer.as_str());
    assert_eq!(meta["token_endpoint"], format!("{issuer}/token"));
    let rfc8414: serde_json::Value = app
        .http()
        .get(app.url("/.well-known/oauth-authorization-server/t/acme"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rfc8414["issuer"], issuer.as_str());

    let default_jwks: serde_json::Value = app
        .http()
        .get(app.url("/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let acme_jwks: serde_json::Value = app
        .http()
        .get(app.url("/t/acme/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(default_jwks, acme_jwks, "keys are per tenant");

    let svc = app
        .provider
        .create_client(
            &acme,
            sigil_oidc::admin::NewClient {
                name: "svc".into(),
                grant_types: vec!["client_credentials".into()],
                scopes: vec!["api".into()],
                ..Default::default()
            },
            "test",
        )
        .await
        .unwrap();
    let auth = Some((
        svc.client_id.as_str(),
        svc.client_secret.as_deref().unwrap(),
    ));
    let (status, body, _) = app
        .post_form(
            "/t/acme/token",
            auth,
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        jwt_claims(body["access_token"].as_str().unwrap())["iss"],
        issuer.as_str()
    );
    let (status, _, _) = app
        .post_form("/token", auth, &[("grant_type", "client_credentials")])
        .await;
    assert_eq!(
        status, 401,
        "the client does not exist in the default tenant"
    );

    // An acme token is not valid at the default tenant.
    let (_, body, _) = app
        .post_form(
            "/t/acme/introspect",
            auth,
            &[("token", body["access_token"].as_str().unwrap())],
        )
        .await;
    assert_eq!(body["active"], true);
}
