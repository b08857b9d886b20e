//! Signing in through an external OpenID provider (here another Sigil, over real HTTP): the
//! account created just in time and linked, the same account on the next sign-in, routing by
//! `idp_hint` and by the address's domain, an existing account linked only once its owner
//! proves it, link-only providers, and every answer that is not this browser's, this
//! provider's or fresh refused without a session.

use sigil_core::model::AuditKind;
use sigil_oidc::admin::{NewClient, NewUser};
use sigil_oidc::federation::{IdentityProvider, NewIdentityProvider, Provisioning};
use sigil_test_utils::browser::{Page, query_param};
use sigil_test_utils::{Browser, PASSWORD, TestApp, jwt_claims, pkce};

use super::code_flow::authorize_url;

/// Sigil (the broker) with the other Sigil (`upstream`) configured as provider `partner`,
/// routing `example.com` addresses there.
struct Federation {
    broker: TestApp,
    upstream: TestApp,
}

impl Federation {
    async fn new(provisioning: Provisioning) -> Self {
        let upstream = TestApp::spawn().await;
        let broker = TestApp::spawn().await;
        let registration = upstream
            .create_client(NewClient {
                name: "Broker".into(),
                redirect_uris: vec![broker.url("/login/idp/partner/callback")],
                post_logout_redirect_uris: vec![broker.url("/login/idp/partner/logged-out")],
                first_party: true,
                ..NewClient::default()
            })
            .await;
        let provider = IdentityProvider {
            kind: "oidc".into(),
            display_name: "Partner Co".into(),
            issuer: upstream.base.clone(),
            client_id: registration.client_id,
            client_secret_sealed: None,
            scopes: vec!["openid".into(), "email".into(), "profile".into()],
            domains: vec!["example.com".into()],
            claims: Default::default(),
            groups: Default::default(),
            provisioning,
            saml: None,
        };
        let t = broker.provider.tenant_ctx(&broker.tenant());
        broker
            .provider
            .save_identity_provider(
                &t,
                "test",
                "partner",
                NewIdentityProvider {
                    provider,
                    client_secret: registration.client_secret,
                },
            )
            .await
            .unwrap();
        Federation { broker, upstream }
    }

    /// Signs `user` in at the upstream from wherever `page` sent the browser there; the
    /// broker's callback URL the upstream redirects to.
    async fn upstream_sign_in(&self, page: &Page, user: &str) -> String {
        self.upstream_sign_in_with(&self.upstream.browser(), page, user)
            .await
    }

    /// [`Self::upstream_sign_in`] with the browser's upstream side given.
    async fn upstream_sign_in_with(&self, upstream: &Browser, page: &Page, user: &str) -> String {
        let location = page.location().expect("a redirect to the provider");
        assert!(
            location.starts_with(&format!("{}/authorize?", self.upstream.base)),
            "{location}"
        );
        for param in ["state", "nonce", "code_challenge"] {
            assert!(query_param(&location, param).is_some(), "{param}");
        }
        assert_eq!(
            query_param(&location, "code_challenge_method").as_deref(),
            Some("S256")
        );
        let done = upstream.authorize(&location, user, PASSWORD).await;
        let callback = done.location().expect("a redirect back to the broker");
        assert!(
            callback.starts_with(&self.broker.url("/login/idp/partner/callback?")),
            "{callback}"
        );
        callback
    }

    /// The broker's authorization request for its web client, asking for `partner`.
    async fn authorize_through_partner(&self, browser: &Browser, client: &str) -> (Page, String) {
        let (verifier, challenge) = pkce::pair();
        let url = authorize_url(&self.broker, client, &challenge, "&idp_hint=partner");
        (browser.follow(browser.get(&url).await).await, verifier)
    }
}

/// Redeems the code the broker sent to the web client; the ID token's claims.
async fn redeem(
    app: &TestApp,
    client: &str,
    secret: &str,
    done: &Page,
    verifier: &str,
) -> serde_json::Value {
    let location = done.location().expect("a redirect to the client");
    let code = query_param(&location, "code").unwrap_or_else(|| panic!("{location}"));
    let (status, body, _) = app
        .post_form(
            "/token",
            Some((client, secret)),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "https://app.example/cb"),
                ("code_verifier", verifier),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    jwt_claims(body["id_token"].as_str().unwrap())
}

#[tokio::test]
async fn a_partner_user_signs_in_gets_an_account_and_keeps_it() {
    let fed = Federation::new(Provisioning::Jit).await;
    let ann = fed.upstream.create_user("ann").await;
    let client = fed.broker.web_client().await;
    let secret = client.client_secret.clone().unwrap();
    let browser = fed.broker.browser();

    // idp_hint goes straight to the provider; the answer comes back to the authorization.
    let (page, verifier) = fed
        .authorize_through_partner(&browser, &client.client_id)
        .await;
    let callback = fed.upstream_sign_in(&page, "ann").await;
    let done = browser.authorize(&callback, "", "").await;
    let claims = redeem(&fed.broker, &client.client_id, &secret, &done, &verifier).await;
    assert_eq!(claims["preferred_username"], "ann");
    assert_eq!(claims["email"], "ann@example.com");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["acr"], "urn:sigil:acr:federated");
    assert_eq!(claims["amr"], serde_json::json!(["fed"]));
    let tenant = fed.broker.tenant();
    let local = fed.broker.provider.find_user(&tenant, "ann").await.unwrap();
    assert_eq!(claims["sub"], local.id.as_str());
    assert_ne!(local.id, ann.id, "a local account of its own");
    assert!(local.password_hash.is_none());
    let link = fed
        .broker
        .provider
        .store()
        .find_external_identity(&tenant, "partner", ann.id.as_str())
        .await
        .unwrap()
        .expect("the identity is linked");
    assert_eq!(link.user_id, local.id);

    // The next sign-in, started from the address's domain, is the same account.
    let again = fed.broker.browser();
    let login = again.get("/login").await;
    assert!(login.html.contains("Partner Co"), "{}", login.html);
    assert!(login.has_form("/login/idp"));
    let routed = again
        .submit(&login, "/login/idp", &[("email", "ann@example.com")])
        .await;
    let start = routed.location().unwrap();
    assert!(start.starts_with("/login/idp/partner?"), "{start}");
    let page = again.get(&start).await;
    let callback = fed.upstream_sign_in(&page, "ann").await;
    let account = again.follow(again.get(&callback).await).await;
    assert_eq!(account.status, 200);
    assert!(account.html.contains(local.id.as_str()), "{}", account.html);
    assert_eq!(user_count(&fed.broker).await, 1, "no second account");

    // An address typed into the password form is routed too.
    let typed = fed.broker.browser();
    let login = typed.get("/login").await;
    let routed = typed
        .submit(
            &login,
            "/login",
            &[("username", "Ann@Example.com"), ("password", "")],
        )
        .await;
    assert!(
        routed
            .location()
            .unwrap()
            .starts_with("/login/idp/partner?")
    );
}

#[tokio::test]
async fn answers_that_are_not_this_browsers_or_fresh_are_refused() {
    let fed = Federation::new(Provisioning::Jit).await;
    fed.upstream.create_user("ann").await;
    let browser = fed.broker.browser();
    let start = browser.get("/login/idp/partner").await;
    let callback = fed.upstream_sign_in(&start, "ann").await;

    // Another browser cannot use the answer (a stolen or injected code)...
    let thief = fed.broker.browser();
    let stolen = thief.get(&callback).await;
    assert_eq!(stolen.status, 400);
    assert!(
        stolen.html.contains("expired or was already used"),
        "{}",
        stolen.html
    );
    // ...and it is spent for the right one too.
    let late = browser.get(&callback).await;
    assert_eq!(late.status, 400);
    let account = browser.get("/account").await;
    assert!(account.location().unwrap().contains("/login"), "no session");

    // An answer naming another issuer (a mix-up) is refused.
    let start = browser.get("/login/idp/partner").await;
    let callback = fed.upstream_sign_in(&start, "ann").await;
    let mixed = callback.replace(
        &format!(
            "iss={}",
            fed.upstream.base.replace(':', "%3A").replace('/', "%2F")
        ),
        "iss=https%3A%2F%2Fevil.example",
    );
    assert_ne!(mixed, callback, "the provider sends iss (RFC 9207)");
    assert_eq!(browser.get(&mixed).await.status, 400);

    // The provider's own refusal, and unknown or garbled answers.
    let start = browser.get("/login/idp/partner").await;
    let state = query_param(&start.location().unwrap(), "state").unwrap();
    let denied = browser
        .get(&format!(
            "/login/idp/partner/callback?state={state}&error=access_denied"
        ))
        .await;
    assert_eq!(denied.status, 400);
    assert!(
        denied.html.contains("did not sign you in"),
        "{}",
        denied.html
    );
    for bad in [
        "/login/idp/partner/callback",
        "/login/idp/partner/callback?state=forged&code=x",
        "/login/idp/partner/callback?state=a&state=b",
    ] {
        let page = browser.get(bad).await;
        assert_eq!(page.status, 400, "{bad}");
    }
    assert_eq!(browser.get("/login/idp/nope").await.status, 404);

    // Each refusal is audited, with why (batched and coalesced, so give the flusher a
    // moment and count the distinct reasons).
    let mut failures = 0;
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let (events, _) = fed
            .broker
            .provider
            .list_audit(&fed.broker.tenant(), sigil_store::AuditQuery::latest(50))
            .await
            .unwrap();
        let reasons: std::collections::BTreeSet<String> = events
            .iter()
            .filter(|r| r.event.kind == AuditKind::FederatedSignInFailed)
            .map(|r| r.event.details["reason"].to_string())
            .collect();
        failures = reasons.len();
        if failures >= 4 {
            break;
        }
    }
    assert!(failures >= 4, "{failures}");
}

#[tokio::test]
async fn an_existing_account_is_linked_only_when_its_owner_proves_it() {
    let fed = Federation::new(Provisioning::Jit).await;
    fed.upstream.create_user("ann").await;
    let tenant = fed.broker.tenant();
    let annie = fed
        .broker
        .provider
        .create_user(
            &tenant,
            NewUser {
                username: "annie".into(),
                password: Some(PASSWORD.into()),
                email: Some("ann@example.com".into()),
                email_verified: true,
                ..NewUser::default()
            },
            "test",
        )
        .await
        .unwrap();
    let browser = fed.broker.browser();
    let start = browser.get("/login/idp/partner").await;
    let callback = fed.upstream_sign_in(&start, "ann").await;
    let link = browser.get(&callback).await;
    assert_eq!(link.status, 200);
    assert!(link.has_form("/login/idp/link"), "{}", link.html);
    assert!(link.html.contains("annie"));

    // Another browser cannot complete it; a wrong password does not.
    let other = fed.broker.browser();
    let elsewhere = other
        .post("/login/idp/link", &link.form_fields("/login/idp/link"))
        .await;
    assert_ne!(elsewhere.status, 303);
    let wrong = browser
        .submit(
            &link,
            "/login/idp/link",
            &[("password", "not the password at all")],
        )
        .await;
    assert_eq!(wrong.status, 200);
    assert!(wrong.html.contains("incorrect"), "{}", wrong.html);
    let store = fed.broker.provider.store();
    let links = store
        .list_external_identities(&tenant, &annie.id)
        .await
        .unwrap();
    assert!(links.is_empty());

    let linked = browser
        .submit(&wrong, "/login/idp/link", &[("password", PASSWORD)])
        .await;
    assert_eq!(linked.status, 303, "{}", linked.html);
    let account = browser.follow(linked).await;
    assert!(account.html.contains(annie.id.as_str()));
    let links = store
        .list_external_identities(&tenant, &annie.id)
        .await
        .unwrap();
    assert_eq!(links.len(), 1);

    // From now on the provider signs annie in directly.
    let next = fed.broker.browser();
    let start = next.get("/login/idp/partner").await;
    let callback = fed.upstream_sign_in(&start, "ann").await;
    let account = next.follow(next.get(&callback).await).await;
    assert!(account.html.contains(annie.id.as_str()), "{}", account.html);
}

#[tokio::test]
async fn a_link_only_provider_lets_in_linked_identities_only() {
    let fed = Federation::new(Provisioning::LinkOnly).await;
    fed.upstream.create_user("bob").await;
    let browser = fed.broker.browser();
    let start = browser.get("/login/idp/partner").await;
    let callback = fed.upstream_sign_in(&start, "bob").await;
    let refused = browser.get(&callback).await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.html.contains("No account here is linked"),
        "{}",
        refused.html
    );
    assert_eq!(user_count(&fed.broker).await, 0);
}

async fn user_count(app: &TestApp) -> usize {
    let query = sigil_store::UserQuery::default();
    app.provider
        .store()
        .list_users(&app.tenant(), &query)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn signing_out_signs_out_of_the_provider_too() {
    let fed = Federation::new(Provisioning::Jit).await;
    fed.upstream.create_user("ann").await;
    let (broker, upstream) = (fed.broker.browser(), fed.upstream.browser());
    let start = broker.get("/login/idp/partner").await;
    let callback = fed.upstream_sign_in_with(&upstream, &start, "ann").await;
    let account = broker.follow(broker.get(&callback).await).await;
    assert_eq!(account.status, 200);
    assert_eq!(
        upstream.get("/account").await.status,
        200,
        "signed in upstream"
    );

    // The account page's sign-out goes on to the provider (its CSP lets the form go there).
    let csp = account.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains(&fed.upstream.base), "{csp}");
    let out = broker.submit(&account, "/account/logout", &[]).await;
    let to_upstream = out.location().expect("sent to the provider");
    assert!(
        to_upstream.starts_with(&format!("{}/logout?", fed.upstream.base)),
        "{to_upstream}"
    );
    assert!(query_param(&to_upstream, "id_token_hint").is_some());
    let back = upstream.get(&to_upstream).await;
    let back = back
        .location()
        .expect("the provider sends the browser back");
    assert!(
        back.starts_with(&fed.broker.url("/login/idp/partner/logged-out?")),
        "{back}"
    );
    let done = broker.get(&back).await;
    assert_eq!(done.status, 200);
    assert!(
        broker.get("/account").await.location().is_some(),
        "signed out here"
    );
    assert!(
        upstream.get("/account").await.location().is_some(),
        "and there"
    );
    // The way back works once.
    assert_eq!(broker.get(&back).await.status, 200);
}

/// Universal logout from the provider: it names the person by its own issuer and subject
/// (Global Token Revocation, `iss_sub`), and their sessions at the broker end.
#[tokio::test]
async fn the_provider_signs_its_user_out_of_the_broker_by_its_own_subject() {
    let fed = Federation::new(Provisioning::Jit).await;
    let ann = fed.upstream.create_user("ann").await;
    let browser = fed.broker.browser();
    let page = browser
        .follow(browser.get("/login/idp/partner").await)
        .await;
    let callback = fed.upstream_sign_in(&page, "ann").await;
    assert_eq!(
        browser.follow(browser.get(&callback).await).await.status,
        200
    );
    assert_eq!(browser.get("/account").await.status, 200, "signed in");

    let tool = fed.broker.admin_token(&["sessions:write"]).await;
    let subject = serde_json::json!({"subject": {
        "format": "iss_sub", "iss": fed.upstream.base, "sub": ann.id.as_str()
    }});
    let res = fed
        .broker
        .http()
        .post(fed.broker.url("/global-token-revocation"))
        .bearer_auth(&tool)
        .json(&subject)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(browser.get("/account").await.status, 303, "signed out");
}
