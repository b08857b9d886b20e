//! `sigil wallet` against Sigil's issuer and verifier: an offer received over HTTP into an
//! encrypted store that reopens, a presentation that discloses only what is asked once the
//! holder approves (and nothing when they decline), and requests that do not prove their
//! client identifier refused.

use sigil_cli::wallet::{Redeem, SignIn, Wallet, collect, present, receive, receive_with};
use sigil_oidc::credentials::{OfferGrant, StatusChange};
use sigil_test_utils::TestApp;
use sigil_vc::verifier::{ClientIdPrefix, ResponseMode};

use super::credentials::{fresh, offer, offer_of};
use super::credentials_deferred::{badge_offer, define_badge};

async fn ask(app: &TestApp, prefix: ClientIdPrefix, mode: ResponseMode) -> (String, String) {
    let t = app.provider.tenant_ctx(&app.tenant());
    let r = app
        .provider
        .request_presentation(&t, "employee-check", prefix, mode)
        .await
        .unwrap();
    (r.id, r.request_uri)
}

#[tokio::test]
async fn the_wallet_receives_lists_and_presents_with_consent() {
    let app = fresh().await;
    let dir = tempfile::tempdir().unwrap();
    let now = app.provider.now().0;
    let created = offer(&app, "holder", true).await;
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
    assert_eq!(received.credentials.len(), 1);
    assert_eq!(received.credentials[0].name, "Employee");

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
            app.presentation_outcome(&id).await["status"],
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
        let mut labels: Vec<&String> = shown.disclosures[0].claims.keys().collect();
        labels.sort();
        assert_eq!(
            labels,
            ["E-mail address", "Name"],
            "only what is asked, with its labels"
        );
        let result = app.presentation_outcome(&id).await;
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
    assert_eq!(app.presentation_outcome(&id).await["status"], "rejected");
}

#[tokio::test]
async fn requests_that_do_not_prove_their_client_id_are_refused() {
    let app = fresh().await;
    let dir = tempfile::tempdir().unwrap();
    let now = app.provider.now().0;
    let created = offer(&app, "holder", false).await;
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

/// The `href` of the element with `id` on a page.
pub(super) fn link_with_id(html: &str, id: &str) -> String {
    let start = html.find(&format!("id=\"{id}\" href=\"")).unwrap() + id.len() + 12;
    let end = start + html[start..].find('"').unwrap();
    sigil_test_utils::browser::unescape(&html[start..end])
}

#[tokio::test]
async fn people_sign_in_with_a_credential_from_their_wallet() {
    let app =
        TestApp::spawn_with(|c| c.credentials.sign_in_verifier = "employee-check".into()).await;
    app.create_user("holder").await;
    let dir = tempfile::tempdir().unwrap();
    let now = app.provider.now().0;
    let mut wallet = Wallet::open(dir.path()).unwrap();
    let created = offer(&app, "holder", false).await;
    receive(&mut wallet, &created.credential_offer_uri, None, now)
        .await
        .unwrap();

    let browser = app.browser();
    let login = browser.get(&app.url("/login")).await;
    let login = sigil_test_utils::browser::unescape(&login.html);
    assert!(
        login.contains("/login/wallet?return_to="),
        "the sign-in page offers it: {login}"
    );
    let start = browser.get(&app.url("/login/wallet")).await;
    assert_eq!(start.status, 200);
    assert!(start.html.contains("<svg"), "a QR code");
    let link = link_with_id(&start.html, "wallet-link");
    assert!(link.starts_with("openid4vp://"));

    // Before the wallet answers, the page says so and stays.
    let early = browser.submit(&start, "/login/wallet", &[]).await;
    assert!(
        early.html.contains("has not answered yet"),
        "{}",
        early.html
    );

    present(&wallet, &link, |_| true, now).await.unwrap();
    // Another browser cannot finish it.
    let thief = app.browser();
    let stolen = thief.get(&app.url("/login")).await;
    let request = early
        .form_fields("/login/wallet")
        .into_iter()
        .find(|(k, _)| k == "request")
        .unwrap()
        .1;
    let csrf = stolen
        .form_fields("/login")
        .into_iter()
        .find(|(k, _)| k == "csrf")
        .unwrap()
        .1;
    let fields = vec![
        ("csrf".to_owned(), csrf),
        ("request".to_owned(), request.clone()),
    ];
    let refused = thief.post(&app.url("/login/wallet"), &fields).await;
    assert!(refused.html.contains("another browser"), "{}", refused.html);

    let done = browser.submit(&early, "/login/wallet", &[]).await;
    assert_eq!(done.status, 303, "{}", done.html);
    assert!(done.location().unwrap().ends_with("/account"));
    let account = browser.get(&app.url("/account")).await;
    assert!(
        account.html.contains("holder"),
        "signed in as the credential's holder"
    );
    let t = app.provider.tenant_ctx(&app.tenant());
    let user = app
        .provider
        .credential_holder(&app.tenant(), "holder")
        .await
        .unwrap();
    let sessions = app
        .provider
        .store()
        .list_user_sessions(&t.id, &user, app.provider.now())
        .await
        .unwrap();
    assert_eq!(sessions[0].auth.amr, ["pop"]);
    assert_eq!(sessions[0].auth.acr, "urn:sigil:acr:credential");

    // The same presentation signs in once.
    let again = browser.submit(&early, "/login/wallet", &[]).await;
    assert!(again.html.contains("already used"), "{}", again.html);
}

#[tokio::test]
async fn a_deferred_credential_is_kept_pending_and_collected_once_approved() {
    let app = fresh().await;
    define_badge(&app).await;
    let created = badge_offer(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let now = app.provider.now().0;
    let mut wallet = Wallet::open(dir.path()).unwrap();
    let received = receive(&mut wallet, &created.credential_offer_uri, None, now)
        .await
        .unwrap();
    assert!(received.credentials.is_empty());
    assert_eq!(received.pending.len(), 1);

    // Pending survives reopening; asking before approval changes nothing.
    let mut wallet = Wallet::open(dir.path()).unwrap();
    assert_eq!(wallet.pending.len(), 1);
    let early = collect(&mut wallet, now).await.unwrap();
    assert_eq!((early.credentials.len(), early.waiting), (0, 1));

    app.provider
        .approve_credential(&app.tenant(), "test", &created.credential_id)
        .await
        .unwrap();
    let done = collect(&mut wallet, now).await.unwrap();
    assert_eq!((done.credentials.len(), done.waiting), (1, 0));
    assert_eq!(done.credentials[0].name, "Badge");
    assert_eq!(done.credentials[0].claims["name"], "holder Example");
    let wallet = Wallet::open(dir.path()).unwrap();
    assert!(wallet.pending.is_empty());
    assert_eq!(wallet.credentials.len(), 1);
    let issued = app
        .provider
        .get_credential(&app.tenant(), &created.credential_id)
        .await
        .unwrap();
    assert_eq!(issued.state.as_str(), "issued");
}

#[tokio::test]
async fn a_deferred_credential_the_issuer_revokes_is_dropped() {
    let app = fresh().await;
    define_badge(&app).await;
    let created = badge_offer(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let now = app.provider.now().0;
    let mut wallet = Wallet::open(dir.path()).unwrap();
    receive(&mut wallet, &created.credential_offer_uri, None, now)
        .await
        .unwrap();
    app.provider
        .change_credential_status(
            &app.tenant(),
            "test",
            &created.credential_id,
            StatusChange::Revoke,
        )
        .await
        .unwrap();
    let outcome = collect(&mut wallet, now).await.unwrap();
    assert_eq!(outcome.dropped.len(), 1);
    assert!(outcome.dropped[0].1.contains("credential_request_denied"));
    assert!(Wallet::open(dir.path()).unwrap().pending.is_empty());
}

#[tokio::test]
async fn the_wallet_binds_its_tokens_where_the_issuer_requires_dpop() {
    let app = TestApp::spawn_with(|c| c.credentials.require_dpop = true).await;
    app.create_user("holder").await;
    let dir = tempfile::tempdir().unwrap();
    let now = app.provider.now().0;
    let mut wallet = Wallet::open(dir.path()).unwrap();
    let created = offer(&app, "holder", false).await;
    let received = receive(&mut wallet, &created.credential_offer_uri, None, now)
        .await
        .unwrap();
    assert_eq!(received.credentials.len(), 1);

    // A deferred credential is collected with the same bound token.
    define_badge(&app).await;
    let badge = badge_offer(&app).await;
    let received = receive(&mut wallet, &badge.credential_offer_uri, None, now)
        .await
        .unwrap();
    assert_eq!(received.pending.len(), 1);
    assert!(received.pending[0].dpop_key.is_some());
    app.provider
        .approve_credential(&app.tenant(), "test", &badge.credential_id)
        .await
        .unwrap();
    let collected = collect(&mut wallet, now).await.unwrap();
    assert_eq!(collected.credentials.len(), 1);
}

#[tokio::test]
async fn the_wallet_redeems_an_offer_by_signing_its_user_in() {
    let app = fresh().await;
    let wallet_client = app
        .create_client(sigil_oidc::admin::NewClient {
            name: "CLI wallet".into(),
            redirect_uris: vec!["http://127.0.0.1/callback".into()],
            public: true,
            ..Default::default()
        })
        .await;
    let created = offer_of(&app, "holder", "employee", OfferGrant::SignIn).await;
    let dir = tempfile::tempdir().unwrap();
    let now = app.provider.now().0;
    let mut wallet = Wallet::open(dir.path()).unwrap();
    let without = receive(&mut wallet, &created.credential_offer_uri, None, now).await;
    assert!(without.unwrap_err().to_string().contains("--client-id"));

    // The user, in a browser, signs in and approves; the browser comes back to the wallet.
    let (base, origin) = (app.base.clone(), app.base.clone());
    let sign_in = SignIn {
        client_id: wallet_client.client_id.clone(),
        open: Box::new(move |url| {
            let browser = sigil_test_utils::Browser::new(&base, &origin);
            tokio::spawn(async move {
                let page = browser
                    .authorize(&url, "holder", sigil_test_utils::PASSWORD)
                    .await;
                let back = page.location().expect("a redirect to the wallet");
                assert!(back.starts_with("http://127.0.0.1:"), "{back}");
                reqwest::get(back).await.unwrap();
            });
        }),
    };
    let redeem = Redeem {
        tx_code: None,
        sign_in: Some(&sign_in),
    };
    let received = receive_with(&mut wallet, &created.credential_offer_uri, &redeem, now)
        .await
        .unwrap();
    assert_eq!(received.credentials.len(), 1);
    assert_eq!(
        received.credentials[0].claims["email"],
        "holder@example.com"
    );
    let issued = app
        .provider
        .get_credential(&app.tenant(), &created.credential_id)
        .await
        .unwrap();
    assert_eq!(
        issued.state.as_str(),
        "issued",
        "the offer's own credential"
    );
}
