//! Signing in through an external SAML identity provider (here another Sigil's SAML IdP, over
//! real HTTP; pysaml2 plays the IdP in tests/saml): Sigil's SP metadata imported there, the
//! signed AuthnRequest, the response posted to the assertion consumer service and picked up by
//! the browser that started the sign-in, the account created just in time and linked by the
//! pairwise NameID; signing out of Sigil signing out at the IdP too (SAML single logout, both
//! messages signed); and replays, stolen answers and altered responses refused without a
//! session.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sigil_core::model::AuditKind;
use sigil_oidc::federation::saml::SamlSettings;
use sigil_oidc::federation::{ClaimMapping, IdentityProvider, NewIdentityProvider};
use sigil_test_utils::browser::{Page, query_param};
use sigil_test_utils::{Browser, PASSWORD, TestApp};

/// Sigil (the broker) with the other Sigil's SAML IdP (`upstream`) as provider `partner`.
struct SamlFederation {
    broker: TestApp,
    upstream: TestApp,
}

impl SamlFederation {
    async fn new() -> Self {
        Self::with_encryption(false).await
    }

    /// The pair, the IdP encrypting its assertions to the broker when `encrypt`.
    async fn with_encryption(encrypt: bool) -> Self {
        let upstream = TestApp::spawn().await;
        let broker = TestApp::spawn().await;
        let idp_metadata = get_text(&upstream, "/saml/metadata").await;
        let settings = SamlSettings::from_metadata(&idp_metadata, false).unwrap();
        let provider = IdentityProvider {
            kind: "saml".into(),
            display_name: "Partner SAML".into(),
            issuer: settings.idp.entity_id.clone(),
            client_id: String::new(),
            client_secret_sealed: None,
            scopes: Vec::new(),
            domains: vec!["partner.example".into()],
            claims: ClaimMapping {
                username: "username".into(),
                ..ClaimMapping::default()
            },
            groups: Default::default(),
            provisioning: Default::default(),
            saml: Some(settings),
        };
        let t = broker.provider.tenant_ctx(&broker.tenant());
        let saved = broker
            .provider
            .save_identity_provider(
                &t,
                "test",
                "partner",
                NewIdentityProvider {
                    provider,
                    client_secret: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            saved.sp_metadata_url.as_deref(),
            Some(broker.url("/saml/sp/partner/metadata").as_str())
        );
        let sp_metadata = get_text(&broker, "/saml/sp/partner/metadata").await;
        let ut = upstream.provider.tenant_ctx(&upstream.tenant());
        upstream
            .provider
            .import_saml_sp(
                &ut,
                "test",
                Some("broker"),
                &sp_metadata,
                sigil_oidc::saml::SpSettings {
                    encrypt_assertions: encrypt,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        SamlFederation { broker, upstream }
    }

    /// Follows the broker's redirect to the upstream IdP and signs `user` in there: the form
    /// the IdP's page posts to the broker's assertion consumer service.
    async fn upstream_sign_in(&self, page: &Page, user: &str) -> Vec<(String, String)> {
        self.upstream_sign_in_with(&self.upstream.browser(), page, user)
            .await
    }

    /// [`Self::upstream_sign_in`] with the browser's upstream side given.
    async fn upstream_sign_in_with(
        &self,
        upstream: &Browser,
        page: &Page,
        user: &str,
    ) -> Vec<(String, String)> {
        let location = page.location().expect("a redirect to the IdP");
        assert!(
            location.starts_with(&self.upstream.url("/saml/sso?")),
            "{location}"
        );
        for param in ["SAMLRequest", "RelayState", "SigAlg", "Signature"] {
            assert!(query_param(&location, param).is_some(), "{param}");
        }
        let posted = upstream.authorize(&location, user, PASSWORD).await;
        let acs = self.broker.url("/saml/sp/partner/acs");
        assert!(posted.has_form(&acs), "{} {}", posted.status, posted.html);
        posted.form_fields(&acs)
    }

    async fn post_to_acs(&self, browser: &Browser, fields: &[(String, String)]) -> Page {
        browser
            .post(&self.broker.url("/saml/sp/partner/acs"), fields)
            .await
    }
}

async fn get_text(app: &TestApp, path: &str) -> String {
    let res = app.http().get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.unwrap()
}

/// The distinct reasons of the audited refused federated sign-ins (the audit trail is
/// written in batches, so this waits until `at_least` are there, or a few seconds).
async fn refusal_reasons(app: &TestApp, at_least: usize) -> Vec<String> {
    let mut reasons = std::collections::BTreeSet::new();
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let (events, _) = app
            .provider
            .list_audit(&app.tenant(), sigil_store::AuditQuery::latest(50))
            .await
            .unwrap();
        reasons = events
            .iter()
            .filter(|r| r.event.kind == AuditKind::FederatedSignInFailed)
            .map(|r| r.event.details["reason"].to_string())
            .collect();
        if reasons.len() >= at_least {
            break;
        }
    }
    reasons.into_iter().collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    &fields.iter().find(|(k, _)| k == name).unwrap().1
}

fn with_field(fields: &[(String, String)], name: &str, value: &str) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| {
            let v = if k == name { value } else { v.as_str() };
            (k.clone(), v.to_owned())
        })
        .collect()
}

#[tokio::test]
async fn a_partner_user_signs_in_over_saml_and_keeps_one_account() {
    let fed = SamlFederation::new().await;
    fed.upstream.create_user("ann").await;
    let sp_metadata = get_text(&fed.broker, "/saml/sp/partner/metadata").await;
    for expected in [
        "AuthnRequestsSigned=\"true\"",
        "WantAssertionsSigned=\"true\"",
        &fed.broker.url("/saml/sp/partner/acs"),
        "<ds:X509Certificate>",
    ] {
        assert!(
            sp_metadata.contains(expected),
            "{expected} in {sp_metadata}"
        );
    }

    let browser = fed.broker.browser();
    let start = browser.get("/login/idp/partner?return_to=%2Faccount").await;
    let fields = fed.upstream_sign_in(&start, "ann").await;
    let received = fed.post_to_acs(&browser, &fields).await;
    assert_eq!(received.status, 303, "{}", received.html);
    let continue_at = received.location().unwrap();
    assert!(continue_at.starts_with("/saml/sp/partner/acs/continue?answer="));
    let account = browser.follow(browser.get(&continue_at).await).await;
    assert_eq!(account.status, 200, "{}", account.html);
    assert!(account.url.ends_with("/account"), "{}", account.url);

    let tenant = fed.broker.tenant();
    let local = fed.broker.provider.find_user(&tenant, "ann").await.unwrap();
    assert!(account.html.contains(local.id.as_str()), "{}", account.html);
    assert!(local.password_hash.is_none());

    // The same person again (routed by the address's domain): the same account.
    let again = fed.broker.browser();
    let login = again.get("/login").await;
    assert!(login.html.contains("Partner SAML"), "{}", login.html);
    let routed = again
        .submit(&login, "/login/idp", &[("email", "ann@partner.example")])
        .await;
    let page = again.get(&routed.location().unwrap()).await;
    let fields = fed.upstream_sign_in(&page, "ann").await;
    let received = fed.post_to_acs(&again, &fields).await;
    let account = again
        .follow(again.get(&received.location().unwrap()).await)
        .await;
    assert!(account.html.contains(local.id.as_str()), "{}", account.html);
    let users = fed
        .broker
        .provider
        .store()
        .list_users(&tenant, &sigil_store::UserQuery::default())
        .await
        .unwrap();
    assert_eq!(users.len(), 1, "no second account");

    // The same response again is refused (its request was answered already).
    let replayed = fed.post_to_acs(&again, &fields).await;
    assert_eq!(replayed.status, 400);
    assert!(
        replayed.html.contains("expired or was already used"),
        "{}",
        replayed.html
    );
}

#[tokio::test]
async fn stolen_replayed_and_altered_answers_are_refused() {
    let fed = SamlFederation::new().await;
    fed.upstream.create_user("ann").await;
    let browser = fed.broker.browser();

    // Another browser cannot pick up the checked answer, and it is spent for the right one.
    let start = browser.get("/login/idp/partner").await;
    let fields = fed.upstream_sign_in(&start, "ann").await;
    let received = fed.post_to_acs(&browser, &fields).await;
    let continue_at = received.location().unwrap();
    let thief = fed.broker.browser();
    assert_eq!(thief.get(&continue_at).await.status, 400);
    assert_eq!(browser.get(&continue_at).await.status, 400);
    let account = browser.get("/account").await;
    assert!(account.location().unwrap().contains("/login"), "no session");

    // An answer to one request is no answer to another (InResponseTo), nor is it accepted
    // twice under a new RelayState.
    let start = browser.get("/login/idp/partner").await;
    let second = fed.upstream_sign_in(&start, "ann").await;
    let start = browser.get("/login/idp/partner").await;
    let third_relay = query_param(&start.location().unwrap(), "RelayState").unwrap();
    let swapped = with_field(&second, "RelayState", &third_relay);
    let refused = fed.post_to_acs(&browser, &swapped).await;
    assert_eq!(refused.status, 400, "{}", refused.html);

    // An altered response (the NameID changed) fails its signature.
    let start = browser.get("/login/idp/partner").await;
    let fourth = fed.upstream_sign_in(&start, "ann").await;
    let xml = String::from_utf8(STANDARD.decode(field(&fourth, "SAMLResponse")).unwrap()).unwrap();
    let name_id_start = xml.find("<saml:NameID").unwrap();
    let value_start = name_id_start + xml[name_id_start..].find('>').unwrap() + 1;
    // The NameID is a digest: its first character may already be the replacement.
    let replacement = if xml[value_start..].starts_with('x') {
        "y"
    } else {
        "x"
    };
    let altered = format!(
        "{}{replacement}{}",
        &xml[..value_start],
        &xml[value_start + 1..]
    );
    let altered = with_field(&fourth, "SAMLResponse", &STANDARD.encode(altered));
    let refused = fed.post_to_acs(&browser, &altered).await;
    assert_eq!(refused.status, 400, "{}", refused.html);
    // Its request is spent, so even the genuine response is refused now.
    assert_eq!(fed.post_to_acs(&browser, &fourth).await.status, 400);

    let tenant = fed.broker.tenant();
    assert!(
        fed.broker.provider.find_user(&tenant, "ann").await.is_err(),
        "no account was created"
    );
    let reasons = refusal_reasons(&fed.broker, 6).await;
    for expected in [
        "another browser",
        "does not answer the request",
        "digest",
        "RelayState",
    ] {
        assert!(
            reasons.iter().any(|r| r.contains(expected)),
            "{expected} in {reasons:?}"
        );
    }
}

/// Signs ann in at the broker through the IdP, then out of the broker: the URL the IdP sends
/// the browser back to with its LogoutResponse.
async fn sign_in_and_out(fed: &SamlFederation, broker: &Browser, upstream: &Browser) -> String {
    let start = broker.get("/login/idp/partner").await;
    let fields = fed.upstream_sign_in_with(upstream, &start, "ann").await;
    let received = fed.post_to_acs(broker, &fields).await;
    let account = broker
        .follow(broker.get(&received.location().unwrap()).await)
        .await;
    assert_eq!(account.status, 200, "{}", account.html);
    assert_eq!(
        upstream.get("/account").await.status,
        200,
        "signed in there"
    );

    // The account page's sign-out sends a signed LogoutRequest to the IdP (its CSP lets the
    // form go there); the IdP ends its session and answers with a signed LogoutResponse.
    let csp = account.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains(&fed.upstream.base), "{csp}");
    let out = broker.submit(&account, "/account/logout", &[]).await;
    let to_idp = out.location().expect("sent to the IdP");
    assert!(
        to_idp.starts_with(&fed.upstream.url("/saml/slo?SAMLRequest=")),
        "{to_idp}"
    );
    for param in ["RelayState", "SigAlg", "Signature"] {
        assert!(query_param(&to_idp, param).is_some(), "{param}");
    }
    let back = upstream.get(&to_idp).await;
    let back = back.location().expect("the IdP sends the browser back");
    assert!(
        back.starts_with(&fed.broker.url("/saml/sp/partner/slo?SAMLResponse=")),
        "{back}"
    );
    assert!(
        broker.get("/account").await.location().is_some(),
        "signed out here"
    );
    assert!(
        upstream.get("/account").await.location().is_some(),
        "and there"
    );
    back
}

const UNCONFIRMED: &str = "did not confirm";

#[tokio::test]
async fn signing_out_signs_out_at_the_saml_idp_too() {
    let fed = SamlFederation::new().await;
    fed.upstream.create_user("ann").await;
    let (broker, upstream) = (fed.broker.browser(), fed.upstream.browser());

    let back = sign_in_and_out(&fed, &broker, &upstream).await;
    let done = broker.get(&back).await;
    assert_eq!(done.status, 200, "{}", done.html);
    assert!(!done.html.contains(UNCONFIRMED), "{}", done.html);
    // The way back works once; a second time it is just the signed-out page.
    assert_eq!(broker.get(&back).await.status, 200);

    // An answer whose signature does not verify confirms nothing.
    let back = sign_in_and_out(&fed, &broker, &upstream).await;
    let signature = query_param(&back, "Signature").unwrap();
    let forged = back.replace(
        &form_urlencoded::byte_serialize(signature.as_bytes()).collect::<String>(),
        &form_urlencoded::byte_serialize(STANDARD.encode([7u8; 256]).as_bytes())
            .collect::<String>(),
    );
    assert_ne!(forged, back);
    let done = broker.get(&forged).await;
    assert_eq!(done.status, 200, "{}", done.html);
    assert!(done.html.contains(UNCONFIRMED), "{}", done.html);
}

#[tokio::test]
async fn signing_out_at_the_saml_idp_signs_out_of_sigil_too() {
    let fed = SamlFederation::new().await;
    fed.upstream.create_user("ann").await;
    let (broker, upstream) = (fed.broker.browser(), fed.upstream.browser());
    let start = broker.get("/login/idp/partner").await;
    let fields = fed.upstream_sign_in_with(&upstream, &start, "ann").await;
    let received = fed.post_to_acs(&broker, &fields).await;
    let account = broker
        .follow(broker.get(&received.location().unwrap()).await)
        .await;
    assert_eq!(account.status, 200, "{}", account.html);

    // The person signs out at the IdP (the other Sigil): it sends a signed LogoutRequest to
    // Sigil's SP logout service, which ends the session and answers.
    let idp_account = upstream.get("/account").await;
    let csp = idp_account.headers["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(csp.contains(&fed.broker.base), "{csp}");
    let out = upstream.submit(&idp_account, "/account/logout", &[]).await;
    let to_sigil = out.location().expect("sent to Sigil, its SP");
    assert!(
        to_sigil.starts_with(&fed.broker.url("/saml/sp/partner/slo?SAMLRequest=")),
        "{to_sigil}"
    );
    // A copy with its signature broken is refused and ends nothing.
    let signature = query_param(&to_sigil, "Signature").unwrap();
    let forged = to_sigil.replace(
        &form_urlencoded::byte_serialize(signature.as_bytes()).collect::<String>(),
        &form_urlencoded::byte_serialize(STANDARD.encode([7u8; 256]).as_bytes())
            .collect::<String>(),
    );
    assert_eq!(broker.get(&forged).await.status, 400);
    assert_eq!(broker.get("/account").await.status, 200, "still signed in");

    let answered = broker.get(&to_sigil).await;
    let back = answered
        .location()
        .expect("the answer goes back to the IdP");
    assert!(
        back.starts_with(&fed.upstream.url("/saml/slo?SAMLResponse=")),
        "{back}"
    );
    assert!(
        broker.get("/account").await.location().is_some(),
        "signed out of Sigil"
    );
    let done = upstream.get(&back).await;
    assert_eq!(done.status, 200, "{}", done.html);
    assert!(done.html.contains("You have signed out"), "{}", done.html);
}

#[tokio::test]
async fn assertions_encrypted_to_sigil_are_decrypted() {
    let fed = SamlFederation::with_encryption(true).await;
    fed.upstream.create_user("ann").await;
    let browser = fed.broker.browser();
    let start = browser.get("/login/idp/partner").await;
    let fields = fed.upstream_sign_in(&start, "ann").await;
    let xml = String::from_utf8(STANDARD.decode(field(&fields, "SAMLResponse")).unwrap()).unwrap();
    assert!(
        xml.contains("<saml:EncryptedAssertion") && !xml.contains("<saml:Assertion"),
        "{xml}"
    );
    let received = fed.post_to_acs(&browser, &fields).await;
    assert_eq!(received.status, 303, "{}", received.html);
    let account = browser
        .follow(browser.get(&received.location().unwrap()).await)
        .await;
    assert_eq!(account.status, 200, "{}", account.html);
    let local = fed
        .broker
        .provider
        .find_user(&fed.broker.tenant(), "ann")
        .await
        .unwrap();
    assert!(account.html.contains(local.id.as_str()));
}
