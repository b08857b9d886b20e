//! Key attestations (OpenID4VCI 1.0 Appendix D, HAIP 1.0 §4.5.1): a credential type that
//! requires them says so in its metadata; a wallet provider whose CA the type trusts attests
//! the holder keys, in each `jwt` proof's `key_attestation` header or alone as an
//! `attestation` proof; keys it does not attest, another provider's attestations, weaker key
//! storage and stale nonces are refused with `invalid_proof` or `invalid_nonce`.

use serde_json::{Value, json};
use sigil_keys::{PublicKey, SigningKey};
use sigil_test_utils::wallet_provider::{WalletProvider, wallet_provider};
use sigil_test_utils::{TestApp, jwt_claims};

use super::credentials::{access_token, credential, fresh, get_json, holder, nonce};

/// A key attestation `p` signs for `keys`, bound to `nonce`, stating `key_storage`.
fn attestation(
    app: &TestApp,
    p: &WalletProvider,
    keys: &[&SigningKey],
    nonce: &str,
    key_storage: &str,
) -> String {
    let now = app.provider.now().0;
    let keys: Vec<Value> = keys.iter().map(|k| k.public_jwk()).collect();
    let claims = json!({"iat": now, "exp": now + 300, "nonce": nonce, "attested_keys": keys,
        "key_storage": [key_storage], "user_authentication": ["iso_18045_moderate"]});
    p.sign("key-attestation+jwt", &claims)
}

/// A `jwt` key proof by `key` that carries `key_attestation` in its header.
fn attested_proof(
    app: &TestApp,
    key: &SigningKey,
    nonce: &str,
    key_attestation: Option<&str>,
) -> String {
    let mut header = json!({"alg": "ES256", "typ": "openid4vci-proof+jwt",
        "jwk": key.public_key().jwk_members()});
    if let Some(a) = key_attestation {
        header["key_attestation"] = json!(a);
    }
    let claims = json!({"aud": app.base, "iat": app.provider.now().0, "nonce": nonce});
    let encode = |v: &Value| sigil_core::b64url_encode(v.to_string().as_bytes());
    let input = format!("{}.{}", encode(&header), encode(&claims));
    let signature = sigil_core::b64url_encode(key.sign(input.as_bytes()));
    format!("{input}.{signature}")
}

/// Defines `secure-badge`, whose keys `p` must attest to be in high-strength storage.
async fn define_secure_badge(app: &TestApp, p: &WalletProvider) {
    let t = app.provider.tenant_ctx(&app.tenant());
    let badge = json!({"vct": app.url("/vct/secure-badge"),
        "claims": [{"name": "name", "source": "name"}], "lifetime_secs": 3600,
        "key_attestation": {"key_storage": ["iso_18045_high"], "trust_anchors": [p.anchor()]}});
    app.provider
        .save_credential_type(&t, "test", "secure-badge", badge)
        .await
        .unwrap();
}

/// Redeems a new offer of `type_id`, fetches a `c_nonce` and sends the proofs `proofs`
/// makes with it: the credential endpoint's answer.
async fn ask(app: &TestApp, type_id: &str, proofs: impl FnOnce(&str) -> Value) -> (u16, Value) {
    let access = access_token(app, type_id).await;
    let c_nonce = nonce(app).await;
    let body = json!({"credential_configuration_id": type_id, "proofs": proofs(&c_nonce)});
    credential(app, &access, &body).await
}

/// The holder key each credential of a response is bound to.
fn bound_keys(body: &Value) -> Vec<PublicKey> {
    body["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let jwt = c["credential"].as_str().unwrap().split('~').next().unwrap();
            let jwk = jwt_claims(jwt)["cnf"]["jwk"].clone();
            PublicKey::from_jwk(jwk.as_object().unwrap()).unwrap()
        })
        .collect()
}

fn refused(answer: &(u16, Value), error: &str, why: &str) {
    assert_eq!(answer.0, 400, "{}", answer.1);
    assert_eq!(answer.1["error"], error, "{}", answer.1);
    let description = answer.1["error_description"].as_str().unwrap();
    assert!(description.contains(why), "{why}: {description}");
}

#[tokio::test]
async fn metadata_says_which_types_require_key_attestations() {
    let app = fresh().await;
    define_secure_badge(&app, &wallet_provider()).await;
    let (_, meta) = get_json(&app, &app.url("/.well-known/openid-credential-issuer")).await;
    let configs = &meta["credential_configurations_supported"];
    let secure = &configs["secure-badge"]["proof_types_supported"];
    let required = json!({"key_storage": ["iso_18045_high"]});
    assert_eq!(secure["jwt"]["key_attestations_required"], required);
    assert_eq!(secure["attestation"]["key_attestations_required"], required);
    assert_eq!(
        secure["attestation"]["proof_signing_alg_values_supported"],
        secure["jwt"]["proof_signing_alg_values_supported"]
    );
    let plain = &configs["employee"]["proof_types_supported"];
    assert!(plain["jwt"].get("key_attestations_required").is_none());
    assert!(plain.get("attestation").is_none());

    // A type cannot require attestations without saying whose it trusts.
    let t = app.provider.tenant_ctx(&app.tenant());
    let bad = json!({"vct": app.url("/vct/x"), "claims": [{"name": "name", "source": "name"}],
        "lifetime_secs": 3600, "key_attestation": {"trust_anchors": []}});
    let err = app
        .provider
        .save_credential_type(&t, "test", "x", bad)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("trust_anchors"), "{err}");
}

#[tokio::test]
async fn attested_keys_get_credentials_in_jwt_proofs() {
    let app = fresh().await;
    let provider = wallet_provider();
    define_secure_badge(&app, &provider).await;
    let (key, other) = (holder(), holder());

    let answer = ask(&app, "secure-badge", |n| {
        let a = attestation(&app, &provider, &[&key], n, "iso_18045_high");
        json!({"jwt": [attested_proof(&app, &key, n, Some(&a))]})
    })
    .await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    assert_eq!(bound_keys(&answer.1), [key.public_key().clone()]);

    let answer = ask(
        &app,
        "secure-badge",
        |n| json!({"jwt": [attested_proof(&app, &key, n, None)]}),
    )
    .await;
    refused(&answer, "invalid_proof", "requires a key attestation");

    let answer = ask(&app, "secure-badge", |n| {
        let a = attestation(&app, &provider, &[&other], n, "iso_18045_high");
        json!({"jwt": [attested_proof(&app, &key, n, Some(&a))]})
    })
    .await;
    refused(
        &answer,
        "invalid_proof",
        "not one its key attestation attests",
    );

    let answer = ask(&app, "secure-badge", |n| {
        let a = attestation(&app, &provider, &[&key], n, "iso_18045_basic");
        json!({"jwt": [attested_proof(&app, &key, n, Some(&a))]})
    })
    .await;
    refused(&answer, "invalid_proof", "key storage");

    let stranger = wallet_provider();
    let answer = ask(&app, "secure-badge", |n| {
        let a = attestation(&app, &stranger, &[&key], n, "iso_18045_high");
        json!({"jwt": [attested_proof(&app, &key, n, Some(&a))]})
    })
    .await;
    refused(&answer, "invalid_proof", "not trusted");

    let answer = ask(&app, "secure-badge", |n| {
        let a = attestation(&app, &provider, &[&key], "an-older-nonce", "iso_18045_high");
        json!({"jwt": [attested_proof(&app, &key, n, Some(&a))]})
    })
    .await;
    refused(&answer, "invalid_nonce", "nonce");

    // One attestation accepted; four checked and refused (the proof without one is not).
    let metrics = app.metrics().await;
    for (outcome, n) in [("accepted", 1), ("refused", 4)] {
        let line = format!("sigil_attestations_total{{kind=\"key\",outcome=\"{outcome}\"}} {n}");
        assert!(metrics.contains(&line), "{line} in {metrics}");
    }
}

#[tokio::test]
async fn an_attestation_proof_stands_for_each_key_it_attests() {
    let app = fresh().await;
    let provider = wallet_provider();
    define_secure_badge(&app, &provider).await;
    let (first, second) = (holder(), holder());

    let answer = ask(&app, "secure-badge", |n| {
        json!({"attestation": [attestation(&app, &provider, &[&first, &second], n, "iso_18045_high")]})
    })
    .await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    assert_eq!(
        bound_keys(&answer.1),
        [first.public_key().clone(), second.public_key().clone()]
    );

    // Types that do not require attestations take jwt proofs only.
    let answer = ask(
        &app,
        "employee",
        |n| json!({"attestation": [attestation(&app, &provider, &[&first], n, "iso_18045_high")]}),
    )
    .await;
    refused(&answer, "invalid_proof", "takes jwt proofs");

    let answer = ask(&app, "secure-badge", |_| {
        json!({"attestation": [attestation(&app, &provider, &[&first], "unknown", "iso_18045_high")]})
    })
    .await;
    refused(&answer, "invalid_nonce", "c_nonce");
}
