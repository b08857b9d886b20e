//! The credential issuer as a wallet and a verifier see it: an offer by reference redeemed
//! with the pre-authorized code (and transaction code), a `c_nonce`, key proofs, SD-JWT VCs
//! bound to the holder's keys that verify with the keys in the JWT VC issuer metadata, status
//! lists that follow suspension and revocation, and the spec's error for each mistake.

use serde_json::{Value, json};
use sigil_core::model::SigningAlg;
use sigil_keys::{PublicKey, SigningKey};
use sigil_oidc::credentials::{OfferGrant, StatusChange};
use sigil_sdjwt::status_list::StatusList;
use sigil_test_utils::{TestApp, jwt_claims, jwt_header};

const PRE_AUTH: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

/// An offer of `type_id` to `username`, made the way the CLI makes it.
pub(super) async fn offer_of(
    app: &TestApp,
    username: &str,
    type_id: &str,
    grant: OfferGrant,
) -> sigil_oidc::credentials::CreatedOffer {
    let t = app.provider.tenant_ctx(&app.tenant());
    let user = app
        .provider
        .credential_holder(&app.tenant(), username)
        .await
        .unwrap();
    app.provider
        .offer_credential(&t, "test", type_id, &user, grant)
        .await
        .unwrap()
}

/// An `employee` offer with the pre-authorized code.
pub(super) async fn offer(
    app: &TestApp,
    username: &str,
    tx_code: bool,
) -> sigil_oidc::credentials::CreatedOffer {
    offer_of(
        app,
        username,
        "employee",
        OfferGrant::PreAuthorized { tx_code },
    )
    .await
}

/// An access token for an offer of `type_id` to `holder`.
pub(super) async fn access_token(app: &TestApp, type_id: &str) -> String {
    let created = offer_of(
        app,
        "holder",
        type_id,
        OfferGrant::PreAuthorized { tx_code: false },
    )
    .await;
    let offer = serde_json::to_value(&created.credential_offer).unwrap();
    let (status, tok) = token(app, &pre_authorized_code(&offer), None).await;
    assert_eq!(status, 200, "{tok}");
    tok["access_token"].as_str().unwrap().to_owned()
}

pub(super) fn pre_authorized_code(offer: &Value) -> String {
    offer["grants"][PRE_AUTH]["pre-authorized_code"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(super) async fn get_json(app: &TestApp, url: &str) -> (u16, Value) {
    let res = app.http().get(url).send().await.unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

/// Redeems an offer: the access token.
pub(super) async fn token(app: &TestApp, code: &str, tx_code: Option<&str>) -> (u16, Value) {
    let mut form = vec![("grant_type", PRE_AUTH), ("pre-authorized_code", code)];
    if let Some(tx) = tx_code {
        form.push(("tx_code", tx));
    }
    let (status, body, _) = app.post_form("/token", None, &form).await;
    (status, body)
}

pub(super) async fn nonce(app: &TestApp) -> String {
    let res = app.http().post(app.url("/vci/nonce")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    body["c_nonce"].as_str().unwrap().to_owned()
}

pub(crate) fn holder() -> SigningKey {
    SigningKey::generate(SigningAlg::ES256).unwrap().0
}

pub(super) fn proof(app: &TestApp, key: &SigningKey, nonce: &str) -> String {
    sigil_vc::holder::key_proof(key, &app.base, Some(nonce), app.provider.now().0)
}

pub(super) async fn credential(app: &TestApp, access_token: &str, body: &Value) -> (u16, Value) {
    let res = app
        .http()
        .post(app.url("/vci/credential"))
        .bearer_auth(access_token)
        .json(body)
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

fn request(proofs: &[String]) -> Value {
    json!({"credential_configuration_id": "employee", "proofs": {"jwt": proofs}})
}

/// The issuer's key for `kid`, from its JWT VC issuer metadata.
async fn issuer_key(app: &TestApp, kid: &str) -> PublicKey {
    let (status, meta) = get_json(app, &app.url("/.well-known/jwt-vc-issuer")).await;
    assert_eq!(status, 200);
    assert_eq!(meta["issuer"], app.base);
    let jwk = meta["jwks"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .unwrap();
    PublicKey::from_jwk(jwk.as_object().unwrap()).unwrap()
}

/// The offer redeemed and one credential per holder key.
pub(crate) async fn issue(
    app: &TestApp,
    username: &str,
    holders: &[&SigningKey],
) -> (String, Vec<String>) {
    let created = offer(app, username, false).await;
    let offer = serde_json::to_value(&created.credential_offer).unwrap();
    let (status, tok) = token(app, &pre_authorized_code(&offer), None).await;
    assert_eq!(status, 200, "{tok}");
    let access = tok["access_token"].as_str().unwrap().to_owned();
    let n = nonce(app).await;
    let proofs: Vec<String> = holders.iter().map(|h| proof(app, h, &n)).collect();
    let (status, body) = credential(app, &access, &request(&proofs)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["notification_id"], created.credential_id.as_str());
    let credentials = body["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["credential"].as_str().unwrap().to_owned())
        .collect();
    (created.credential_id, credentials)
}

/// The status of a credential in its status list, fetched and verified.
async fn status_of(app: &TestApp, credential: &str) -> u8 {
    let payload = jwt_claims(credential.split('~').next().unwrap());
    let entry = &payload["status"]["status_list"];
    let res = app
        .http()
        .get(entry["uri"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "application/statuslist+jwt");
    assert_eq!(res.headers()["cache-control"], "public, max-age=0");
    let token = res.text().await.unwrap();
    let header = jwt_header(&token);
    assert_eq!(header["typ"], "statuslist+jwt");
    let key = issuer_key(app, header["kid"].as_str().unwrap()).await;
    let jws = sigil_keys::DecodedJws::decode(&token, 1 << 20).unwrap();
    jws.verify(&key).unwrap();
    let claims = jwt_claims(&token);
    assert_eq!(claims["sub"], entry["uri"]);
    let list = StatusList::from_json(&claims["status_list"]).unwrap();
    list.get(entry["idx"].as_u64().unwrap() as usize).unwrap()
}

pub(crate) async fn fresh() -> TestApp {
    fresh_with(|_| {}).await
}

/// A server whose status lists are never cached, with user `holder` in group `staff`, and
/// whose configuration `tweak` then changes.
pub(crate) async fn fresh_with(tweak: impl FnOnce(&mut sigil_cli::config::SigilConfig)) -> TestApp {
    let app = TestApp::spawn_with(|c| {
        c.credentials.status_list_ttl = 0;
        tweak(c);
    })
    .await;
    let user = app.create_user("holder").await;
    let t = app.tenant();
    let group = sigil_oidc::admin::NewGroup {
        name: "staff".into(),
        description: None,
        external_id: None,
        members: vec![user.id.clone()],
    };
    app.provider
        .create_group_with(&t, group, "test")
        .await
        .unwrap();
    app
}

#[tokio::test]
async fn metadata_describes_the_employee_credential_and_the_grant() {
    let app = fresh().await;
    let (status, meta) = get_json(&app, &app.url("/.well-known/openid-credential-issuer")).await;
    assert_eq!(status, 200);
    assert_eq!(meta["credential_issuer"], app.base);
    assert_eq!(meta["credential_endpoint"], app.url("/vci/credential"));
    assert_eq!(meta["nonce_endpoint"], app.url("/vci/nonce"));
    let employee = &meta["credential_configurations_supported"]["employee"];
    assert_eq!(employee["format"], "dc+sd-jwt");
    assert_eq!(employee["vct"], app.url("/vct/employee"));
    assert_eq!(
        employee["credential_metadata"]["claims"][1]["path"],
        json!(["email"])
    );
    let (_, as_meta) = get_json(&app, &app.url("/.well-known/oauth-authorization-server")).await;
    assert!(
        as_meta["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!(PRE_AUTH))
    );
    assert_eq!(
        as_meta["pre-authorized_grant_anonymous_access_supported"],
        true
    );
    let (status, vct) = get_json(&app, &app.url("/vct/employee")).await;
    assert_eq!(status, 200);
    assert_eq!(vct["vct"], app.url("/vct/employee"));
    let (status, _) = get_json(&app, &app.url("/vct/nope")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_wallet_receives_credentials_bound_to_its_keys() {
    let app = fresh().await;
    let (first, second) = (holder(), holder());
    let (_, credentials) = issue(&app, "holder", &[&first, &second]).await;
    assert_eq!(credentials.len(), 2);
    let mut indexes = Vec::new();
    for (credential, key) in credentials.iter().zip([&first, &second]) {
        let jwt = credential.split('~').next().unwrap();
        assert_eq!(jwt_header(jwt)["typ"], "dc+sd-jwt");
        let issuer = issuer_key(&app, jwt_header(jwt)["kid"].as_str().unwrap()).await;
        let verified = sigil_sdjwt::verify(credential, &issuer, None).unwrap();
        let claims = Value::Object(verified.claims);
        assert_eq!(claims["iss"], app.base);
        assert_eq!(claims["vct"], app.url("/vct/employee"));
        assert_eq!(claims["email"], "holder@example.com");
        assert_eq!(claims["groups"], json!(["staff"]));
        assert_eq!(
            claims["cnf"]["jwk"],
            Value::Object(key.public_key().jwk_members())
        );
        assert_eq!(
            verified.disclosed.len(),
            3,
            "name, email and groups are disclosures"
        );
        let payload = jwt_claims(jwt);
        assert!(payload.get("email").is_none(), "hidden behind a digest");
        indexes.push(payload["status"]["status_list"]["idx"].clone());
        assert_eq!(status_of(&app, credential).await, 0);
    }
    assert_ne!(indexes[0], indexes[1], "each copy has its own status entry");
}

#[tokio::test]
async fn suspension_and_revocation_show_in_the_status_list() {
    let app = fresh().await;
    let (id, credentials) = issue(&app, "holder", &[&holder()]).await;
    let credential = &credentials[0];
    let t = app.tenant();
    let change = |c| app.provider.change_credential_status(&t, "test", &id, c);
    change(StatusChange::Suspend).await.unwrap();
    assert_eq!(status_of(&app, credential).await, 2);
    assert!(
        change(StatusChange::Suspend).await.is_err(),
        "already suspended"
    );
    change(StatusChange::Reinstate).await.unwrap();
    assert_eq!(status_of(&app, credential).await, 0);
    change(StatusChange::Revoke).await.unwrap();
    assert_eq!(status_of(&app, credential).await, 1);
    assert!(
        change(StatusChange::Reinstate).await.is_err(),
        "revocation is final"
    );
}

#[tokio::test]
async fn offers_are_single_use_and_transaction_codes_are_checked() {
    let app = fresh().await;
    let created = offer(&app, "holder", true).await;
    let tx = created.tx_code.clone().unwrap();
    assert_eq!(tx.len(), 6);
    // The offer by reference is the offer printed.
    let (status, by_ref) = get_json(&app, &created.offer_url).await;
    assert_eq!(status, 200);
    assert_eq!(
        by_ref,
        serde_json::to_value(&created.credential_offer).unwrap()
    );
    assert_eq!(by_ref["grants"][PRE_AUTH]["tx_code"]["length"], 6);
    let code = pre_authorized_code(&by_ref);
    // The page for the person: a QR code and a same-device link to the same offer.
    let res = app.http().get(&created.offer_page).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("<svg"), "a QR code");
    let link = format!("href=\"{}\"", created.credential_offer_uri);
    assert!(
        sigil_test_utils::browser::unescape(&html).contains(&link),
        "the wallet link"
    );
    let (status, body) = token(&app, &code, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let (status, body) = token(&app, &code, Some("000000x")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, body) = token(&app, &code, Some(&tx)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    let (status, body) = token(&app, &code, Some(&tx)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, _) = get_json(&app, &created.offer_url).await;
    assert_eq!(status, 404, "a redeemed offer is gone");
    let res = app.http().get(&created.offer_page).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let (status, body) = token(&app, "made-up", None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn too_many_wrong_transaction_codes_void_the_offer() {
    let app = fresh().await;
    let created = offer(&app, "holder", true).await;
    let code = pre_authorized_code(&serde_json::to_value(&created.credential_offer).unwrap());
    for _ in 0..5 {
        let (status, _) = token(&app, &code, Some("not-it")).await;
        assert_eq!(status, 400);
    }
    let (status, body) = token(&app, &code, created.tx_code.as_deref()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn credential_requests_get_the_spec_errors() {
    let app = fresh().await;
    let created = offer(&app, "holder", false).await;
    let code = pre_authorized_code(&serde_json::to_value(&created.credential_offer).unwrap());
    let (_, tok) = token(&app, &code, None).await;
    let access = tok["access_token"].as_str().unwrap();
    let key = holder();

    let n = nonce(&app).await;
    let (status, body) = credential(&app, access, &request(&[proof(&app, &key, &n)])).await;
    assert_eq!(status, 200, "{body}");
    // The same c_nonce again.
    let (status, body) = credential(&app, access, &request(&[proof(&app, &key, &n)])).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_nonce"))
    );
    // A proof whose header key did not sign it.
    let n = nonce(&app).await;
    let forged = proof(&app, &key, &n);
    let (h, rest) = forged.split_once('.').unwrap();
    let mut header: Value = serde_json::from_slice(&sigil_core::b64url_decode(h).unwrap()).unwrap();
    header["jwk"] = Value::Object(holder().public_key().jwk_members());
    let forged = format!("{}.{rest}", sigil_core::b64url_encode(header.to_string()));
    let (status, body) = credential(&app, access, &request(&[forged])).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_proof"))
    );
    // No proof at all.
    let body_without = json!({"credential_configuration_id": "employee"});
    let (status, body) = credential(&app, access, &body_without).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_proof"))
    );
    // A configuration the token does not grant.
    let n = nonce(&app).await;
    let other = json!({"credential_configuration_id": "diploma", "proofs": {"jwt": [proof(&app, &key, &n)]}});
    let (status, body) = credential(&app, access, &other).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unknown_credential_configuration"))
    );
    // The token in the query string, or an ordinary access token, opens nothing.
    let res = app
        .http()
        .post(app.url(&format!("/vci/credential?access_token={access}")))
        .json(&request(&[proof(&app, &key, &nonce(&app).await)]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(
        res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let admin = app.admin_token(&["users:read"]).await;
    let (status, _) = credential(
        &app,
        &admin,
        &request(&[proof(&app, &key, &nonce(&app).await)]),
    )
    .await;
    assert_eq!(status, 401);
    // And the credential token opens no user info.
    let res = app
        .http()
        .get(app.url("/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn revoked_credentials_get_no_more_copies() {
    let app = fresh().await;
    let created = offer(&app, "holder", false).await;
    let code = pre_authorized_code(&serde_json::to_value(&created.credential_offer).unwrap());
    let (_, tok) = token(&app, &code, None).await;
    let access = tok["access_token"].as_str().unwrap();
    app.provider
        .change_credential_status(
            &app.tenant(),
            "test",
            &created.credential_id,
            StatusChange::Revoke,
        )
        .await
        .unwrap();
    let n = nonce(&app).await;
    let (status, body) = credential(&app, access, &request(&[proof(&app, &holder(), &n)])).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("credential_request_denied"))
    );
}

#[tokio::test]
async fn notifications_are_accepted_for_their_own_issuance_only() {
    let app = fresh().await;
    let created = offer(&app, "holder", false).await;
    let code = pre_authorized_code(&serde_json::to_value(&created.credential_offer).unwrap());
    let (_, tok) = token(&app, &code, None).await;
    let access = tok["access_token"].as_str().unwrap();
    let notify = |id: &str| {
        app.http()
            .post(app.url("/vci/notification"))
            .bearer_auth(access)
            .json(&json!({"notification_id": id, "event": "credential_accepted"}))
            .send()
    };
    let res = notify(&created.credential_id).await.unwrap();
    assert_eq!(res.status(), 204);
    let res = notify("someone-else").await.unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_notification_id");
}

#[tokio::test]
async fn parallel_transaction_code_guesses_get_no_more_tries() {
    let app = fresh().await;
    let created = offer(&app, "holder", true).await;
    let code = pre_authorized_code(&serde_json::to_value(&created.credential_offer).unwrap());
    let (http, url) = (app.http(), app.url("/token"));
    let guesses: Vec<_> = (0..20)
        .map(|i| {
            let (http, url, code) = (http.clone(), url.clone(), code.clone());
            tokio::spawn(async move {
                let guess = format!("{i:06}x");
                let form = [
                    ("grant_type", PRE_AUTH),
                    ("pre-authorized_code", &code),
                    ("tx_code", &guess),
                ];
                http.post(url)
                    .form(&form)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    for guess in guesses {
        assert_ne!(guess.await.unwrap(), 200);
    }
    let (status, body) = token(&app, &code, created.tx_code.as_deref()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "the offer is void"
    );
}
