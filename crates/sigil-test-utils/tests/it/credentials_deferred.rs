//! Deferred issuance: a credential type that needs an administrator's approval answers the
//! wallet's request with a transaction (202), the deferred credential endpoint keeps answering
//! 202 until the credential is approved, then issues it once to the keys the wallet proved;
//! a revocation meanwhile denies it, and the token that asked still collects after it expires.

use std::time::Duration;

use serde_json::{Value, json};
use sigil_oidc::credentials::OfferGrant;
use sigil_test_utils::{TestApp, jwt_claims};

use super::credentials::{
    credential, fresh, get_json, holder, nonce, offer_of, pre_authorized_code, proof, token,
};

/// Defines `badge`, which needs approval.
pub(super) async fn define_badge(app: &TestApp) {
    let t = app.provider.tenant_ctx(&app.tenant());
    let badge = json!({"vct": app.url("/vct/badge"), "claims": [{"name": "name", "source": "name"}],
        "display": [{"name": "Badge"}], "lifetime_secs": 3600, "approval_required": true});
    app.provider
        .save_credential_type(&t, "test", "badge", badge)
        .await
        .unwrap();
}

/// A `badge` offer to the user `holder`.
pub(super) async fn badge_offer(app: &TestApp) -> sigil_oidc::credentials::CreatedOffer {
    let grant = OfferGrant::PreAuthorized { tx_code: false };
    offer_of(app, "holder", "badge", grant).await
}

/// A `badge` offer redeemed: the credential id and access token.
async fn badge_token(app: &TestApp) -> (String, String) {
    let created = badge_offer(app).await;
    let offer = serde_json::to_value(&created.credential_offer).unwrap();
    let (status, tok) = token(app, &pre_authorized_code(&offer), None).await;
    assert_eq!(status, 200, "{tok}");
    (
        created.credential_id,
        tok["access_token"].as_str().unwrap().to_owned(),
    )
}

async fn deferred(app: &TestApp, access_token: &str, body: &Value) -> (u16, Value) {
    let res = app
        .http()
        .post(app.url("/vci/deferred_credential"))
        .bearer_auth(access_token)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

async fn state_of(app: &TestApp, id: &str) -> String {
    let c = app
        .provider
        .get_credential(&app.tenant(), id)
        .await
        .expect("the credential");
    c.state.as_str().to_owned()
}

async fn approve(app: &TestApp, id: &str) -> (u16, Value) {
    let admin = app.admin_token(&["credentials:write"]).await;
    let res = app
        .http()
        .post(app.url(&format!("/api/v1/credentials/{id}/status")))
        .bearer_auth(&admin)
        .json(&json!({"action": "approve"}))
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

/// Asks for a badge with a new holder key: the deferral's transaction id.
async fn ask(app: &TestApp, access: &str, key: &sigil_keys::SigningKey) -> String {
    let n = nonce(app).await;
    let body =
        json!({"credential_configuration_id": "badge", "proofs": {"jwt": [proof(app, key, &n)]}});
    let (status, answer) = credential(app, access, &body).await;
    assert_eq!(status, 202, "{answer}");
    assert!(answer.get("credentials").is_none());
    assert!(answer["interval"].as_u64().is_some_and(|i| i > 0));
    answer["transaction_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_approval_type_is_deferred_until_an_administrator_approves() {
    let app = fresh().await;
    define_badge(&app).await;
    let (_, meta) = get_json(&app, &app.url("/.well-known/openid-credential-issuer")).await;
    assert_eq!(
        meta["deferred_credential_endpoint"],
        app.url("/vci/deferred_credential")
    );
    let (id, access) = badge_token(&app).await;
    let key = holder();
    let transaction = ask(&app, &access, &key).await;
    assert_eq!(state_of(&app, &id).await, "pending");

    // Pending: asked again, the same transaction.
    let body = json!({"transaction_id": transaction});
    let (status, again) = deferred(&app, &access, &body).await;
    assert_eq!(status, 202, "{again}");
    assert_eq!(again["transaction_id"], transaction.as_str());

    let (status, approved) = approve(&app, &id).await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["state"], "approved");
    let (status, issued) = deferred(&app, &access, &body).await;
    assert_eq!(status, 200, "{issued}");
    assert_eq!(issued["notification_id"], id.as_str());
    let sd_jwt = issued["credentials"][0]["credential"].as_str().unwrap();
    let claims = jwt_claims(sd_jwt.split('~').next().unwrap());
    assert_eq!(claims["cnf"]["jwk"]["x"], key.public_jwk()["x"]);
    assert_eq!(claims["vct"], app.url("/vct/badge"));
    assert_eq!(state_of(&app, &id).await, "issued");

    // Collected once; approving again is refused; further copies need no approval.
    let (status, twice) = deferred(&app, &access, &body).await;
    assert_eq!(
        (status, twice["error"].as_str()),
        (400, Some("invalid_transaction_id"))
    );
    let (status, _) = approve(&app, &id).await;
    assert_eq!(status, 422);
    let n = nonce(&app).await;
    let more = json!({"credential_configuration_id": "badge", "proofs": {"jwt": [proof(&app, &holder(), &n)]}});
    let (status, _) = credential(&app, &access, &more).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_revoked_request_is_denied_and_strangers_get_nothing() {
    let app = fresh().await;
    define_badge(&app).await;
    let (id, access) = badge_token(&app).await;
    let transaction = ask(&app, &access, &holder()).await;
    let body = json!({"transaction_id": transaction});

    // Another token (another offer's) cannot collect it; nor can a made-up transaction.
    let (_, other) = badge_token(&app).await;
    let (status, refused) = deferred(&app, &other, &body).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_transaction_id"))
    );
    let (status, unknown) = deferred(&app, &access, &json!({"transaction_id": "nope"})).await;
    assert_eq!(
        (status, unknown["error"].as_str()),
        (400, Some("invalid_transaction_id"))
    );
    for bad in [json!({}), json!({"transaction_id": 1}), json!([])] {
        let (status, malformed) = deferred(&app, &access, &bad).await;
        assert_eq!(
            (status, malformed["error"].as_str()),
            (400, Some("invalid_credential_request")),
            "{bad}"
        );
    }
    let (status, _) = deferred(&app, "not-a-token", &body).await;
    assert_eq!(status, 401);

    app.provider
        .change_credential_status(
            &app.tenant(),
            "test",
            &id,
            sigil_oidc::credentials::StatusChange::Revoke,
        )
        .await
        .unwrap();
    let (status, denied) = deferred(&app, &access, &body).await;
    assert_eq!(
        (status, denied["error"].as_str()),
        (400, Some("credential_request_denied"))
    );
}

#[tokio::test]
async fn the_token_that_asked_still_collects_after_it_expires() {
    let app = fresh().await;
    define_badge(&app).await;
    let (id, access) = badge_token(&app).await;
    let transaction = ask(&app, &access, &holder()).await;
    approve(&app, &id).await;
    app.clock.advance(Duration::from_secs(3600));
    let n = nonce(&app).await;
    let fresh_request = json!({"credential_configuration_id": "badge", "proofs": {"jwt": [proof(&app, &holder(), &n)]}});
    let (status, _) = credential(&app, &access, &fresh_request).await;
    assert_eq!(status, 401, "an expired token asks for nothing new");
    let (status, issued) = deferred(&app, &access, &json!({"transaction_id": transaction})).await;
    assert_eq!(status, 200, "{issued}");
}
