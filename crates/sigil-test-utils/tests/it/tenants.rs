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

#[tokio::test]
async fn the_default_tenants_administrators_manage_tenants_and_others_see_their_own() {
    use reqwest::Method;
    use serde_json::json;

    use crate::api::{call, is_problem};

    let app = TestApp::spawn().await;
    let root = app.admin_token(&["tenants:read", "tenants:write"]).await;
    let (status, headers, acme) = call(
        &app,
        &root,
        Method::POST,
        "/tenants",
        Some(json!({"id": "acme", "display_name": "Acme Corp"})),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{acme}");
    assert_eq!(acme["issuer"], format!("{}/t/acme", app.base));
    assert_eq!(
        headers["location"].to_str().unwrap(),
        app.url("/api/v1/tenants/acme")
    );
    // The new tenant is live at once: its own discovery document and keys.
    let meta = app
        .http()
        .get(app.url("/t/acme/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(meta.status(), 200);

    let (status, _, again) = call(
        &app,
        &root,
        Method::POST,
        "/tenants",
        Some(json!({"id": "acme"})),
        &[],
    )
    .await;
    assert_eq!(status, 409, "{again}");
    let (_, _, all) = call(&app, &root, Method::GET, "/tenants", None, &[]).await;
    let ids: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["acme", "default"]);

    // Acme's administrators see Acme only, through Acme's issuer, and create nothing.
    let acme_id = TenantId::parse("acme").unwrap();
    let acme_admin = app
        .tenant_admin_token(&acme_id, &["tenants:read", "tenants:write"])
        .await;
    let own = |path: &str| format!("{}/t/acme/api/v1{path}", app.base);
    let (status, _, list) = call(&app, &acme_admin, Method::GET, &own("/tenants"), None, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (status, _, _) = call(
        &app,
        &acme_admin,
        Method::GET,
        &own("/tenants/default"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 404);
    let (status, headers, problem) = call(
        &app,
        &acme_admin,
        Method::POST,
        &own("/tenants"),
        Some(json!({"id": "evil"})),
        &[],
    )
    .await;
    assert_eq!(status, 403);
    is_problem(&headers, &problem, "forbidden");
    // A token of one tenant opens no other tenant's API.
    let (status, _, _) = call(&app, &acme_admin, Method::GET, "/tenants", None, &[]).await;
    assert_eq!(status, 401);
}
