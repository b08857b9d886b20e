//! External identity providers through the management API: OpenID providers and SAML IdPs
//! added, listed, replaced and removed, their client secret never shown, their identifier
//! fixed, their domains routed to one provider only, and bad descriptions refused.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sigil_test_utils::TestApp;

use super::api::call;

const DISCOVERY: &str = "https://login.partner.example/.well-known/openid-configuration";

async fn put(app: &TestApp, token: &str, name: &str, body: Value) -> (StatusCode, Value) {
    let path = format!("/identity-providers/{name}");
    let (status, _, body) = call(app, token, Method::PUT, &path, Some(body), &[]).await;
    (status, body)
}

#[tokio::test]
async fn providers_are_managed_through_the_api() {
    let app = TestApp::spawn().await;
    let token = app
        .admin_token(&["identity-providers:read", "identity-providers:write"])
        .await;
    let oidc = json!({
        "kind": "oidc", "display_name": "Partner", "discovery_url": DISCOVERY,
        "client_id": "sigil", "client_secret": "s3cret-at-partner",
        "domains": ["partner.example"], "claims": {"username": "email"},
        "groups": {"staff": "employees"}
    });
    let (status, saved) = put(&app, &token, "partner", oidc.clone()).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 1);
    assert_eq!(saved["issuer"], "https://login.partner.example");
    assert_eq!(saved["client_secret_set"], true);
    assert_eq!(saved["claims"]["username"], "email");
    assert_eq!(saved["claims"]["name"], "name", "the other defaults stay");
    assert_eq!(
        saved["redirect_uri"],
        app.url("/login/idp/partner/callback")
    );
    assert!(
        !saved.to_string().contains("s3cret"),
        "the secret is never shown"
    );

    // A SAML IdP from its metadata (here Sigil's own IdP metadata).
    let metadata = super::saml::idp_metadata(&app).await;
    let (status, saml) = put(
        &app,
        &token,
        "campus",
        json!({"kind": "saml", "metadata": metadata, "allow_legacy_algorithms": true}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saml}");
    assert_eq!(saml["issuer"], app.url("/saml/metadata"));
    assert_eq!(
        saml["claims"]["username"], "uid",
        "SAML's attribute names by default"
    );
    assert_eq!(saml["allow_legacy_algorithms"], true);
    assert_eq!(saml["sp_metadata_url"], app.url("/saml/sp/campus/metadata"));

    let (_, _, list) = call(&app, &token, Method::GET, "/identity-providers", None, &[]).await;
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["campus", "partner"]);
    assert!(!list.to_string().contains("s3cret"));

    let (status, again) = put(&app, &token, "partner", oidc.clone()).await;
    assert_eq!(
        (status, again["version"].as_i64()),
        (StatusCode::OK, Some(2))
    );

    let mut moved = oidc.clone();
    moved["discovery_url"] = json!("https://elsewhere.example");
    let mut shoe = oidc.clone();
    shoe["claims"] = json!({"shoe": "size"});
    let mut taken = oidc.clone();
    taken["discovery_url"] = json!("https://other.example");
    let refusals = [
        ("partner", moved, StatusCode::UNPROCESSABLE_ENTITY),
        ("partner", shoe, StatusCode::UNPROCESSABLE_ENTITY),
        ("other", taken, StatusCode::CONFLICT),
        (
            "x",
            json!({"kind": "ldap"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "x",
            json!({"kind": "oidc", "discovery_url": DISCOVERY}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "x",
            json!({"kind": "saml", "metadata": "<x/>"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "Bad Name",
            json!({"kind": "saml"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "x",
            json!({"kind": "oidc", "extra": 1}),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (name, body, expected) in refusals {
        let (status, problem) = put(&app, &token, name, body.clone()).await;
        assert_eq!(status, expected, "{name} {body}: {problem}");
    }

    let reader = app.admin_token(&["identity-providers:read"]).await;
    let (status, _) = put(&app, &reader, "partner", oidc).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let path = "/identity-providers/partner";
    let (status, _, _) = call(&app, &token, Method::DELETE, path, None, &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = call(&app, &token, Method::GET, path, None, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
