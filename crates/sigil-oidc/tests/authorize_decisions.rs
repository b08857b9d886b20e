//! What the authorization endpoint decides once a request is valid: sign-in, consent, or a
//! code at once; `prompt`, `max_age` and `id_token_hint`; interactions bound to a browser.

mod support;

use sigil_oidc::admin::NewClient;
use sigil_oidc::{ErrorCode, InteractionStep};
use support::*;

async fn setup() -> (Harness, TestClient) {
    let h = Harness::new().await;
    h.user("alice").await;
    let c = h.web_client().await;
    (h, c)
}

fn assert_code_redirect(url: &str) -> String {
    assert!(url.starts_with(REDIRECT), "{url}");
    let q = query(url);
    assert_eq!(q.get("state").map(String::as_str), Some("st-1"), "{url}");
    assert_eq!(q.get("iss").map(String::as_str), Some(ISSUER), "{url}");
    assert!(!q.contains_key("error"), "{url}");
    q.get("code")
        .cloned()
        .unwrap_or_else(|| panic!("no code in {url}"))
}

fn assert_login(step: InteractionStep, reauth: bool) {
    match step {
        InteractionStep::Login { reauthenticate, .. } => assert_eq!(reauthenticate, reauth),
        other => panic!("expected the sign-in step, got {other:?}"),
    }
}

fn assert_consent(step: InteractionStep) -> Vec<String> {
    match step {
        InteractionStep::Consent {
            scopes, username, ..
        } => {
            assert_eq!(username, "alice");
            scopes
        }
        other => panic!("expected the consent step, got {other:?}"),
    }
}

#[tokio::test]
async fn without_a_session_the_interaction_signs_in_then_asks_consent_then_issues() {
    let (h, c) = setup().await;
    let mut browser = h.browser();
    let req = AuthRequest::new(&c.id).set("login_hint", "alice");
    let id = expect_interaction(h.authorize(&browser, &req).await);
    match h.interaction(&browser, &id).await {
        InteractionStep::Login {
            login_hint,
            reauthenticate,
            ..
        } => {
            assert_eq!(login_hint.as_deref(), Some("alice"));
            assert!(!reauthenticate);
        }
        other => panic!("expected sign-in, got {other:?}"),
    }
    h.sign_in(&mut browser, "alice").await;
    let scopes = assert_consent(h.interaction(&browser, &id).await);
    assert_eq!(scopes, ["email", "openid", "profile"]);
    assert_code_redirect(&expect_done_redirect(h.consent(&browser, &id, true).await));
    assert!(
        matches!(
            h.interaction(&browser, &id).await,
            InteractionStep::Done(sigil_oidc::AuthorizeOutcome::ErrorPage(_))
        ),
        "a finished interaction cannot be replayed"
    );
}

#[tokio::test]
async fn prompt_none_without_a_session_is_login_required() {
    let (h, c) = setup().await;
    let req = AuthRequest::new(&c.id).set("prompt", "none");
    expect_error_redirect(
        h.authorize(&h.browser(), &req).await,
        ErrorCode::LoginRequired,
    );
}

#[tokio::test]
async fn prompt_none_without_consent_is_consent_required_and_with_it_issues() {
    let (h, c) = setup().await;
    let browser = h.signed_in("alice").await;
    let silent = AuthRequest::new(&c.id).set("prompt", "none");
    expect_error_redirect(
        h.authorize(&browser, &silent).await,
        ErrorCode::ConsentRequired,
    );
    h.code(&browser, &AuthRequest::new(&c.id)).await;
    assert_code_redirect(&expect_redirect(h.authorize(&browser, &silent).await));
}

#[tokio::test]
async fn consent_is_remembered_per_client_and_scope_set() {
    let (h, c) = setup().await;
    let browser = h.signed_in("alice").await;
    let narrow = AuthRequest::new(&c.id).set("scope", "openid profile");
    let id = expect_interaction(h.authorize(&browser, &narrow).await);
    assert_consent(h.interaction(&browser, &id).await);
    expect_done_redirect(h.consent(&browser, &id, true).await);

    assert_code_redirect(&expect_redirect(h.authorize(&browser, &narrow).await));
    let subset = AuthRequest::new(&c.id).set("scope", "openid");
    assert_code_redirect(&expect_redirect(h.authorize(&browser, &subset).await));

    let superset = AuthRequest::new(&c.id).set("scope", "openid profile email");
    let id = expect_interaction(h.authorize(&browser, &superset).await);
    assert_consent(h.interaction(&browser, &id).await);

    let other = h.web_client().await;
    let id = expect_interaction(
        h.authorize(
            &browser,
            &AuthRequest::new(&other.id).set("scope", "openid"),
        )
        .await,
    );
    assert_consent(h.interaction(&browser, &id).await);
}

#[tokio::test]
async fn first_party_clients_skip_consent() {
    let (h, _) = setup().await;
    let first = h
        .client(NewClient {
            first_party: true,
            ..web_client_spec()
        })
        .await;
    let browser = h.signed_in("alice").await;
    assert_code_redirect(&expect_redirect(
        h.authorize(&browser, &AuthRequest::new(&first.id)).await,
    ));
}

#[tokio::test]
async fn prompt_consent_asks_again_even_when_remembered() {
    let (h, c) = setup().await;
    let browser = h.signed_in("alice").await;
    h.code(&browser, &AuthRequest::new(&c.id)).await;
    let again = AuthRequest::new(&c.id).set("prompt", "consent");
    let id = expect_interaction(h.authorize(&browser, &again).await);
    assert_consent(h.interaction(&browser, &id).await);
    assert_code_redirect(&expect_done_redirect(h.consent(&browser, &id, true).await));
}

#[tokio::test]
async fn prompt_login_forces_a_fresh_sign_in() {
    let (h, c) = setup().await;
    let mut browser = h.signed_in("alice").await;
    h.code(&browser, &AuthRequest::new(&c.id)).await;
    h.advance(100);
    let req = AuthRequest::new(&c.id).set("prompt", "login");
    let id = expect_interaction(h.authorize(&browser, &req).await);
    assert_login(h.interaction(&browser, &id).await, true);
    assert_login(h.interaction(&browser, &id).await, true);

    h.sign_in(&mut browser, "alice").await;
    let signed_in_at = h.now();
    let code = assert_code_redirect(&expect_done_redirect(h.interaction(&browser, &id).await));
    let tokens = h.redeem(&c, &code, &req).await.expect("redeems");
    let id_token = claims(&tokens.id_token.expect("id token"));
    assert_eq!(
        id_token["auth_time"], signed_in_at,
        "auth_time is the new sign-in"
    );
}

#[tokio::test]
async fn an_exceeded_max_age_forces_a_fresh_sign_in() {
    let (h, c) = setup().await;
    let mut browser = h.signed_in("alice").await;
    h.code(&browser, &AuthRequest::new(&c.id)).await;
    h.advance(200);
    let young_enough = AuthRequest::new(&c.id).set("max_age", "300");
    assert_code_redirect(&expect_redirect(h.authorize(&browser, &young_enough).await));

    h.advance(101);
    let id = expect_interaction(h.authorize(&browser, &young_enough).await);
    assert_login(h.interaction(&browser, &id).await, true);
    let silent = AuthRequest::new(&c.id)
        .set("max_age", "300")
        .set("prompt", "none");
    expect_error_redirect(
        h.authorize(&browser, &silent).await,
        ErrorCode::LoginRequired,
    );

    h.sign_in(&mut browser, "alice").await;
    assert_code_redirect(&expect_done_redirect(h.interaction(&browser, &id).await));
}

#[tokio::test]
async fn an_id_token_hint_naming_another_user_asks_to_sign_in_again() {
    let (h, c) = setup().await;
    h.user("bob").await;
    let (_, alice_tokens) = h.tokens_for(&c, "alice", "openid").await;
    let hint = alice_tokens.id_token.expect("id token");

    let mut bob = h.signed_in("bob").await;
    let req = AuthRequest::new(&c.id)
        .set("scope", "openid")
        .set("id_token_hint", &hint);
    let id = expect_interaction(h.authorize(&bob, &req).await);
    assert_login(h.interaction(&bob, &id).await, true);
    let silent = req.clone().set("prompt", "none");
    expect_error_redirect(h.authorize(&bob, &silent).await, ErrorCode::LoginRequired);

    h.sign_in(&mut bob, "bob").await;
    let q = query(&expect_done_redirect(h.interaction(&bob, &id).await));
    assert_eq!(
        q["error"], "login_required",
        "bob signed in again but the hint names alice"
    );

    let id = expect_interaction(h.authorize(&bob, &req).await);
    h.sign_in(&mut bob, "alice").await;
    assert_code_redirect(&expect_done_redirect(h.interaction(&bob, &id).await));
}

#[tokio::test]
async fn an_id_token_hint_for_another_client_or_forged_is_refused() {
    let (h, c) = setup().await;
    let other = h.web_client().await;
    let (browser, tokens) = h.tokens_for(&other, "alice", "openid").await;
    let hint = tokens.id_token.expect("id token");
    let req = AuthRequest::new(&c.id).set("id_token_hint", &hint);
    let q = expect_error_redirect(h.authorize(&browser, &req).await, ErrorCode::InvalidRequest);
    assert!(q["error_description"].contains("another client"), "{q:?}");

    let mut forged = hint.clone();
    forged.truncate(forged.len() - 4);
    forged.push_str("AAAA");
    let req = AuthRequest::new(&other.id).set("id_token_hint", &forged);
    expect_error_redirect(h.authorize(&browser, &req).await, ErrorCode::InvalidRequest);

    let req = AuthRequest::new(&other.id).set("id_token_hint", &tokens.access_token);
    expect_error_redirect(h.authorize(&browser, &req).await, ErrorCode::InvalidRequest);
}

#[tokio::test]
async fn an_interaction_belongs_to_the_browser_that_started_it() {
    let (h, c) = setup().await;
    let browser = h.signed_in("alice").await;
    let id = expect_interaction(h.authorize(&browser, &AuthRequest::new(&c.id)).await);

    let mut thief = h.signed_in("alice").await;
    thief.session_secret.clone_from(&browser.session_secret);
    for step in [
        h.interaction(&thief, &id).await,
        h.consent(&thief, &id, true).await,
    ] {
        let e = match step {
            InteractionStep::Done(outcome) => expect_error_page(outcome),
            other => panic!("expected an error page, got {other:?}"),
        };
        assert!(e.description.contains("another browser"), "{e}");
    }
    assert_consent(h.interaction(&browser, &id).await);
}

#[tokio::test]
async fn denying_consent_sends_access_denied_and_ends_the_interaction() {
    let (h, c) = setup().await;
    let browser = h.signed_in("alice").await;
    let id = expect_interaction(h.authorize(&browser, &AuthRequest::new(&c.id)).await);
    let q = query(&expect_done_redirect(h.consent(&browser, &id, false).await));
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "st-1");
    assert_eq!(q["iss"], ISSUER);
    assert!(matches!(
        h.consent(&browser, &id, true).await,
        InteractionStep::Done(sigil_oidc::AuthorizeOutcome::ErrorPage(_))
    ));
    let id = expect_interaction(h.authorize(&browser, &AuthRequest::new(&c.id)).await);
    assert_consent(h.interaction(&browser, &id).await);
}

#[tokio::test]
async fn an_interaction_expires() {
    let (h, c) = setup().await;
    let browser = h.signed_in("alice").await;
    let id = expect_interaction(h.authorize(&browser, &AuthRequest::new(&c.id)).await);
    h.advance(h.provider.config().tokens.interaction_ttl);
    let step = h.consent(&browser, &id, true).await;
    assert!(
        matches!(
            step,
            InteractionStep::Done(sigil_oidc::AuthorizeOutcome::ErrorPage(_))
        ),
        "{step:?}"
    );
}

#[tokio::test]
async fn prompt_login_in_the_same_second_as_the_last_sign_in_still_asks_again() {
    let (h, c) = setup().await;
    let browser = h.signed_in("alice").await;
    h.code(&browser, &AuthRequest::new(&c.id)).await;
    let req = AuthRequest::new(&c.id).set("prompt", "login");
    let id = expect_interaction(h.authorize(&browser, &req).await);
    assert_login(h.interaction(&browser, &id).await, true);
}

#[tokio::test]
async fn consent_cannot_be_given_before_the_interaction_asks_for_it() {
    let (h, c) = setup().await;
    h.user("bob").await;
    let mut browser = h.signed_in("alice").await;
    h.advance(100);
    let req = AuthRequest::new(&c.id).set("prompt", "login");
    let id = expect_interaction(h.authorize(&browser, &req).await);
    assert_login(h.interaction(&browser, &id).await, true);

    assert_login(h.consent(&browser, &id, true).await, true);
    let alice = h
        .provider
        .current_session(&h.t, &browser)
        .await
        .expect("store")
        .expect("session")
        .user;
    let client_id = sigil_core::ClientId::parse(&c.id).expect("id");
    let stored = h
        .provider
        .store()
        .get_consent(&h.t.id, &alice.id, &client_id)
        .await
        .expect("store");
    assert!(
        stored.is_none(),
        "no consent recorded for a screen that was never shown"
    );
    h.sign_in(&mut browser, "bob").await;
    match h.interaction(&browser, &id).await {
        InteractionStep::Consent { username, .. } => assert_eq!(username, "bob"),
        other => panic!("bob must be asked for his own consent, got {other:?}"),
    }
}

#[tokio::test]
async fn max_age_zero_demands_a_sign_in_now() {
    let (h, c) = setup().await;
    let mut browser = h.signed_in("alice").await;
    h.code(&browser, &AuthRequest::new(&c.id)).await;
    let req = AuthRequest::new(&c.id).set("max_age", "0");
    let id = expect_interaction(h.authorize(&browser, &req).await);
    assert_login(h.interaction(&browser, &id).await, true);
    h.sign_in(&mut browser, "alice").await;
    assert_code_redirect(&expect_done_redirect(h.interaction(&browser, &id).await));
}
