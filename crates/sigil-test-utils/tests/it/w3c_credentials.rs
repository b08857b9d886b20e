//! W3C credentials (`jwt_vc_json`: Data Model 2.0 secured as `vc+jwt`) end to end: a type an
//! administrator defines, issued into `sigil wallet`, presented in a VP JWT to a verifier that
//! asks by `type_values`, with its statuses in Bitstring Status List credentials that follow
//! suspension and revocation, read from the store by the issuer's own verifier and over HTTP
//! by another Sigil's.

use serde_json::{Value, json};
use sigil_cli::wallet::{Wallet, present, receive};
use sigil_oidc::credentials::{OfferGrant, StatusChange};
use sigil_test_utils::{TestApp, jwt_claims, jwt_header};
use sigil_vc::verifier::{ClientIdPrefix, ResponseMode};
use sigil_vc::w3c::status::Bitstring;

use super::credentials::{fresh, get_json, offer_of};

/// Defines the W3C type `staff-badge`: name and e-mail address.
async fn define_staff_badge(app: &TestApp) {
    let t = app.provider.tenant_ctx(&app.tenant());
    let badge = json!({"format": "jwt_vc_json", "vc_type": "StaffBadgeCredential",
        "claims": [{"name": "name", "source": "name", "display": [{"name": "Full name"}]},
                   {"name": "email", "source": "email"}],
        "display": [{"name": "Staff badge"}], "lifetime_secs": 3600});
    app.provider
        .save_credential_type(&t, "test", "staff-badge", badge)
        .await
        .unwrap();
}

/// Defines verifier `staff-check` on `app`, asking for a staff badge's name from `issuer`.
async fn define_staff_check(app: &TestApp, issuer: &str) {
    define_badge_verifier(app, "staff-check", issuer, "name").await;
}

/// Defines verifier `id` on `app`, asking for a staff badge's `claim` from `issuer`.
async fn define_badge_verifier(app: &TestApp, id: &str, issuer: &str, claim: &str) {
    let t = app.provider.tenant_ctx(&app.tenant());
    let query = json!({"credentials": [{"id": "badge", "format": "jwt_vc_json",
        "meta": {"type_values": [["VerifiableCredential", "StaffBadgeCredential"]]},
        "claims": [{"path": ["credentialSubject", claim]}]}]});
    let doc = json!({"name": "Staff check", "dcql_query": query, "accepted_issuers": [issuer]});
    app.provider
        .save_verifier(&t, "test", id, doc)
        .await
        .unwrap();
}

/// A wallet holding a staff badge issued by `app` to `holder`; the badge's credential id.
async fn wallet_with_badge(app: &TestApp, dir: &std::path::Path) -> (Wallet, String) {
    let grant = OfferGrant::PreAuthorized { tx_code: false };
    let created = offer_of(app, "holder", "staff-badge", grant).await;
    let mut wallet = Wallet::open(dir).unwrap();
    let now = app.provider.now().0;
    receive(&mut wallet, &created.credential_offer_uri, None, now)
        .await
        .unwrap();
    (wallet, created.credential_id)
}

/// Presents the wallet's badge to a new `staff-check` request on `verifier`: its outcome.
async fn present_badge(verifier: &TestApp, wallet: &Wallet, mode: ResponseMode) -> Value {
    let t = verifier.provider.tenant_ctx(&verifier.tenant());
    let r = verifier
        .provider
        .request_presentation(&t, "staff-check", ClientIdPrefix::X509Hash, mode)
        .await
        .unwrap();
    let now = verifier.provider.now().0;
    let outcome = present(wallet, &r.request_uri, |_| true, now)
        .await
        .unwrap();
    assert!(outcome.sent);
    verifier.presentation_outcome(&r.id).await
}

/// Whether the credential's status bit of `purpose` is set in its issuer's published list,
/// fetched and its signature checked with the issuer's published key.
async fn bit(app: &TestApp, credential: &str, purpose: &str) -> bool {
    let vc = jwt_claims(credential);
    let entry = vc["credentialStatus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["statusPurpose"] == purpose)
        .unwrap();
    let url = entry["statusListCredential"].as_str().unwrap();
    let res = app.http().get(url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/vc+jwt");
    assert_eq!(res.headers()["cache-control"], "public, max-age=0");
    let list = res.text().await.unwrap();
    let header = jwt_header(&list);
    assert_eq!(header["typ"], "vc+jwt");
    let (_, meta) = get_json(app, &app.url("/.well-known/jwt-vc-issuer")).await;
    let jwk = meta["jwks"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .unwrap();
    let key = sigil_keys::PublicKey::from_jwk(jwk.as_object().unwrap()).unwrap();
    sigil_keys::DecodedJws::decode(&list, 1 << 20)
        .unwrap()
        .verify(&key)
        .unwrap();
    let claims = jwt_claims(&list);
    assert_eq!(claims["id"], url);
    assert_eq!(
        claims["type"],
        json!(["VerifiableCredential", "BitstringStatusListCredential"])
    );
    let subject = &claims["credentialSubject"];
    assert_eq!(subject["type"], "BitstringStatusList");
    assert_eq!(subject["statusPurpose"], purpose);
    let bits = Bitstring::decode(subject["encodedList"].as_str().unwrap()).unwrap();
    assert!(bits.len() >= 131_072);
    let index: u64 = entry["statusListIndex"].as_str().unwrap().parse().unwrap();
    bits.get(index).unwrap()
}

#[tokio::test]
async fn a_w3c_credential_is_issued_presented_and_its_status_followed() {
    let app = fresh().await;
    define_staff_badge(&app).await;
    define_staff_check(&app, &app.base).await;
    let (_, meta) = get_json(&app, &app.url("/.well-known/openid-credential-issuer")).await;
    let config = &meta["credential_configurations_supported"]["staff-badge"];
    assert_eq!(config["format"], "jwt_vc_json");
    assert_eq!(
        config["credential_definition"]["type"],
        json!(["VerifiableCredential", "StaffBadgeCredential"])
    );
    let (status, _) = get_json(&app, &app.url("/vct/staff-badge")).await;
    assert_eq!(status, 404, "W3C types have no SD-JWT VC type metadata");

    let dir = tempfile::tempdir().unwrap();
    let (wallet, credential_id) = wallet_with_badge(&app, dir.path()).await;
    let held = &wallet.credentials[0];
    assert_eq!(held.name, "Staff badge");
    assert_eq!(held.vct, "StaffBadgeCredential");
    let shown = held.shown_claims();
    assert_eq!(shown["name"], "holder Example");
    assert_eq!(shown["email"], "holder@example.com");
    assert!(!shown.contains_key("id"), "the holder's DID is not a claim");
    assert_eq!(held.labels["name"], "Full name");

    // The credential is a Data Model 2.0 document bound to the wallet's key.
    let header = jwt_header(&held.credential);
    assert_eq!(header["typ"], "vc+jwt");
    let vc = jwt_claims(&held.credential);
    assert_eq!(vc["@context"][0], "https://www.w3.org/ns/credentials/v2");
    assert_eq!(vc["issuer"], app.base);
    assert!(vc["validFrom"].as_str().unwrap().ends_with('Z'));
    let holder_key = held.key().unwrap();
    assert_eq!(
        vc["credentialSubject"]["id"],
        sigil_vc::did::did_jwk(holder_key.public_key())
    );

    for mode in [ResponseMode::DirectPost, ResponseMode::DirectPostJwt] {
        let outcome = present_badge(&app, &wallet, mode).await;
        assert_eq!(outcome["status"], "verified", "{mode:?}: {outcome}");
        assert_eq!(
            outcome["claims"]["badge"],
            json!({"credentialSubject": {"name": "holder Example"}}),
            "only what the query asks for is kept"
        );
    }
    assert!(!bit(&app, &held.credential, "revocation").await);
    assert!(!bit(&app, &held.credential, "suspension").await);

    let t = app.tenant();
    let change = |c| {
        app.provider
            .change_credential_status(&t, "test", &credential_id, c)
    };
    change(StatusChange::Suspend).await.unwrap();
    assert!(bit(&app, &held.credential, "suspension").await);
    assert!(!bit(&app, &held.credential, "revocation").await);
    let outcome = present_badge(&app, &wallet, ResponseMode::DirectPost).await;
    assert_eq!(outcome["status"], "rejected");
    assert_eq!(outcome["reason"], "the credential is suspended");

    change(StatusChange::Reinstate).await.unwrap();
    assert!(!bit(&app, &held.credential, "suspension").await);
    let outcome = present_badge(&app, &wallet, ResponseMode::DirectPost).await;
    assert_eq!(outcome["status"], "verified", "{outcome}");

    change(StatusChange::Revoke).await.unwrap();
    assert!(bit(&app, &held.credential, "revocation").await);
    let outcome = present_badge(&app, &wallet, ResponseMode::DirectPost).await;
    assert_eq!(outcome["reason"], "the credential is revoked");
}

#[tokio::test]
async fn another_sigil_verifies_w3c_credentials_and_reads_their_lists_over_http() {
    let issuer = fresh().await;
    define_staff_badge(&issuer).await;
    let verifier = TestApp::spawn().await;
    define_staff_check(&verifier, &issuer.base).await;
    let dir = tempfile::tempdir().unwrap();
    let (wallet, credential_id) = wallet_with_badge(&issuer, dir.path()).await;

    let outcome = present_badge(&verifier, &wallet, ResponseMode::DirectPost).await;
    assert_eq!(outcome["status"], "verified", "{outcome}");
    assert_eq!(
        outcome["claims"]["badge"]["credentialSubject"]["name"],
        "holder Example"
    );

    let t = issuer.tenant();
    issuer
        .provider
        .change_credential_status(&t, "test", &credential_id, StatusChange::Suspend)
        .await
        .unwrap();
    let outcome = present_badge(&verifier, &wallet, ResponseMode::DirectPost).await;
    assert_eq!(
        outcome["reason"], "the credential is suspended",
        "{outcome}"
    );

    // A verifier that does not list the issuer refuses before it reads any status.
    define_staff_check(&verifier, "https://someone-else.example").await;
    let outcome = present_badge(&verifier, &wallet, ResponseMode::DirectPost).await;
    assert_eq!(outcome["status"], "rejected");
    assert!(
        outcome["reason"].as_str().unwrap().contains("not accepted"),
        "{outcome}"
    );
}

#[tokio::test]
async fn w3c_types_and_queries_are_checked_when_defined() {
    let app = fresh().await;
    let admin = app
        .admin_token(&["credentials:write", "presentations:write"])
        .await;
    let put = |path: &str, body: Value| {
        let req = app
            .http()
            .put(app.url(path))
            .bearer_auth(&admin)
            .json(&body);
        async move {
            let res = req.send().await.unwrap();
            (
                res.status().as_u16(),
                res.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let no_type = json!({"format": "jwt_vc_json", "claims": [{"name": "name", "source": "name"}],
        "lifetime_secs": 3600});
    let detail = |body: &Value| body["errors"][0]["detail"].as_str().unwrap().to_owned();
    let (status, body) = put("/api/v1/credential-types/bad", no_type).await;
    assert_eq!(status, 422, "{body}");
    assert!(detail(&body).contains("vc_type"), "{body}");
    let subject_id = json!({"format": "jwt_vc_json", "vc_type": "X",
        "claims": [{"name": "id", "source": "sub"}], "lifetime_secs": 3600});
    let (status, body) = put("/api/v1/credential-types/bad", subject_id).await;
    assert_eq!(status, 422);
    assert!(detail(&body).contains("\"id\""), "{body}");
    let no_type_values = json!({"name": "v", "accepted_issuers": [app.base],
        "dcql_query": {"credentials": [{"id": "b", "format": "jwt_vc_json"}]}});
    let (status, body) = put("/api/v1/verifiers/v", no_type_values).await;
    assert_eq!(status, 422, "{body}");
    assert!(detail(&body).contains("type_values"), "{body}");
}

#[tokio::test]
async fn people_sign_in_with_a_w3c_credential() {
    let app = TestApp::spawn_with(|c| {
        c.credentials.status_list_ttl = 0;
        c.credentials.sign_in_verifier = "staff-sign-in".into();
    })
    .await;
    app.create_user("holder").await;
    define_staff_badge(&app).await;
    define_badge_verifier(&app, "staff-sign-in", &app.base, "email").await;
    let dir = tempfile::tempdir().unwrap();
    let (wallet, _) = wallet_with_badge(&app, dir.path()).await;

    let browser = app.browser();
    let start = browser.get(&app.url("/login/wallet")).await;
    assert_eq!(start.status, 200);
    let link = super::wallet::link_with_id(&start.html, "wallet-link");
    let now = app.provider.now().0;
    present(&wallet, &link, |_| true, now).await.unwrap();
    let done = browser.submit(&start, "/login/wallet", &[]).await;
    assert_eq!(done.status, 303, "{}", done.html);
    let account = browser.get(&app.url("/account")).await;
    assert!(
        account.html.contains("holder@example.com"),
        "signed in as the credential's subject: {}",
        account.html
    );
}
