//! `sigil wallet` against Sigil's issuer and verifier: an offer received over HTTP into an
//! encrypted store that reopens, a presentation that discloses only what is asked once the
//! holder approves (and nothing when they decline), and requests that do not prove their
//! client identifier refused.

use serde_json::Value;
use sigil_cli::wallet::{Wallet, present, receive};
use sigil_oidc::credentials::StatusChange;
use sigil_test_utils::TestApp;
use sigil_vc::verifier::{ClientIdPrefix, ResponseMode};

use super::credentials::fresh;

async fn offer(app: &TestApp, tx_code: bool) -> sigil_oidc::credentials::CreatedOffer {
    let t = app.provider.tenant_ctx(&app.tenant());
    let user = app
        .provider
        .credential_holder(&app.tenant(), "holder")
        .await
        .unwrap();
    app.provider
        .offer_credential(&t, "test", "employee", &user, tx_code)
        .await
        .unwrap()
}

async fn ask(app: &TestApp, prefix: ClientIdPrefix, mode: ResponseMode) -> (String, String) {
    let t = app.provider.tenant_ctx(&app.tenant());
    let r = app
        .provider
        .request_presentation(&t, "employee-check", prefix, mode)
        .await
        .unwrap();
    (r.id, r.request_uri)
}

async fn status(app: &TestApp, id: &str) -> Value {
    let t = app.provider.tenant_ctx(&app.tenant());
    let o = app
        .provider
        .presentation_outcome(&t, id)
        .await
        .unwrap()
        .unwrap();
    serde_json::to_value(o).unwrap()
}

#[tokio::test]
async fn the_wallet_receives_lists_and_presents_with_consent() {
    let app = fresh().await;
    let dir = tempfile::tempdir().unwrap();
    let now = app.provider.now().0;
    let created = offer(&app, true).await;
    let mut wallet = Wallet::open(dir.path()).unwrap();
    let err = receive(&mut wallet, &created.credential_offer_uri, None, now).await;
    assert!(err.is_err(), "the transaction code is needed");
    let received = receive(
        &mut wallet,
        &created.credential_offer_uri,
        created.tx_code.as_deref(),
        now,
    )
    .await
    .unwrap();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].name, "Employee");

    // The store reopens; nothing in it is readable without the wallet key.
    let wallet = Wallet::open(dir.path()).unwrap();
    assert_eq!(wallet.credentials.len(), 1);
    assert_eq!(wallet.credentials[0].claims["email"], "holder@example.com");
    assert_eq!(wallet.credentials[0].labels["email"], "E-mail address");
    let sealed = std::fs::read(dir.path().join("wallet.sealed")).unwrap();
    assert!(
        !sealed.windows(7).any(|w| w == b"example"),
        "the store is encrypted"
    );

    for (prefix, mode) in [
        (ClientIdPrefix::X509Hash, ResponseMode::DirectPost),
        (ClientIdPrefix::X509Hash, ResponseMode::DirectPostJwt),
        (ClientIdPrefix::RedirectUri, ResponseMode::DirectPost),
    ] {
        let (id, link) = ask(&app, prefix, mode).await;
        let declined = present(&wallet, &link, |_| false, now).await.unwrap();
        assert!(!declined.sent);
        assert_eq!(
            status(&app, &id).await["status"],
            "pending",
            "nothing sent when declined"
        );
        let mut shown = None;
        let outcome = present(
            &wallet,
            &link,
            |c| {
                shown = Some(c.clone());
                true
            },
            now,
        )
        .await
        .unwrap();
        assert!(outcome.sent);
        let shown = shown.unwrap();
        assert_eq!(shown.name.as_deref(), Some("Employee check"));
        let labels: Vec<&String> = shown.disclosures[0].claims.keys().collect();
        assert_eq!(
            labels,
            ["E-mail address", "Name"],
            "only what is asked, with its labels"
        );
        let result = status(&app, &id).await;
        assert_eq!(
            result["status"], "verified",
            "{prefix:?} {mode:?}: {result}"
        );
        assert!(result["claims"]["employee"].get("groups").is_none());
    }

    // A revoked credential: the wallet presents, the verifier refuses.
    let t = app.tenant();
    app.provider
        .change_credential_status(&t, "test", &created.credential_id, StatusChange::Revoke)
        .await
        .unwrap();
    let (id, link) = ask(&app, ClientIdPrefix::X509Hash, ResponseMode::DirectPost).await;
    present(&wallet, &link, |_| true, now).await.unwrap();
    assert_eq!(status(&app, &id).await["status"], "rejected");
}

#[tokio::test]
async fn requests_that_do_not_prove_their_client_id_are_refused() {
    let app = fresh().await;
    let dir = tempfile::tempdir().unwrap();
    let now = app.provider.now().0;
    let created = offer(&app, false).await;
    let mut wallet = Wallet::open(dir.path()).unwrap();
    receive(&mut wallet, &created.credential_offer_uri, None, now)
        .await
        .unwrap();

    let (_, link) = ask(&app, ClientIdPrefix::X509Hash, ResponseMode::DirectPost).await;
    let forged = link.replacen("client_id=x509_hash%3A", "client_id=x509_hash%3AAAAA", 1);
    let err = present(&wallet, &forged, |_| true, now).await.unwrap_err();
    assert!(err.to_string().contains("client_id"), "{err}");
    let (_, link) = ask(&app, ClientIdPrefix::RedirectUri, ResponseMode::DirectPost).await;
    let elsewhere = link.replace(
        "client_id=redirect_uri%3Ahttp",
        "client_id=redirect_uri%3Ahttps",
    );
    assert!(present(&wallet, &elsewhere, |_| true, now).await.is_err());
    // A wallet with nothing that answers the request discloses nothing.
    let empty = Wallet::open(tempfile::tempdir().unwrap().path()).unwrap();
    let (_, link) = ask(&app, ClientIdPrefix::X509Hash, ResponseMode::DirectPost).await;
    assert!(present(&empty, &link, |_| true, now).await.is_err());
}
