//! Encrypted credential requests and responses (OpenID4VCI 1.0 §10): the issuer publishes a
//! key for requests, decrypts what is sent to it, and seals credentials (and deferrals) to the
//! key each request names; errors stay plain; parameters it cannot honour, a request for an
//! encrypted response sent in the clear, and (when required) plain requests are
//! `invalid_encryption_parameters`. `sigil wallet` encrypts wherever it is offered.

use serde_json::{Map, Value, json};
use sigil_cli::wallet::{Wallet, receive};
use sigil_keys::jwe::{decrypt_ecdh_es, encrypt_ecdh_es, generate_p256_scalar, p256_public_jwk};
use sigil_test_utils::TestApp;

use super::credentials::{access_token, fresh, get_json, holder, nonce, offer, proof};
use super::credentials_deferred::define_badge;

/// The issuer's request encryption key, from its metadata, and the metadata's members.
async fn issuer_key(app: &TestApp) -> (Value, Value) {
    let (status, meta) = get_json(app, &app.url("/.well-known/openid-credential-issuer")).await;
    assert_eq!(status, 200);
    let key = meta["credential_request_encryption"]["jwks"]["keys"][0].clone();
    (key, meta)
}

/// A wallet key for the answer: its scalar and public JWK (`alg` ECDH-ES, `kid` `w`).
fn answer_key() -> (Vec<u8>, Map<String, Value>) {
    let scalar = generate_p256_scalar().unwrap();
    let mut jwk = p256_public_jwk(&scalar).unwrap();
    jwk.insert("alg".into(), json!("ECDH-ES"));
    jwk.insert("kid".into(), json!("w"));
    (scalar.to_vec(), jwk)
}

/// Posts `body` to `path` as `content_type`: status, content type, text.
async fn post(
    app: &TestApp,
    path: &str,
    access: &str,
    content_type: &str,
    body: String,
) -> (u16, String, String) {
    let res = app
        .http()
        .post(app.url(path))
        .bearer_auth(access)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let media = res.headers()["content-type"].to_str().unwrap().to_owned();
    (status, media, res.text().await.unwrap())
}

/// `request` (JSON) encrypted to the issuer's key, asking for the answer under `answer`.
fn sealed(request: &Value, issuer: &Value, answer: &Map<String, Value>, enc: &str) -> String {
    let mut request = request.clone();
    request["credential_response_encryption"] = json!({"jwk": answer, "enc": enc});
    encrypt_ecdh_es(
        request.to_string().as_bytes(),
        issuer,
        enc,
        issuer["kid"].as_str(),
    )
    .unwrap()
}

/// Decrypts an answer with `scalar`: its header and JSON.
fn opened(jwe: &str, scalar: &[u8]) -> (Value, Value) {
    let (header, plain) = decrypt_ecdh_es(jwe, scalar).unwrap();
    (header, serde_json::from_slice(&plain).unwrap())
}

#[tokio::test]
async fn encrypted_requests_get_encrypted_credentials_and_plain_errors() {
    let app = fresh().await;
    let (issuer, meta) = issuer_key(&app).await;
    assert_eq!(issuer["alg"], "ECDH-ES");
    assert_eq!(issuer["use"], "enc");
    assert!(issuer.get("d").is_none());
    assert_eq!(
        meta["credential_request_encryption"]["encryption_required"],
        false
    );
    assert_eq!(
        meta["credential_response_encryption"],
        json!({"alg_values_supported": ["ECDH-ES"], "enc_values_supported": ["A128GCM", "A256GCM"],
            "encryption_required": false})
    );

    let access = access_token(&app, "employee").await;
    let key = holder();
    let request = json!({"credential_configuration_id": "employee",
        "proofs": {"jwt": [proof(&app, &key, &nonce(&app).await)]}});
    let (scalar, answer) = answer_key();
    let jwe = sealed(&request, &issuer, &answer, "A256GCM");
    let (status, media, text) =
        post(&app, "/vci/credential", &access, "application/jwt", jwe).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(media, "application/jwt");
    let (header, body) = opened(&text, &scalar);
    assert_eq!(header["kid"], "w");
    assert_eq!(header["enc"], "A256GCM");
    assert!(
        body["credentials"][0]["credential"]
            .as_str()
            .unwrap()
            .contains('~')
    );

    // An error is plain JSON even for an encrypted request.
    let (_, answer2) = answer_key();
    let replayed = sealed(&request, &issuer, &answer2, "A128GCM");
    let (status, media, text) = post(
        &app,
        "/vci/credential",
        &access,
        "application/jwt",
        replayed,
    )
    .await;
    assert_eq!(
        (status, media.as_str()),
        (400, "application/json"),
        "{text}"
    );
    assert!(text.contains("invalid_nonce"), "{text}");

    // Asking for an encrypted answer in the clear, a key the issuer does not have, a JWE that
    // is not one, compression: invalid_encryption_parameters.
    let mut clear = request.clone();
    clear["credential_response_encryption"] = json!({"jwk": answer, "enc": "A128GCM"});
    let mut wrong_kid = issuer.clone();
    wrong_kid["kid"] = json!("someone-else");
    let mut zipped = request.clone();
    zipped["credential_response_encryption"] =
        json!({"jwk": answer, "enc": "A128GCM", "zip": "DEF"});
    let zipped = encrypt_ecdh_es(
        zipped.to_string().as_bytes(),
        &issuer,
        "A128GCM",
        issuer["kid"].as_str(),
    )
    .unwrap();
    let cases = [
        ("application/json", clear.to_string()),
        (
            "application/jwt",
            sealed(&request, &wrong_kid, &answer, "A128GCM"),
        ),
        ("application/jwt", "not.a.jwe".to_owned()),
        ("application/jwt", zipped),
    ];
    for (media, body) in cases {
        let (status, _, text) = post(&app, "/vci/credential", &access, media, body).await;
        assert_eq!(status, 400, "{text}");
        assert!(text.contains("invalid_encryption_parameters"), "{text}");
    }
}

#[tokio::test]
async fn deferrals_are_encrypted_to_each_requests_own_key() {
    let app = fresh().await;
    define_badge(&app).await;
    let (issuer, _) = issuer_key(&app).await;
    let access = access_token(&app, "badge").await;
    let key = holder();
    let request = json!({"credential_configuration_id": "badge",
        "proofs": {"jwt": [proof(&app, &key, &nonce(&app).await)]}});
    let (scalar, answer) = answer_key();
    let jwe = sealed(&request, &issuer, &answer, "A128GCM");
    let (status, media, text) =
        post(&app, "/vci/credential", &access, "application/jwt", jwe).await;
    assert_eq!((status, media.as_str()), (202, "application/jwt"), "{text}");
    let (_, deferral) = opened(&text, &scalar);
    let transaction = deferral["transaction_id"].as_str().unwrap();

    let (scalar, answer) = answer_key();
    let ask = json!({"transaction_id": transaction});
    let jwe = sealed(&ask, &issuer, &answer, "A256GCM");
    let (status, media, text) = post(
        &app,
        "/vci/deferred_credential",
        &access,
        "application/jwt",
        jwe,
    )
    .await;
    assert_eq!((status, media.as_str()), (202, "application/jwt"), "{text}");
    let (header, again) = opened(&text, &scalar);
    assert_eq!(
        header["enc"], "A256GCM",
        "the deferred request's own choice"
    );
    assert_eq!(again["transaction_id"], transaction);
}

#[tokio::test]
async fn when_encryption_is_required_plain_requests_are_refused_and_the_wallet_encrypts() {
    let app = TestApp::spawn_with(|c| c.credentials.encryption_required = true).await;
    app.create_user("holder").await;
    let (issuer, meta) = issuer_key(&app).await;
    assert_eq!(
        meta["credential_request_encryption"]["encryption_required"],
        true
    );
    assert_eq!(
        meta["credential_response_encryption"]["encryption_required"],
        true
    );
    let access = access_token(&app, "employee").await;
    let key = holder();
    let request = json!({"credential_configuration_id": "employee",
        "proofs": {"jwt": [proof(&app, &key, &nonce(&app).await)]}});
    let (status, _, text) = post(
        &app,
        "/vci/credential",
        &access,
        "application/json",
        request.to_string(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.contains("invalid_encryption_parameters"), "{text}");
    // Encrypted, but without a key for the answer.
    let jwe = encrypt_ecdh_es(
        request.to_string().as_bytes(),
        &issuer,
        "A128GCM",
        issuer["kid"].as_str(),
    )
    .unwrap();
    let (status, _, text) = post(&app, "/vci/credential", &access, "application/jwt", jwe).await;
    assert_eq!(status, 400);
    assert!(text.contains("credential_response_encryption"), "{text}");

    let dir = tempfile::tempdir().unwrap();
    let mut wallet = Wallet::open(dir.path()).unwrap();
    let created = offer(&app, "holder", false).await;
    let received = receive(
        &mut wallet,
        &created.credential_offer_uri,
        None,
        app.provider.now().0,
    )
    .await
    .unwrap();
    assert_eq!(received.credentials.len(), 1);
}
