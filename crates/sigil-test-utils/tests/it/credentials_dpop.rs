//! DPoP-bound credential access tokens (RFC 9449): a wallet that sends a proof to the token
//! endpoint gets a `DPoP` token bound to its key, which the credential endpoint takes only
//! under the DPoP scheme with a fresh proof by that key for that request; a deployment can
//! require it.

use serde_json::{Value, json};
use sigil_core::model::SigningAlg;
use sigil_keys::{SigningKey, thumbprint};
use sigil_test_utils::{TestApp, jwt_claims};

use super::credentials::{get_json, holder, nonce, offer, pre_authorized_code, proof};

const PRE_AUTH: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

async fn app(require_dpop: bool) -> TestApp {
    let app = TestApp::spawn_with(|c| c.credentials.require_dpop = require_dpop).await;
    app.create_user("holder").await;
    app
}

/// A fresh offer's pre-authorized code.
async fn code(app: &TestApp) -> String {
    let created = offer(app, "holder", false).await;
    pre_authorized_code(&serde_json::to_value(&created.credential_offer).unwrap())
}

/// A DPoP proof by `key` for a POST to `url`, for `token` when given.
fn dpop(key: &SigningKey, url: &str, token: Option<&str>) -> String {
    let now = sigil_core::Clock::now(&sigil_core::SystemClock).0;
    sigil_oidc::dpop::dpop_proof(key, ("POST", url), token, None, now)
}

/// POSTs with the given headers: status, body, `WWW-Authenticate`.
async fn post(
    app: &TestApp,
    path: &str,
    headers: &[(&str, String)],
    body: Body,
) -> (u16, Value, String) {
    let mut req = app.http().post(app.url(path));
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    req = match body {
        Body::Form(form) => req.form(&form),
        Body::Json(json) => req.json(&json),
    };
    let res = req.send().await.unwrap();
    let challenge = res
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
        challenge,
    )
}

enum Body {
    Form(Vec<(&'static str, String)>),
    Json(Value),
}

fn redeem(code: &str) -> Body {
    Body::Form(vec![
        ("grant_type", PRE_AUTH.into()),
        ("pre-authorized_code", code.into()),
    ])
}

/// A credential request (a new key proof) to the credential endpoint with `headers`.
async fn ask_credential(app: &TestApp, headers: &[(&str, String)]) -> (u16, Value, String) {
    let body = credential_body(app).await;
    post(app, "/vci/credential", headers, body).await
}

async fn credential_body(app: &TestApp) -> Body {
    let n = nonce(app).await;
    Body::Json(json!({"credential_configuration_id": "employee",
        "proofs": {"jwt": [proof(app, &holder(), &n)]}}))
}

#[tokio::test]
async fn a_proof_at_the_token_endpoint_binds_the_token_to_its_key() {
    let app = app(false).await;
    let (_, meta) = get_json(&app, &app.url("/.well-known/oauth-authorization-server")).await;
    assert!(
        meta["dpop_signing_alg_values_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("ES256"))
    );
    let (key, _) = SigningKey::generate(SigningAlg::ES256).unwrap();
    let code = code(&app).await;
    let token_url = app.url("/token");
    let (status, tok, _) = post(
        &app,
        "/token",
        &[("dpop", dpop(&key, &token_url, None))],
        redeem(&code),
    )
    .await;
    assert_eq!(status, 200, "{tok}");
    assert_eq!(tok["token_type"], "DPoP");
    let access = tok["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        jwt_claims(&access)["cnf"]["jkt"],
        thumbprint(key.public_key())
    );

    let url = app.url("/vci/credential");
    let auth = format!("DPoP {access}");
    // As a Bearer token: refused.
    let bearer = [("authorization", format!("Bearer {access}"))];
    let (status, body, challenge) = ask_credential(&app, &bearer).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_token"))
    );
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    // Without a proof, with a proof by another key, for another URL, without ath: refused.
    let (other, _) = SigningKey::generate(SigningAlg::ES256).unwrap();
    let bad_proofs = [
        None,
        Some(dpop(&other, &url, Some(&access))),
        Some(dpop(&key, &token_url, Some(&access))),
        Some(dpop(&key, &url, None)),
    ];
    for bad in bad_proofs {
        let mut headers = vec![("authorization", auth.clone())];
        headers.extend(bad.map(|p| ("dpop", p)));
        let (status, body, challenge) = ask_credential(&app, &headers).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"], "invalid_dpop_proof");
        assert!(challenge.starts_with("DPoP algs=\"ES256"), "{challenge}");
    }
    // A good proof: issued. The same proof again: refused.
    let good = dpop(&key, &url, Some(&access));
    let headers = [("authorization", auth.clone()), ("dpop", good)];
    let (status, body, _) = ask_credential(&app, &headers).await;
    assert_eq!(status, 200, "{body}");
    let (status, body, _) = ask_credential(&app, &headers).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_dpop_proof"))
    );
    // The notification endpoint takes it the same way.
    let note = Body::Json(
        json!({"notification_id": body_id(&app, &access, &key).await, "event": "credential_accepted"}),
    );
    let headers = [
        ("authorization", auth),
        (
            "dpop",
            dpop(&key, &app.url("/vci/notification"), Some(&access)),
        ),
    ];
    let (status, _, _) = post(&app, "/vci/notification", &headers, note).await;
    assert_eq!(status, 204);
}

/// Another credential of the bound token, for its notification id.
async fn body_id(app: &TestApp, access: &str, key: &SigningKey) -> String {
    let headers = [
        ("authorization", format!("DPoP {access}")),
        ("dpop", dpop(key, &app.url("/vci/credential"), Some(access))),
    ];
    let (status, body, _) = ask_credential(app, &headers).await;
    assert_eq!(status, 200, "{body}");
    body["notification_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_deployment_can_require_dpop() {
    let app = app(true).await;
    let code = code(&app).await;
    let (status, body, _) = post(&app, "/token", &[], redeem(&code)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_dpop_proof"))
    );
    let (key, _) = SigningKey::generate(SigningAlg::ES256).unwrap();
    let token_url = app.url("/token");
    // A proof for another endpoint, or two DPoP headers: refused, and the offer still stands.
    let wrong = [("dpop", dpop(&key, &app.url("/vci/credential"), None))];
    let (status, body, _) = post(&app, "/token", &wrong, redeem(&code)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_dpop_proof"))
    );
    let two = [
        ("dpop", dpop(&key, &token_url, None)),
        ("dpop", dpop(&key, &token_url, None)),
    ];
    let (status, body, _) = post(&app, "/token", &two, redeem(&code)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_dpop_proof"))
    );
    let (status, tok, _) = post(
        &app,
        "/token",
        &[("dpop", dpop(&key, &token_url, None))],
        redeem(&code),
    )
    .await;
    assert_eq!(status, 200, "{tok}");
    assert_eq!(tok["token_type"], "DPoP");
}

#[tokio::test]
async fn an_unbound_token_is_not_taken_under_the_dpop_scheme() {
    let app = app(false).await;
    let code = code(&app).await;
    let (status, tok, _) = post(&app, "/token", &[], redeem(&code)).await;
    assert_eq!((status, tok["token_type"].as_str()), (200, Some("Bearer")));
    let access = tok["access_token"].as_str().unwrap();
    let (key, _) = SigningKey::generate(SigningAlg::ES256).unwrap();
    let headers = [
        ("authorization", format!("DPoP {access}")),
        (
            "dpop",
            dpop(&key, &app.url("/vci/credential"), Some(access)),
        ),
    ];
    let (status, body, challenge) = ask_credential(&app, &headers).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_token"))
    );
    assert!(challenge.starts_with("DPoP"), "{challenge}");
}
