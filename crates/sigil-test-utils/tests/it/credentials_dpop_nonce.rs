//! Server-provided DPoP nonces (RFC 9449 §8 and §9), which HAIP wallets must handle: with
//! `[credentials] dpop_nonce`, the token, nonce and credential endpoints give a nonce in
//! `DPoP-Nonce`, and a proof without the current one is refused with `use_dpop_nonce` (400 at
//! the token endpoint, a 401 DPoP challenge at the credential endpoint) and the nonce to use;
//! nonces from another tenant or an old window are refused too. `sigil wallet` retries with
//! the nonce it is given.

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use sigil_cli::wallet::{Wallet, receive};
use sigil_core::model::SigningAlg;
use sigil_keys::SigningKey;
use sigil_oidc::dpop::dpop_proof;
use sigil_test_utils::TestApp;

use super::credentials::{holder, nonce, offer, pre_authorized_code, proof};

const PRE_AUTH: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

async fn app() -> TestApp {
    let app = TestApp::spawn_with(|c| c.credentials.dpop_nonce = true).await;
    app.create_user("holder").await;
    app
}

/// What an answer says: status, headers, JSON body.
async fn answer(req: reqwest::RequestBuilder) -> (u16, HeaderMap, Value) {
    let res = req.send().await.unwrap();
    let (status, headers) = (res.status().as_u16(), res.headers().clone());
    (status, headers, res.json().await.unwrap_or(Value::Null))
}

fn given_nonce(headers: &HeaderMap) -> String {
    headers["dpop-nonce"].to_str().unwrap().to_owned()
}

/// A token request for a fresh offer with a proof by `key` carrying `nonce`.
async fn token_request(
    app: &TestApp,
    key: &SigningKey,
    nonce: Option<&str>,
) -> (u16, HeaderMap, Value) {
    let created = offer(app, "holder", false).await;
    let code = pre_authorized_code(&serde_json::to_value(&created.credential_offer).unwrap());
    let url = app.url("/token");
    let proof = dpop_proof(key, ("POST", &url), None, nonce, app.provider.now().0);
    let form = [
        ("grant_type", PRE_AUTH),
        ("pre-authorized_code", code.as_str()),
    ];
    answer(app.http().post(url).header("dpop", proof).form(&form)).await
}

#[tokio::test]
async fn proofs_must_carry_the_nonce_the_server_gives() {
    let app = app().await;
    let key = SigningKey::generate(SigningAlg::ES256).unwrap().0;

    // Token endpoint: no nonce, a made-up one: 400 use_dpop_nonce with the nonce to use.
    for bad in [None, Some("29999999.bm90LWEtbm9uY2U")] {
        let (status, headers, body) = token_request(&app, &key, bad).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], "use_dpop_nonce");
        assert!(!given_nonce(&headers).is_empty());
    }
    let (_, headers, _) = token_request(&app, &key, None).await;
    let server_nonce = given_nonce(&headers);
    let (status, headers, token) = token_request(&app, &key, Some(&server_nonce)).await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["token_type"], "DPoP");
    assert_eq!(
        given_nonce(&headers),
        server_nonce,
        "the same nonce within its window"
    );
    let access = token["access_token"].as_str().unwrap().to_owned();

    // The nonce endpoint gives it too.
    let (_, headers, _) = answer(app.http().post(app.url("/vci/nonce"))).await;
    assert_eq!(given_nonce(&headers), server_nonce);

    // Credential endpoint: without the nonce, a 401 DPoP challenge naming use_dpop_nonce.
    let url = app.url("/vci/credential");
    let ask = |dpop_nonce: Option<String>| {
        let (app, key, access, url) = (&app, &key, access.clone(), url.clone());
        async move {
            let holder_key = holder();
            let body = json!({"credential_configuration_id": "employee",
                "proofs": {"jwt": [proof(app, &holder_key, &nonce(app).await)]}});
            let now = app.provider.now().0;
            let dpop = dpop_proof(
                key,
                ("POST", &url),
                Some(&access),
                dpop_nonce.as_deref(),
                now,
            );
            let req = app
                .http()
                .post(&url)
                .header("authorization", format!("DPoP {access}"))
                .header("dpop", dpop)
                .json(&body);
            answer(req).await
        }
    };
    let (status, headers, body) = ask(None).await;
    assert_eq!(status, 401, "{body}");
    let challenge = headers["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.starts_with("DPoP ") && challenge.contains("error=\"use_dpop_nonce\""),
        "{challenge}"
    );
    assert_eq!(given_nonce(&headers), server_nonce);
    let (status, headers, body) = ask(Some(server_nonce.clone())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(given_nonce(&headers), server_nonce);

    // Five minutes on, the nonce is still taken (one window back); ten on, it is not.
    app.clock.advance(Duration::from_secs(300));
    let (status, headers, _) = ask(Some(server_nonce.clone())).await;
    assert_eq!(status, 200);
    let newer = given_nonce(&headers);
    assert_ne!(newer, server_nonce, "a new window, a new nonce");
    app.clock.advance(Duration::from_secs(300));
    let (status, _, body) = ask(Some(server_nonce.clone())).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("use_dpop_nonce"))
    );
}

#[tokio::test]
async fn nonces_are_the_tenants_own_and_off_by_default() {
    let app = app().await;
    let t = app.provider.tenant_ctx(&app.tenant());
    let own = app.provider.dpop_nonce(&t).unwrap();
    let other = app
        .provider
        .tenant_ctx(&sigil_core::TenantId::parse("acme").unwrap());
    assert_ne!(app.provider.dpop_nonce(&other).unwrap(), own);

    let plain = TestApp::spawn().await;
    let (_, headers, _) = answer(plain.http().post(plain.url("/vci/nonce"))).await;
    assert!(headers.get("dpop-nonce").is_none());
    let t = plain.provider.tenant_ctx(&plain.tenant());
    assert_eq!(plain.provider.dpop_nonce(&t), None);
}

#[tokio::test]
async fn the_wallet_retries_with_the_nonce_it_is_given() {
    let app = app().await;
    let dir = tempfile::tempdir().unwrap();
    let mut wallet = Wallet::open(dir.path()).unwrap();
    let created = offer(&app, "holder", false).await;
    let now = app.provider.now().0;
    let received = receive(&mut wallet, &created.credential_offer_uri, None, now)
        .await
        .unwrap();
    assert_eq!(received.credentials.len(), 1);
}
