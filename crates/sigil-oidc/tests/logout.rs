//! RP-initiated logout request validation: exactly registered `post_logout_redirect_uri`,
//! which needs a client; `client_id` agreeing with `id_token_hint`; and confirmation skipped
//! only when the hint names the browser's current session.

mod support;

use sigil_oidc::logout::LogoutRequest;
use sigil_oidc::{Browser, CurrentSession, ErrorCode, OAuthError, Params};
use support::*;

async fn setup() -> (Harness, TestClient) {
    let h = Harness::new().await;
    h.user("alice").await;
    let c = h.web_client().await;
    (h, c)
}

async fn session(h: &Harness, browser: &Browser) -> Option<CurrentSession> {
    h.provider
        .current_session(&h.t, browser)
        .await
        .expect("store")
}

async fn logout(
    h: &Harness,
    pairs: &[(&str, &str)],
    browser: &Browser,
) -> Result<LogoutRequest, OAuthError> {
    let current = session(h, browser).await;
    h.provider
        .logout_request(
            &h.t,
            &Params::from_pairs(pairs.iter().copied()),
            current.as_ref(),
        )
        .await
}

/// A browser signed in as alice and an ID token from that session.
async fn signed_in_with_hint(h: &Harness, c: &TestClient) -> (Browser, String) {
    let (browser, tokens) = h.tokens_for(c, "alice", "openid").await;
    (browser, tokens.id_token.expect("id token"))
}

#[tokio::test]
async fn a_bare_logout_request_is_valid_and_needs_confirmation() {
    let (h, _) = setup().await;
    let browser = h.signed_in("alice").await;
    let req = logout(&h, &[], &browser).await.expect("valid");
    assert_eq!(
        req,
        LogoutRequest {
            redirect: None,
            client_name: None,
            confirmed_by_hint: false
        }
    );
}

#[tokio::test]
async fn a_registered_post_logout_redirect_uri_is_used_with_state() {
    let (h, c) = setup().await;
    let browser = h.browser();
    let pairs = [
        ("client_id", c.id.as_str()),
        ("post_logout_redirect_uri", LOGOUT_REDIRECT),
        ("state", "s-9"),
    ];
    let req = logout(&h, &pairs, &browser).await.expect("valid");
    let redirect = req.redirect.expect("redirect");
    assert!(redirect.starts_with(LOGOUT_REDIRECT), "{redirect}");
    assert_eq!(query(&redirect)["state"], "s-9");
    assert_eq!(req.client_name.as_deref(), Some("Web App"));

    let pairs = [
        ("client_id", c.id.as_str()),
        ("post_logout_redirect_uri", LOGOUT_REDIRECT),
    ];
    let req = logout(&h, &pairs, &browser).await.expect("valid");
    assert_eq!(
        req.redirect.as_deref(),
        Some(LOGOUT_REDIRECT),
        "exactly the URI without state"
    );
}

#[tokio::test]
async fn the_post_logout_redirect_uri_must_be_registered_exactly() {
    let (h, c) = setup().await;
    for near in [
        "https://app.example/bye/",
        "https://app.example/bye?x=1",
        "https://evil.example/bye",
        REDIRECT,
    ] {
        let pairs = [
            ("client_id", c.id.as_str()),
            ("post_logout_redirect_uri", near),
        ];
        let e = expect_err(
            logout(&h, &pairs, &h.browser()).await,
            ErrorCode::InvalidRequest,
        );
        assert!(e.description.contains("not registered"), "{near}: {e}");
    }
}

#[tokio::test]
async fn a_post_logout_redirect_uri_needs_a_client() {
    let (h, _) = setup().await;
    let e = expect_err(
        logout(
            &h,
            &[("post_logout_redirect_uri", LOGOUT_REDIRECT)],
            &h.browser(),
        )
        .await,
        ErrorCode::InvalidRequest,
    );
    assert!(
        e.description.contains("needs id_token_hint or client_id"),
        "{e}"
    );
    let pairs = [
        ("client_id", "no-such-client"),
        ("post_logout_redirect_uri", LOGOUT_REDIRECT),
    ];
    let e = expect_err(
        logout(&h, &pairs, &h.browser()).await,
        ErrorCode::InvalidRequest,
    );
    assert!(e.description.contains("unknown client"), "{e}");
}

#[tokio::test]
async fn an_id_token_hint_names_the_client() {
    let (h, c) = setup().await;
    let (browser, hint) = signed_in_with_hint(&h, &c).await;
    let pairs = [
        ("id_token_hint", hint.as_str()),
        ("post_logout_redirect_uri", LOGOUT_REDIRECT),
    ];
    let req = logout(&h, &pairs, &browser).await.expect("valid");
    assert_eq!(req.redirect.as_deref(), Some(LOGOUT_REDIRECT));
    assert_eq!(req.client_name.as_deref(), Some("Web App"));
}

#[tokio::test]
async fn client_id_must_agree_with_the_id_token_hint() {
    let (h, c) = setup().await;
    let other = h.web_client().await;
    let (browser, hint) = signed_in_with_hint(&h, &c).await;
    let pairs = [
        ("id_token_hint", hint.as_str()),
        ("client_id", other.id.as_str()),
    ];
    let e = expect_err(
        logout(&h, &pairs, &browser).await,
        ErrorCode::InvalidRequest,
    );
    assert!(e.description.contains("does not match"), "{e}");
    let pairs = [
        ("id_token_hint", hint.as_str()),
        ("client_id", c.id.as_str()),
    ];
    logout(&h, &pairs, &browser)
        .await
        .expect("agreeing client_id");
}

#[tokio::test]
async fn the_hint_confirms_the_logout_only_for_the_current_session() {
    let (h, c) = setup().await;
    h.user("bob").await;
    let (mut browser, hint) = signed_in_with_hint(&h, &c).await;
    let pairs = [("id_token_hint", hint.as_str())];
    assert!(
        logout(&h, &pairs, &browser)
            .await
            .expect("valid")
            .confirmed_by_hint
    );

    assert!(
        !logout(&h, &pairs, &h.browser())
            .await
            .expect("valid")
            .confirmed_by_hint,
        "no session"
    );
    let alice_elsewhere = h.signed_in("alice").await;
    assert!(
        !logout(&h, &pairs, &alice_elsewhere)
            .await
            .expect("valid")
            .confirmed_by_hint,
        "another session of alice"
    );
    let bob = h.signed_in("bob").await;
    assert!(
        !logout(&h, &pairs, &bob)
            .await
            .expect("valid")
            .confirmed_by_hint,
        "another user"
    );

    h.sign_in(&mut browser, "alice").await;
    assert!(
        !logout(&h, &pairs, &browser)
            .await
            .expect("valid")
            .confirmed_by_hint,
        "a newer session of the same browser"
    );
}

#[tokio::test]
async fn an_expired_hint_is_still_accepted() {
    let (h, c) = setup().await;
    let (_, hint) = signed_in_with_hint(&h, &c).await;
    h.advance(h.provider.config().tokens.id_token_ttl + 60);
    let req = logout(&h, &[("id_token_hint", hint.as_str())], &h.browser())
        .await
        .expect("valid");
    assert_eq!(req.client_name.as_deref(), Some("Web App"));
}

#[tokio::test]
async fn a_forged_hint_or_an_access_token_is_refused() {
    let (h, c) = setup().await;
    let (_, tokens) = h.tokens_for(&c, "alice", "openid").await;
    let hint = tokens.id_token.expect("id token");
    let (head, rest) = hint.split_once('.').expect("jwt");
    let (_, sig) = rest.split_once('.').expect("jwt");
    let forged_claims = claims(&hint);
    let mut forged_claims = forged_claims.as_object().cloned().expect("object");
    forged_claims.insert("sub".into(), "someone-else".into());
    let payload = sigil_core::b64url_encode(serde_json::to_vec(&forged_claims).expect("json"));
    let forged = format!("{head}.{payload}.{sig}");
    for bad in [forged.as_str(), tokens.access_token.as_str(), "not-a-jwt"] {
        let e = expect_err(
            logout(&h, &[("id_token_hint", bad)], &h.browser()).await,
            ErrorCode::InvalidRequest,
        );
        assert!(e.description.contains("id_token_hint"), "{e}");
    }
}
