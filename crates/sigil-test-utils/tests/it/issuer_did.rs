//! Issuing as a `did:web` (`[credentials] issuer_id = "did:web"`): credentials and status
//! lists name the issuer by the DID of its URL and their keys by DID URLs; the DID document
//! is served where the DID says; the wallet, the tenant's own verifier and another Sigil's
//! verifier all find the key there, and the other Sigil follows the credential's status.

use serde_json::{Value, json};
use sigil_cli::wallet::{Wallet, present, receive};
use sigil_oidc::credentials::{CreatedOffer, OfferGrant, StatusChange};
use sigil_test_utils::{TestApp, jwt_claims, jwt_header};
use sigil_vc::did::key_in_document;

use super::credentials::{fresh, fresh_with, get_json, offer_of};

/// An issuer that names itself by its `did:web`.
async fn did_issuer() -> TestApp {
    fresh_with(|c| c.credentials.issuer_id = "did:web".into()).await
}

/// The `did:web` of a test server's (default tenant's) URL.
fn did_of(app: &TestApp) -> String {
    format!(
        "did:web:{}",
        app.base.trim_start_matches("http://").replace(':', "%3A")
    )
}

/// Asks `verifier_id` on `verifier` for a presentation and has the wallet answer it: the
/// outcome.
async fn presented(verifier: &TestApp, verifier_id: &str, wallet: &Wallet) -> Value {
    let (id, link) = verifier.request_presentation(verifier_id).await;
    let now = verifier.provider.now().0;
    let sent = present(wallet, &link, |_| true, now).await.unwrap();
    assert!(sent.sent);
    verifier.presentation_outcome(&id).await
}

/// A wallet in `dir` holding an `employee` credential `app` issued to `holder`; the offer.
async fn wallet_with_employee(app: &TestApp, dir: &std::path::Path) -> (Wallet, CreatedOffer) {
    let mut wallet = Wallet::open(dir).unwrap();
    let grant = OfferGrant::PreAuthorized { tx_code: false };
    let created = offer_of(app, "holder", "employee", grant).await;
    receive(
        &mut wallet,
        &created.credential_offer_uri,
        None,
        app.provider.now().0,
    )
    .await
    .expect("the wallet finds the issuer's key");
    (wallet, created)
}

#[tokio::test]
async fn credentials_name_the_issuer_by_its_did_web_and_its_document_holds_their_key() {
    let app = did_issuer().await;
    let did = did_of(&app);

    let res = app
        .http()
        .get(app.url("/.well-known/did.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/did+json");
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("public")
    );
    let document: Value = res.json().await.unwrap();
    assert_eq!(document["id"], did);
    let (status, _) = get_json(&app, &app.url("/did.json")).await;
    assert_eq!(
        status, 404,
        "a DID without a path is read at /.well-known/did.json only"
    );

    let dir = tempfile::tempdir().unwrap();
    let (wallet, _) = wallet_with_employee(&app, dir.path()).await;
    let credential = &wallet.credentials[0].credential;
    let jwt = credential.split('~').next().unwrap();
    let claims = jwt_claims(jwt);
    assert_eq!(claims["iss"], did);
    let kid = jwt_header(jwt)["kid"].as_str().unwrap().to_owned();
    assert!(kid.starts_with(&format!("{did}#")), "{kid}");
    let key = key_in_document(&document, &did, Some(&kid)).unwrap();
    sigil_sdjwt::verify(credential, &key, None).expect("the document's key verifies it");

    // The status list token names the DID too, and verifies with the same key.
    let list_url = claims["status"]["status_list"]["uri"].as_str().unwrap();
    let token = app.get_text(list_url).await;
    assert_eq!(jwt_claims(&token)["iss"], did);
    assert_eq!(jwt_header(&token)["kid"], kid);
    sigil_keys::DecodedJws::decode(&token, 1 << 20)
        .unwrap()
        .verify(&key)
        .unwrap();

    // The tenant's own verifier knows its DID for its own, and still its URL (for what it
    // issued before it took the DID).
    let t = app.provider.tenant_ctx(&app.tenant());
    let own = app
        .provider
        .verifier(&t, "employee-check")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(own.accepted_issuers, [app.base.clone(), did.clone()]);
    let outcome = presented(&app, "employee-check", &wallet).await;
    assert_eq!(outcome["status"], "verified", "{outcome}");
}

#[tokio::test]
async fn another_sigil_resolves_the_did_web_and_follows_the_credentials_status() {
    let issuer = did_issuer().await;
    let did = did_of(&issuer);
    let verifier = TestApp::spawn().await;
    let t = verifier.provider.tenant_ctx(&verifier.tenant());
    let query = json!({"credentials": [{"id": "employee", "format": "dc+sd-jwt",
        "meta": {"vct_values": [issuer.url("/vct/employee")]},
        "claims": [{"path": ["name"]}]}]});
    for (id, accepted) in [("by-did", did.as_str()), ("by-url", issuer.base.as_str())] {
        let doc = json!({"name": id, "dcql_query": query, "accepted_issuers": [accepted]});
        verifier
            .provider
            .save_verifier(&t, "test", id, doc)
            .await
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let (wallet, created) = wallet_with_employee(&issuer, dir.path()).await;

    let outcome = presented(&verifier, "by-did", &wallet).await;
    assert_eq!(outcome["status"], "verified", "{outcome}");
    assert_eq!(outcome["claims"]["employee"]["name"], "holder Example");

    // The issuer's URL is not the issuer the credential names.
    let outcome = presented(&verifier, "by-url", &wallet).await;
    assert_eq!(outcome["status"], "rejected");
    assert!(
        outcome["reason"].as_str().unwrap().contains("not accepted"),
        "{outcome}"
    );

    issuer
        .provider
        .change_credential_status(
            &issuer.tenant(),
            "test",
            &created.credential_id,
            StatusChange::Suspend,
        )
        .await
        .unwrap();
    let outcome = presented(&verifier, "by-did", &wallet).await;
    assert_eq!(
        outcome["reason"], "the credential is suspended",
        "{outcome}"
    );
}

#[tokio::test]
async fn a_did_document_is_served_only_where_the_did_names_it() {
    let app = did_issuer().await;
    app.provider
        .create_tenant("acme", "Acme Corp", "test")
        .await
        .unwrap();
    let (status, document) = get_json(&app, &app.url("/t/acme/did.json")).await;
    assert_eq!(status, 200);
    assert_eq!(document["id"], format!("{}:t:acme", did_of(&app)));
    assert!(!document["assertionMethod"].as_array().unwrap().is_empty());
    let (status, _) = get_json(&app, &app.url("/t/acme/.well-known/did.json")).await;
    assert_eq!(status, 404);

    // An issuer that names itself by its URL serves no DID document.
    let plain = fresh().await;
    let (status, _) = get_json(&plain, &plain.url("/.well-known/did.json")).await;
    assert_eq!(status, 404);
}
