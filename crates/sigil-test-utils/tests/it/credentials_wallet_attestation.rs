//! Wallet attestations at the token endpoint (OpenID4VCI 1.0 Appendix E, HAIP 1.0 §4.4.1):
//! with `wallet_attestation_required`, a credential offer is redeemed only by a wallet whose
//! provider Sigil trusts, proving possession of the instance key for this issuer; the
//! metadata says so; a replayed proof, another provider, a `client_id` that is not the
//! attested wallet's and a missing proof are `invalid_client`, and leave the offer usable. In
//! the authorization code flow, a wallet app attests at the PAR and token endpoints.

use serde_json::{Value, json};
use sigil_keys::{SigningKey, sign_with_header};
use sigil_oidc::credentials::OfferGrant;
use sigil_test_utils::wallet_provider::{WalletProvider, header, wallet_provider};
use sigil_test_utils::{PASSWORD, TestApp, pkce};

use super::credentials::{fresh_with, get_json, holder, offer_of, pre_authorized_code};
use super::credentials_sign_in::{WALLET_CB, employee_details, returned, wallet};

const PRE_AUTH: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

/// A wallet instance: `p`'s attestation of wallet `client_id` bound to `instance`.
fn attestation(
    app: &TestApp,
    p: &WalletProvider,
    client_id: &str,
    instance: &SigningKey,
) -> String {
    let now = app.provider.now().0;
    let claims = json!({"iss": "https://wallet-provider.example", "sub": client_id,
        "iat": now, "exp": now + 3600, "cnf": {"jwk": instance.public_jwk()},
        "wallet_name": "Test wallet"});
    p.sign("oauth-client-attestation+jwt", &claims)
}

/// The instance's proof of possession for `app`, with `jti`.
fn pop(app: &TestApp, instance: &SigningKey, jti: &str) -> String {
    let claims = json!({"aud": app.base, "jti": jti, "iat": app.provider.now().0});
    sign_with_header(
        instance,
        &header("oauth-client-attestation-pop+jwt", None),
        &claims,
    )
}

async fn app_trusting(p: &WalletProvider, required: bool) -> TestApp {
    let pem = p.anchor();
    fresh_with(move |c| {
        c.credentials.wallet_providers = vec![pem];
        c.credentials.wallet_attestation_required = required;
    })
    .await
}

/// A new `employee` offer's pre-authorized code.
async fn code(app: &TestApp) -> String {
    let created = offer_of(
        app,
        "holder",
        "employee",
        OfferGrant::PreAuthorized { tx_code: false },
    )
    .await;
    pre_authorized_code(&serde_json::to_value(&created.credential_offer).unwrap())
}

/// Redeems `code` with the attestation headers given (and `extra` form fields).
async fn redeem(
    app: &TestApp,
    code: &str,
    headers: &[(&str, &str)],
    extra: &[(&str, &str)],
) -> (u16, Value) {
    let mut form = vec![("grant_type", PRE_AUTH), ("pre-authorized_code", code)];
    form.extend_from_slice(extra);
    post_with(app, "/token", headers, &form).await
}

/// Posts `form` to `path` with `headers`: the status and JSON body.
async fn post_with(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
    form: &[(&str, &str)],
) -> (u16, Value) {
    let mut req = app.http().post(app.url(path)).form(form);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = req.send().await.unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

/// The two headers that carry an attestation and its proof.
fn sent<'a>(attestation: &'a str, proof: &'a str) -> [(&'static str, &'a str); 2] {
    [
        ("OAuth-Client-Attestation", attestation),
        ("OAuth-Client-Attestation-PoP", proof),
    ]
}

fn refused(answer: &(u16, Value), why: &str) {
    assert_eq!(answer.0, 401, "{}", answer.1);
    assert_eq!(answer.1["error"], "invalid_client", "{}", answer.1);
    let description = answer.1["error_description"].as_str().unwrap();
    assert!(description.contains(why), "{why}: {description}");
}

#[tokio::test]
async fn metadata_announces_attestation_based_client_authentication() {
    let p = wallet_provider();
    let app = app_trusting(&p, true).await;
    let (_, meta) = get_json(&app, &app.url("/.well-known/oauth-authorization-server")).await;
    let methods = meta["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap();
    assert!(
        methods.contains(&json!("attest_jwt_client_auth")),
        "{methods:?}"
    );
    assert!(
        !meta["revocation_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("attest_jwt_client_auth"))
    );
    assert_eq!(
        meta["pre-authorized_grant_anonymous_access_supported"],
        false
    );
    assert!(
        meta["client_attestation_signing_alg_values_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("ES256"))
    );
    assert_eq!(
        meta["client_attestation_pop_signing_alg_values_supported"],
        meta["client_attestation_signing_alg_values_supported"]
    );
}

#[tokio::test]
async fn only_an_attested_wallet_redeems_an_offer_when_attestations_are_required() {
    let p = wallet_provider();
    let app = app_trusting(&p, true).await;
    let instance = holder();
    let att = attestation(&app, &p, "wallet-app", &instance);
    let offered = code(&app).await;

    refused(
        &redeem(&app, &offered, &[], &[]).await,
        "wallet attestation is required",
    );
    let proof = pop(&app, &instance, "first");
    refused(
        &redeem(&app, &offered, &[("OAuth-Client-Attestation", &att)], &[]).await,
        "proof of possession",
    );
    let stranger = wallet_provider();
    let foreign = attestation(&app, &stranger, "wallet-app", &instance);
    let headers = sent(&foreign, &proof);
    refused(&redeem(&app, &offered, &headers, &[]).await, "not trusted");
    let headers = sent(&att, &proof);
    refused(
        &redeem(&app, &offered, &headers, &[("client_id", "another-app")]).await,
        "client_id",
    );
    let wrong_key = pop(&app, &holder(), "second");
    let headers = sent(&att, &wrong_key);
    refused(&redeem(&app, &offered, &headers, &[]).await, "signature");

    // None of that spent the offer: the attested wallet redeems it.
    let headers = sent(&att, &proof);
    let (status, body) = redeem(&app, &offered, &headers, &[("client_id", "wallet-app")]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].is_string());

    // The same proof cannot be sent again, even with another offer.
    let other = code(&app).await;
    refused(&redeem(&app, &other, &headers, &[]).await, "already used");
}

#[tokio::test]
async fn attestations_are_optional_unless_required() {
    let p = wallet_provider();
    let app = app_trusting(&p, false).await;
    let (status, body) = redeem(&app, &code(&app).await, &[], &[]).await;
    assert_eq!(status, 200, "anonymous wallets still redeem: {body}");
    let instance = holder();
    let att = attestation(&app, &p, "wallet-app", &instance);
    let proof = pop(&app, &instance, "j");
    let headers = sent(&att, &proof);
    let (status, body) = redeem(&app, &code(&app).await, &headers, &[]).await;
    assert_eq!(status, 200, "{body}");

    // A bad attestation is refused even where none is required.
    let forged = pop(&app, &holder(), "k");
    let headers = sent(&att, &forged);
    refused(
        &redeem(&app, &code(&app).await, &headers, &[]).await,
        "signature",
    );
    let metrics = app.metrics().await;
    for outcome in ["accepted", "refused"] {
        let line = format!("sigil_attestations_total{{kind=\"wallet\",outcome=\"{outcome}\"}} 1");
        assert!(metrics.contains(&line), "{line} in {metrics}");
    }
}

#[tokio::test]
async fn a_wallet_app_attests_at_par_and_token_when_attestations_are_required() {
    let p = wallet_provider();
    let app = app_trusting(&p, true).await;
    let client_id = wallet(&app, true).await;
    let instance = holder();
    let att = attestation(&app, &p, &client_id, &instance);
    let (verifier, challenge) = pkce::pair();
    let details = employee_details();
    let request = [
        ("response_type", "code"),
        ("client_id", client_id.as_str()),
        ("redirect_uri", WALLET_CB),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("state", "st"),
        ("authorization_details", details.as_str()),
    ];

    refused(
        &post_with(&app, "/par", &[], &request).await,
        "wallet attestation",
    );
    let other = attestation(&app, &p, "another-wallet", &instance);
    let proof = pop(&app, &instance, "par-0");
    let headers = sent(&other, &proof);
    refused(
        &post_with(&app, "/par", &headers, &request).await,
        "client_id",
    );
    // A sign-in that asks for no credential needs no attestation.
    let oidc_only: Vec<(&str, &str)> = request
        .iter()
        .filter(|(k, _)| *k != "authorization_details")
        .copied()
        .chain([("scope", "openid")])
        .collect();
    let (status, body) = post_with(&app, "/par", &[], &oidc_only).await;
    assert_eq!(status, 201, "{body}");

    let proof = pop(&app, &instance, "par-1");
    let (status, pushed) = post_with(&app, "/par", &sent(&att, &proof), &request).await;
    assert_eq!(status, 201, "{pushed}");
    let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", &client_id)
        .append_pair("request_uri", pushed["request_uri"].as_str().unwrap());
    let page = app
        .browser()
        .authorize(url.as_str(), "holder", PASSWORD)
        .await;
    let code = returned(&page, "code").expect("a code");
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", WALLET_CB),
        ("code_verifier", verifier.as_str()),
        ("client_id", client_id.as_str()),
    ];
    refused(
        &post_with(&app, "/token", &[], &exchange).await,
        "wallet attestation",
    );
    let proof = pop(&app, &instance, "token-1");
    let (status, token) = post_with(&app, "/token", &sent(&att, &proof), &exchange).await;
    assert_eq!(status, 200, "the refusal did not spend the code: {token}");
    assert!(token["authorization_details"][0]["credential_identifiers"].is_array());
}
