//! `grant_type=refresh_token`: rotation on every use, replay revoking the family (and only
//! it), scope narrowing, idle and absolute expiry, client binding.

mod support;

use sigil_oidc::ErrorCode;
use sigil_oidc::admin::NewClient;
use support::*;

const OFFLINE: &str = "openid profile offline_access";

async fn setup() -> (Harness, TestClient) {
    let h = Harness::new().await;
    h.user("alice").await;
    let c = h.web_client().await;
    (h, c)
}

/// A refresh token of a fresh grant to alice, with the access token issued alongside it.
async fn grant(h: &Harness, c: &TestClient) -> (String, String) {
    let (_, tokens) = h.tokens_for(c, "alice", OFFLINE).await;
    (
        tokens.refresh_token.expect("refresh token"),
        tokens.access_token,
    )
}

#[tokio::test]
async fn each_refresh_rotates_the_token_and_issues_fresh_tokens() {
    let (h, c) = setup().await;
    let (r1, a1) = grant(&h, &c).await;
    h.advance(30);
    let next = h.refresh(&c, &r1).await.expect("refreshes");
    let r2 = next.refresh_token.clone().expect("a new refresh token");
    assert_ne!(r2, r1);
    assert_ne!(next.access_token, a1);
    assert_eq!(next.scope, "offline_access openid profile");
    let id = claims(&next.id_token.expect("an ID token with openid"));
    assert_eq!(id["aud"], c.id.as_str());
    assert!(id.get("nonce").is_none(), "no nonce on refresh");
    assert_eq!(claims(&next.access_token)["iat"], h.now());
    assert!(h.is_active(&c, &r2).await);
    assert!(!h.is_active(&c, &r1).await, "the rotated token is spent");
    h.refresh(&c, &r2).await.expect("the new token refreshes");
}

#[tokio::test]
async fn replaying_a_rotated_token_revokes_its_family_only() {
    let (h, c) = setup().await;
    let (family_a, _) = grant(&h, &c).await;
    let (family_b, b_access) = grant(&h, &c).await;

    let rotated = h.refresh(&c, &family_a).await.expect("refreshes");
    let a2 = rotated.refresh_token.expect("rotated");
    let e = expect_err(h.refresh(&c, &family_a).await, ErrorCode::InvalidGrant);
    assert!(e.description.contains("already used"), "{e}");

    expect_err(h.refresh(&c, &a2).await, ErrorCode::InvalidGrant);
    assert!(
        !h.is_active(&c, &rotated.access_token).await,
        "the family's latest access token is revoked"
    );

    assert!(
        h.is_active(&c, &b_access).await,
        "the other family's access token survives"
    );
    h.refresh(&c, &family_b)
        .await
        .expect("the other family still refreshes");
}

#[tokio::test]
async fn scope_may_narrow_but_not_widen() {
    let (h, c) = setup().await;
    let (r1, _) = grant(&h, &c).await;
    let narrow = h
        .token(
            &c,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &r1),
                ("scope", "openid"),
            ],
        )
        .await
        .expect("narrowing is allowed");
    assert_eq!(narrow.scope, "openid");
    assert_eq!(claims(&narrow.access_token)["scope"], "openid");
    assert!(
        claims(&narrow.id_token.expect("id token"))
            .get("preferred_username")
            .is_none()
    );

    let r2 = narrow.refresh_token.expect("rotated");
    let wide = [
        ("grant_type", "refresh_token"),
        ("refresh_token", r2.as_str()),
        ("scope", "openid email"),
    ];
    let e = expect_err(h.token(&c, &wide).await, ErrorCode::InvalidScope);
    assert!(e.description.contains("exceeds"), "{e}");

    let full = h
        .refresh(&c, &r2)
        .await
        .expect("the grant keeps its original scope");
    assert_eq!(full.scope, "offline_access openid profile");
}

#[tokio::test]
async fn an_unused_token_expires_after_the_idle_ttl() {
    let (h, c) = setup().await;
    let idle = h.provider.config().tokens.refresh_token_idle_ttl;
    let (r1, _) = grant(&h, &c).await;
    h.advance(idle - 1);
    let r2 = h
        .refresh(&c, &r1)
        .await
        .expect("used within the idle time")
        .refresh_token
        .expect("rotated");
    h.advance(idle);
    let e = expect_err(h.refresh(&c, &r2).await, ErrorCode::InvalidGrant);
    assert!(e.description.contains("expired"), "{e}");
}

#[tokio::test]
async fn public_clients_tokens_idle_out_sooner() {
    let h = Harness::new().await;
    h.user("alice").await;
    let public = h
        .client(NewClient {
            public: true,
            ..web_client_spec()
        })
        .await;
    let browser = h.signed_in("alice").await;
    let req = AuthRequest::new(&public.id).set("scope", OFFLINE);
    let code = h.code(&browser, &req).await;
    let verifier = req.verifier.clone().expect("verifier");
    let redeem = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
        ("client_id", public.id.as_str()),
    ];
    let tokens = h
        .token_with(None, &redeem)
        .await
        .expect("public client redeems");
    let refresh = tokens.refresh_token.expect("refresh token");
    h.advance(h.provider.config().tokens.public_refresh_token_idle_ttl);
    let pairs = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
        ("client_id", public.id.as_str()),
    ];
    expect_err(h.token_with(None, &pairs).await, ErrorCode::InvalidGrant);
}

#[tokio::test]
async fn a_grant_cannot_be_refreshed_past_its_absolute_lifetime() {
    let h = Harness::with_config(|cfg| {
        cfg.tokens.refresh_token_idle_ttl = 1000;
        cfg.tokens.refresh_token_absolute_ttl = 1500;
    })
    .await;
    h.user("alice").await;
    let c = h.web_client().await;
    let (r1, _) = grant(&h, &c).await;
    h.advance(800);
    let r2 = h
        .refresh(&c, &r1)
        .await
        .expect("refresh at 800s")
        .refresh_token
        .expect("rotated");
    h.advance(600);
    let r3 = h
        .refresh(&c, &r2)
        .await
        .expect("refresh at 1400s")
        .refresh_token
        .expect("rotated");
    h.advance(100);
    let e = expect_err(h.refresh(&c, &r3).await, ErrorCode::InvalidGrant);
    assert!(
        e.description.contains("expired"),
        "used 100s ago, but the grant is 1500s old: {e}"
    );
}

#[tokio::test]
async fn another_client_cannot_use_nor_burn_a_refresh_token() {
    let (h, c) = setup().await;
    let other = h.web_client().await;
    let (r1, access) = grant(&h, &c).await;
    expect_err(h.refresh(&other, &r1).await, ErrorCode::InvalidGrant);
    assert!(h.is_active(&c, &access).await);
    h.refresh(&c, &r1)
        .await
        .expect("the rightful client still refreshes");
}

#[tokio::test]
async fn a_client_without_the_refresh_grant_gets_no_refresh_token() {
    let h = Harness::new().await;
    h.user("alice").await;
    let c = h
        .client(NewClient {
            grant_types: vec!["authorization_code".into()],
            ..web_client_spec()
        })
        .await;
    let (_, tokens) = h.tokens_for(&c, "alice", OFFLINE).await;
    assert!(tokens.refresh_token.is_none());
}

#[tokio::test]
async fn revoked_unknown_and_disabled_users_tokens_do_not_refresh() {
    let (h, c) = setup().await;
    let (r1, _) = grant(&h, &c).await;
    let params = sigil_oidc::Params::from_pairs([("token", r1.as_str())]);
    h.provider
        .revoke(&h.t, &params, Some(&c.basic()))
        .await
        .expect("revokes");
    expect_err(h.refresh(&c, &r1).await, ErrorCode::InvalidGrant);

    expect_err(
        h.refresh(&c, "no-such-token").await,
        ErrorCode::InvalidGrant,
    );
    let e = expect_err(
        h.token(&c, &[("grant_type", "refresh_token")]).await,
        ErrorCode::InvalidRequest,
    );
    assert!(e.description.contains("refresh_token"), "{e}");

    let (r2, _) = grant(&h, &c).await;
    let alice = h
        .provider
        .store()
        .find_user_by_username(&h.t.id, "alice")
        .await
        .expect("store")
        .expect("alice");
    h.disable_user(&alice.id).await;
    expect_err(h.refresh(&c, &r2).await, ErrorCode::InvalidGrant);
}

#[tokio::test]
async fn withdrawing_consent_revokes_the_clients_grants_and_asks_again() {
    let (h, c) = setup().await;
    let (browser, tokens) = h.tokens_for(&c, "alice", OFFLINE).await;
    let refresh = tokens.refresh_token.expect("refresh token");
    let alice = h
        .provider
        .current_session(&h.t, &browser)
        .await
        .expect("store")
        .expect("session")
        .user;
    let client_id = sigil_core::ClientId::parse(&c.id).expect("id");
    assert!(
        h.provider
            .withdraw_consent(&h.t, &alice, &client_id, None)
            .await
            .expect("store")
    );

    expect_err(h.refresh(&c, &refresh).await, ErrorCode::InvalidGrant);
    assert!(
        !h.is_active(&c, &tokens.access_token).await,
        "its access tokens go too"
    );
    let id = expect_interaction(
        h.authorize(&browser, &AuthRequest::new(&c.id).set("scope", OFFLINE))
            .await,
    );
    assert!(matches!(
        h.interaction(&browser, &id).await,
        sigil_oidc::InteractionStep::Consent { .. }
    ));
}
