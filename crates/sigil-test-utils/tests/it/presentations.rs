//! The verifier as a wallet and a relying application see it: a request object fetched by
//! reference (signed under an `x509_hash` client id, or unsigned for `redirect_uri`), a
//! presentation of Sigil's own credential with only the claims asked for, plain or encrypted
//! responses, and a result that holds the disclosed claims or says why it was rejected.

use serde_json::{Value, json};
use sigil_core::{Digest32, b64_decode, b64url_encode};
use sigil_keys::{DecodedJws, PublicKey, SigningKey};
use sigil_oidc::credentials::StatusChange;
use sigil_oidc::presentations::CreatedRequest;
use sigil_test_utils::{TestApp, jwt_claims, jwt_header};
use sigil_vc::verifier::{ClientIdPrefix, ResponseMode};

use super::credentials::{fresh, holder, issue};

async fn request(app: &TestApp, prefix: ClientIdPrefix, mode: ResponseMode) -> CreatedRequest {
    let t = app.provider.tenant_ctx(&app.tenant());
    app.provider
        .request_presentation(&t, "employee-check", prefix, mode)
        .await
        .unwrap()
}

/// The request object behind an `openid4vp://` link.
async fn request_object(app: &TestApp, created: &CreatedRequest) -> String {
    let query = created.request_uri.split_once('?').unwrap().1;
    let params: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(params["client_id"], created.client_id);
    let res = app.http().get(&params["request_uri"]).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "application/oauth-authz-req+jwt"
    );
    res.text().await.unwrap()
}

/// A presentation of `credential` disclosing only `names`, bound to the request.
fn present(
    credential: &str,
    key: &SigningKey,
    names: &[&str],
    aud: &str,
    nonce: &str,
    iat: i64,
) -> String {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    sigil_vc::holder::present(credential, &names, key, aud, nonce, iat)
}

async fn post(app: &TestApp, form: &[(&str, &str)]) -> (u16, Value) {
    let (status, body, _) = app.post_form("/vp/response", None, form).await;
    (status, body)
}

/// The request's claims, after checking its signature with its `x5c` certificate, named by
/// the client id's hash.
fn verified_request(jwt: &str, client_id: &str) -> Value {
    let header = jwt_header(jwt);
    assert_eq!(header["typ"], "oauth-authz-req+jwt");
    let cert = b64_decode(header["x5c"][0].as_str().unwrap()).unwrap();
    assert_eq!(
        client_id,
        format!("x509_hash:{}", b64url_encode(Digest32::of(&cert).0))
    );
    // The certificate's P-256 point is the last 65 bytes before the signature algorithm: find
    // it by the uncompressed-point marker of the SubjectPublicKeyInfo.
    let spki = cert
        .windows(26)
        .position(|w| w.starts_with(&[0x30, 0x59, 0x30, 0x13]))
        .unwrap();
    let point = &cert[spki + 26..spki + 26 + 65];
    assert_eq!(point[0], 4);
    let jwk = json!({"kty": "EC", "crv": "P-256", "x": b64url_encode(&point[1..33]), "y": b64url_encode(&point[33..65])});
    let key = PublicKey::from_jwk(jwk.as_object().unwrap()).unwrap();
    DecodedJws::decode(jwt, 1 << 16)
        .unwrap()
        .verify(&key)
        .unwrap();
    jwt_claims(jwt)
}

#[tokio::test]
async fn a_wallet_presents_only_what_is_asked_and_the_result_holds_it() {
    let app = fresh().await;
    let key = holder();
    let (_, credentials) = issue(&app, "holder", &[&key]).await;
    let created = request(&app, ClientIdPrefix::X509Hash, ResponseMode::DirectPost).await;
    assert_eq!(
        app.presentation_outcome(&created.id).await["status"],
        "pending"
    );
    let again = request(&app, ClientIdPrefix::X509Hash, ResponseMode::DirectPost).await;
    assert_eq!(
        again.client_id, created.client_id,
        "one certificate, one client id"
    );
    let claims = verified_request(&request_object(&app, &created).await, &created.client_id);
    assert_eq!(claims["response_uri"], app.url("/vp/response"));
    assert_eq!(claims["state"], created.id.as_str());
    assert_eq!(claims["dcql_query"]["credentials"][0]["id"], "employee");
    let nonce = claims["nonce"].as_str().unwrap();
    let now = app.provider.now().0;
    let vp = present(
        &credentials[0],
        &key,
        &["name", "email"],
        &created.client_id,
        nonce,
        now,
    );
    let token = json!({"employee": [vp]}).to_string();
    let (status, body) = post(&app, &[("vp_token", &token), ("state", &created.id)]).await;
    assert_eq!((status, body), (200, json!({})));
    let result = app.presentation_outcome(&created.id).await;
    assert_eq!(result["status"], "verified", "{result}");
    assert_eq!(
        result["claims"],
        json!({"employee": {"name": "holder Example", "email": "holder@example.com"}})
    );
    // Answered once.
    let (status, body) = post(&app, &[("vp_token", &token), ("state", &created.id)]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let res = app
        .http()
        .get(app.url(&format!("/vp/requests/{}", created.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn bad_presentations_are_rejected_with_a_reason() {
    let app = fresh().await;
    let key = holder();
    let (credential_id, credentials) = issue(&app, "holder", &[&key]).await;
    let credential = &credentials[0];
    let now = app.provider.now().0;
    type Make = Box<dyn Fn(&str, &str) -> String>;
    let c = credential.clone();
    let cases: Vec<(&str, Make)> = vec![
        ("a wrong nonce", {
            let (c, key) = (c.clone(), holder_clone(&key));
            Box::new(move |aud, _| present(&c, &key, &["name", "email"], aud, "not-the-nonce", now))
        }),
        ("an audience without its prefix", {
            let (c, key) = (c.clone(), holder_clone(&key));
            Box::new(move |aud, nonce| {
                let bare = aud.split_once(':').unwrap().1.to_owned();
                present(&c, &key, &["name", "email"], &bare, nonce, now)
            })
        }),
        ("a key-binding JWT an hour old", {
            let (c, key) = (c.clone(), holder_clone(&key));
            Box::new(move |aud, nonce| {
                present(&c, &key, &["name", "email"], aud, nonce, now - 3600)
            })
        }),
        ("signed by another holder", {
            let c = c.clone();
            Box::new(move |aud, nonce| present(&c, &holder(), &["name", "email"], aud, nonce, now))
        }),
        ("without the e-mail asked for", {
            let (c, key) = (c.clone(), holder_clone(&key));
            Box::new(move |aud, nonce| present(&c, &key, &["name"], aud, nonce, now))
        }),
        ("with a tampered disclosure", {
            let (c, key) = (c.clone(), holder_clone(&key));
            Box::new(move |aud, nonce| {
                let vp = present(&c, &key, &["name", "email"], aud, nonce, now);
                let mut parts: Vec<String> = vp.split('~').map(str::to_owned).collect();
                let d = &mut parts[1];
                let last = d.pop().unwrap();
                d.push(if last == 'A' { 'B' } else { 'A' });
                parts.join("~")
            })
        }),
    ];
    for (why, make) in cases {
        let created = request(&app, ClientIdPrefix::X509Hash, ResponseMode::DirectPost).await;
        let claims = jwt_claims(&request_object(&app, &created).await);
        let vp = make(&created.client_id, claims["nonce"].as_str().unwrap());
        let token = json!({"employee": [vp]}).to_string();
        let (status, _) = post(&app, &[("vp_token", &token), ("state", &created.id)]).await;
        assert_eq!(status, 200, "{why}: the response is taken");
        let result = app.presentation_outcome(&created.id).await;
        assert_eq!(result["status"], "rejected", "{why}: {result}");
        assert!(
            result["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "{why}"
        );
        assert!(result.get("claims").is_none(), "{why}: nothing kept");
    }
    // Revoked and suspended credentials.
    let t = app.tenant();
    for (change, word) in [
        (StatusChange::Suspend, "suspended"),
        (StatusChange::Revoke, "revoked"),
    ] {
        app.provider
            .change_credential_status(&t, "test", &credential_id, change)
            .await
            .unwrap();
        let created = request(&app, ClientIdPrefix::X509Hash, ResponseMode::DirectPost).await;
        let claims = jwt_claims(&request_object(&app, &created).await);
        let vp = present(
            credential,
            &key,
            &["name", "email"],
            &created.client_id,
            claims["nonce"].as_str().unwrap(),
            now,
        );
        let token = json!({"employee": [vp]}).to_string();
        post(&app, &[("vp_token", &token), ("state", &created.id)]).await;
        let result = app.presentation_outcome(&created.id).await;
        assert_eq!(result["status"], "rejected");
        assert!(
            result["reason"].as_str().unwrap().contains(word),
            "{result}"
        );
    }
}

fn holder_clone(key: &SigningKey) -> SigningKey {
    SigningKey::from_pkcs8(
        sigil_core::model::SigningAlg::ES256,
        &key.pkcs8_der().unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn encrypted_responses_and_unsigned_redirect_uri_requests() {
    let app = fresh().await;
    let key = holder();
    let (_, credentials) = issue(&app, "holder", &[&key]).await;
    let now = app.provider.now().0;

    let created = request(&app, ClientIdPrefix::X509Hash, ResponseMode::DirectPostJwt).await;
    let claims = verified_request(&request_object(&app, &created).await, &created.client_id);
    assert_eq!(claims["response_mode"], "direct_post.jwt");
    let enc_key = &claims["client_metadata"]["jwks"]["keys"][0];
    let vp = present(
        &credentials[0],
        &key,
        &["name", "email"],
        &created.client_id,
        claims["nonce"].as_str().unwrap(),
        now,
    );
    let payload = json!({"vp_token": {"employee": [vp]}, "state": created.id});
    // A plain response to an encrypted request is refused.
    let plain = payload["vp_token"].to_string();
    let (status, _) = post(&app, &[("vp_token", &plain), ("state", &created.id)]).await;
    assert_eq!(status, 400);
    let jwe = sigil_keys::jwe::encrypt_ecdh_es(
        payload.to_string().as_bytes(),
        enc_key,
        "A256GCM",
        enc_key["kid"].as_str(),
    )
    .unwrap();
    let (status, body) = post(&app, &[("response", &jwe)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.presentation_outcome(&created.id).await["status"],
        "verified"
    );

    let created = request(&app, ClientIdPrefix::RedirectUri, ResponseMode::DirectPost).await;
    assert_eq!(
        created.client_id,
        format!("redirect_uri:{}", app.url("/vp/response"))
    );
    // The request travels by value in the link (it is not signed); its unsigned request
    // object is there too.
    let query = created.request_uri.strip_prefix("openid4vp://?").unwrap();
    let link: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(link["client_id"], created.client_id);
    assert_eq!(link["response_uri"], app.url("/vp/response"));
    assert!(!link.contains_key("request_uri"));
    let dcql: Value = serde_json::from_str(&link["dcql_query"]).unwrap();
    assert_eq!(dcql["credentials"][0]["id"], "employee");
    let res = app
        .http()
        .get(app.url(&format!("/vp/requests/{}", created.id)))
        .send()
        .await
        .unwrap();
    let jwt = res.text().await.unwrap();
    assert_eq!(jwt_header(&jwt)["alg"], "none");
    assert!(jwt.ends_with('.'), "unsigned");
    let claims = jwt_claims(&jwt);
    assert_eq!(claims["nonce"].as_str(), Some(link["nonce"].as_str()));
    let vp = present(
        &credentials[0],
        &key,
        &["name", "email"],
        &created.client_id,
        claims["nonce"].as_str().unwrap(),
        now,
    );
    let token = json!({"employee": [vp]}).to_string();
    post(&app, &[("vp_token", &token), ("state", &created.id)]).await;
    assert_eq!(
        app.presentation_outcome(&created.id).await["status"],
        "verified"
    );
}

#[tokio::test]
async fn malformed_responses_are_invalid_requests() {
    let app = fresh().await;
    let created = request(&app, ClientIdPrefix::X509Hash, ResponseMode::DirectPost).await;
    for form in [
        vec![("vp_token", "{}")],
        vec![("state", "unknown"), ("vp_token", "{}")],
        vec![("state", created.id.as_str())],
        vec![("state", created.id.as_str()), ("vp_token", "not json")],
        vec![("response", "a.b.c.d.e")],
    ] {
        let (status, body) = post(&app, &form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_request")),
            "{form:?}"
        );
    }
    assert_eq!(
        app.presentation_outcome(&created.id).await["status"],
        "pending",
        "nothing consumed it"
    );
    let page = app.http().get(&created.page).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<svg"));
}

#[tokio::test]
async fn relying_applications_use_the_management_api() {
    use reqwest::{Method, StatusCode};

    use super::api::{call, is_problem};

    let app = fresh().await;
    let user = app
        .provider
        .credential_holder(&app.tenant(), "holder")
        .await
        .unwrap();
    let token = app
        .admin_token(&[
            "credentials:read",
            "credentials:write",
            "presentations:read",
            "presentations:write",
        ])
        .await;
    let offer = json!({"type": "employee", "user_id": user.as_str(), "tx_code": true});
    let (status, headers, body) = call(
        &app,
        &token,
        Method::POST,
        "/credential-offers",
        Some(offer),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(
        body["credential_offer_uri"]
            .as_str()
            .unwrap()
            .starts_with("openid-credential-offer://")
    );
    assert_eq!(body["tx_code"].as_str().unwrap().len(), 6);
    let id = body["credential_id"].as_str().unwrap().to_owned();
    assert!(
        headers["location"]
            .to_str()
            .unwrap()
            .ends_with(&format!("/credentials/{id}"))
    );
    let (status, _, body) = call(
        &app,
        &token,
        Method::GET,
        &format!("/users/{user}/credentials"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"][0]["id"], id.as_str());
    assert_eq!(body["items"][0]["state"], "offered");
    let revoke = json!({"action": "revoke"});
    let (status, _, body) = call(
        &app,
        &token,
        Method::POST,
        &format!("/credentials/{id}/status"),
        Some(revoke.clone()),
        &[],
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("revoked"))
    );
    let (status, headers, body) = call(
        &app,
        &token,
        Method::POST,
        &format!("/credentials/{id}/status"),
        Some(json!({"action": "reinstate"})),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    is_problem(&headers, &body, "validation");
    let bad = json!({"type": "diploma", "user_id": user.as_str()});
    let (status, _, _) = call(
        &app,
        &token,
        Method::POST,
        "/credential-offers",
        Some(bad),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let (status, _, body) = call(
        &app,
        &token,
        Method::POST,
        "/verifiers/employee-check/requests",
        Some(json!({})),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(
        body["request_uri"]
            .as_str()
            .unwrap()
            .starts_with("openid4vp://")
    );
    let request = body["id"].as_str().unwrap().to_owned();
    let (status, _, body) = call(
        &app,
        &token,
        Method::GET,
        &format!("/presentations/{request}"),
        None,
        &[],
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("pending"))
    );
    let (status, _, _) = call(&app, &token, Method::GET, "/presentations/nope", None, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = call(
        &app,
        &token,
        Method::POST,
        "/verifiers/nope/requests",
        Some(json!({})),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let reader = app.admin_token(&["users:read"]).await;
    let (status, _, _) = call(
        &app,
        &reader,
        Method::GET,
        &format!("/presentations/{request}"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn x509_san_dns_names_the_issuer_host_in_the_certificate() {
    let app = TestApp::spawn_with(|c| {
        c.server.issuer = c.server.issuer.replace("127.0.0.1", "localhost")
    })
    .await;
    let created = request(&app, ClientIdPrefix::X509SanDns, ResponseMode::DirectPost).await;
    assert_eq!(created.client_id, "x509_san_dns:localhost");
    let t = app.provider.tenant_ctx(&app.tenant());
    let jwt = app
        .provider
        .presentation_request_object(&t, &created.id)
        .await
        .unwrap()
        .unwrap();
    let cert = b64_decode(jwt_header(&jwt)["x5c"][0].as_str().unwrap()).unwrap();
    assert!(
        cert.windows(9).any(|w| w == b"localhost"),
        "the SAN names the host"
    );
    assert_eq!(jwt_claims(&jwt)["client_id"], "x509_san_dns:localhost");
    // Not self-signed (HAIP): the tenant's issuer CA issued it, and stays out of x5c.
    let x5c: Vec<String> = serde_json::from_value(jwt_header(&jwt)["x5c"].clone()).unwrap();
    assert_eq!(x5c.len(), 1);
    let ca = app.provider.issuer_ca_certificate(&t).await.unwrap();
    assert_ne!(cert, ca);
    let key = sigil_vc::trust::certified_key(&x5c, &[ca], &t.issuer, app.provider.now().0)
        .expect("the certificate chains to the issuer CA");
    let others = sigil_keys::x509::ca_certificate(
        &sigil_keys::SigningKey::generate(sigil_core::model::SigningAlg::ES256)
            .unwrap()
            .0,
        "Other CA",
        app.provider.now(),
        30,
    )
    .unwrap();
    assert!(
        sigil_vc::trust::certified_key(&x5c, &[others], &t.issuer, app.provider.now().0).is_err()
    );
    let jws = sigil_keys::DecodedJws::decode(&jwt, 1 << 16).unwrap();
    jws.verify(&key)
        .expect("the request object is signed by the certified key");
    // Under an IP address there is no DNS name to certify.
    let ip = TestApp::spawn().await;
    let t = ip.provider.tenant_ctx(&ip.tenant());
    let refused = ip
        .provider
        .request_presentation(
            &t,
            "employee-check",
            ClientIdPrefix::X509SanDns,
            ResponseMode::DirectPost,
        )
        .await;
    assert!(refused.is_err());
}
