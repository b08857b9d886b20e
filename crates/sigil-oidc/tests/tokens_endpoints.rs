//! Introspection (RFC 7662), revocation (RFC 7009) and UserInfo (OpenID Connect Core §5.3)
//! for the tokens the grants issue.

mod support;

use sigil_oidc::{ErrorCode, Params};
use support::*;

const OFFLINE: &str = "openid profile email offline_access";

async fn setup() -> (Harness, TestClient) {
    let h = Harness::new().await;
    h.user("alice").await;
    let c = h.web_client().await;
    (h, c)
}

async fn revoke(
    h: &Harness,
    client: &TestClient,
    token: &str,
) -> Result<(), sigil_oidc::OAuthError> {
    h.provider
        .revoke(
            &h.t,
            &Params::from_pairs([("token", token)]),
            Some(&client.basic()),
        )
        .await
}

#[tokio::test]
async fn an_access_token_introspects_active_with_its_claims() {
    let (h, c) = setup().await;
    let (_, tokens) = h.tokens_for(&c, "alice", OFFLINE).await;
    let body = h.introspect(&c, &tokens.access_token).await;
    let at = claims(&tokens.access_token);
    assert_eq!(body["active"], true);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "email offline_access openid profile");
    assert_eq!(body["client_id"], c.id.as_str());
    assert_eq!(body["username"], "alice");
    for claim in ["sub", "aud", "iss", "exp", "iat", "jti", "auth_time"] {
        assert_eq!(body[claim], at[claim], "{claim}");
    }
}

#[tokio::test]
async fn a_refresh_token_introspects_active_for_its_own_client_only() {
    let (h, c) = setup().await;
    let (_, tokens) = h.tokens_for(&c, "alice", OFFLINE).await;
    let refresh = tokens.refresh_token.expect("refresh token");
    let body = h.introspect(&c, &refresh).await;
    assert_eq!(body["active"], true);
    assert_eq!(body["token_type"], "refresh_token");
    assert_eq!(body["client_id"], c.id.as_str());
    assert_eq!(body["username"], "alice");
    assert_eq!(body["iss"], ISSUER);

    let other = h.web_client().await;
    assert_eq!(
        h.introspect(&other, &refresh).await["active"],
        false,
        "another client learns nothing"
    );
}

#[tokio::test]
async fn spent_expired_garbage_and_disabled_users_tokens_are_inactive() {
    let (h, c) = setup().await;
    let (_, tokens) = h.tokens_for(&c, "alice", OFFLINE).await;
    let r1 = tokens.refresh_token.clone().expect("refresh token");
    h.refresh(&c, &r1).await.expect("rotates");
    assert!(!h.is_active(&c, &r1).await, "a rotated refresh token");

    for garbage in ["nope", "a.b.c", "not-even-close.x"] {
        let body = h.introspect(&c, garbage).await;
        assert_eq!(body["active"], false, "{garbage}");
        assert_eq!(body.len(), 1, "an inactive answer says nothing else");
    }

    let (_, fresh) = h.tokens_for(&c, "alice", OFFLINE).await;
    let alice = h
        .provider
        .store()
        .find_user_by_username(&h.t.id, "alice")
        .await
        .expect("store")
        .expect("alice");
    h.disable_user(&alice.id).await;
    assert!(
        !h.is_active(&c, &fresh.access_token).await,
        "a disabled user's access token"
    );
    assert!(
        !h.is_active(&c, &fresh.refresh_token.expect("refresh"))
            .await,
        "and refresh token"
    );
}

#[tokio::test]
async fn an_access_token_is_inactive_once_expired() {
    let (h, c) = setup().await;
    let (_, tokens) = h.tokens_for(&c, "alice", "openid").await;
    h.advance(599);
    assert!(h.is_active(&c, &tokens.access_token).await);
    h.advance(1);
    assert!(!h.is_active(&c, &tokens.access_token).await);
}

#[tokio::test]
async fn introspection_requires_client_authentication() {
    let (h, c) = setup().await;
    let (_, tokens) = h.tokens_for(&c, "alice", "openid").await;
    let params = Params::from_pairs([("token", tokens.access_token.as_str())]);
    let e = expect_err(
        h.provider.introspect(&h.t, &params, None).await,
        ErrorCode::InvalidClient,
    );
    assert!(!e.description.is_empty());
    let bad = basic(&c.id, "wrong");
    expect_err(
        h.provider.introspect(&h.t, &params, Some(&bad)).await,
        ErrorCode::InvalidClient,
    );
    let e = expect_err(
        h.provider
            .introspect(&h.t, &Params::default(), Some(&c.basic()))
            .await,
        ErrorCode::InvalidRequest,
    );
    assert!(e.description.contains("token"), "{e}");
}

#[tokio::test]
async fn a_revoked_access_token_introspects_inactive_and_fails_verification() {
    let (h, c) = setup().await;
    let (_, tokens) = h.tokens_for(&c, "alice", "openid").await;
    revoke(&h, &c, &tokens.access_token).await.expect("revokes");
    assert!(!h.is_active(&c, &tokens.access_token).await);
    let e = expect_err(
        h.provider
            .verify_access_token(&h.t, &tokens.access_token)
            .await,
        ErrorCode::InvalidToken,
    );
    assert!(e.description.contains("revoked"), "{e}");
    revoke(&h, &c, &tokens.access_token)
        .await
        .expect("revoking twice is fine");
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_its_grant_and_its_access_tokens() {
    let (h, c) = setup().await;
    let (_, tokens) = h.tokens_for(&c, "alice", OFFLINE).await;
    let refresh = tokens.refresh_token.expect("refresh token");
    revoke(&h, &c, &refresh).await.expect("revokes");
    assert!(!h.is_active(&c, &refresh).await);
    assert!(
        !h.is_active(&c, &tokens.access_token).await,
        "the grant's access token goes too"
    );
    expect_err(h.refresh(&c, &refresh).await, ErrorCode::InvalidGrant);
}

#[tokio::test]
async fn revoking_another_clients_token_is_an_invalid_request() {
    let (h, c) = setup().await;
    let other = h.web_client().await;
    let (_, tokens) = h.tokens_for(&c, "alice", OFFLINE).await;
    let refresh = tokens.refresh_token.expect("refresh token");
    for token in [&tokens.access_token, &refresh] {
        let e = expect_err(revoke(&h, &other, token).await, ErrorCode::InvalidRequest);
        assert!(e.description.contains("another client"), "{e}");
        assert!(h.is_active(&c, token).await, "nothing was revoked");
    }
}

#[tokio::test]
async fn revoking_an_unknown_token_succeeds() {
    let (h, c) = setup().await;
    revoke(&h, &c, "no-such-token")
        .await
        .expect("unknown opaque token");
    revoke(&h, &c, "aaa.bbb.ccc")
        .await
        .expect("unknown JWT-shaped token");
    let params = Params::from_pairs([("token", "x")]);
    expect_err(
        h.provider.revoke(&h.t, &params, None).await,
        ErrorCode::InvalidClient,
    );
}

#[tokio::test]
async fn userinfo_releases_claims_per_scope() {
    let (h, c) = setup().await;
    let alice = h
        .provider
        .store()
        .find_user_by_username(&h.t.id, "alice")
        .await
        .expect("store")
        .expect("alice");

    let (_, openid) = h.tokens_for(&c, "alice", "openid").await;
    let body = h
        .provider
        .userinfo(&h.t, &openid.access_token)
        .await
        .expect("userinfo");
    assert_eq!(body.keys().collect::<Vec<_>>(), ["sub"]);
    assert_eq!(body["sub"], alice.id.as_str());

    let (_, profile) = h.tokens_for(&c, "alice", "openid profile").await;
    let body = h
        .provider
        .userinfo(&h.t, &profile.access_token)
        .await
        .expect("userinfo");
    assert_eq!(body["preferred_username"], "alice");
    assert_eq!(body["name"], "alice Example");
    assert!(body.contains_key("updated_at"));
    assert!(!body.contains_key("email"));

    let (_, email) = h.tokens_for(&c, "alice", "openid email").await;
    let body = h
        .provider
        .userinfo(&h.t, &email.access_token)
        .await
        .expect("userinfo");
    assert_eq!(body["email"], "alice@example.com");
    assert_eq!(body["email_verified"], true);
    assert!(!body.contains_key("preferred_username"));
}

#[tokio::test]
async fn an_id_token_is_not_an_access_token() {
    let (h, c) = setup().await;
    let (_, tokens) = h.tokens_for(&c, "alice", "openid").await;
    let e = expect_err(
        h.provider
            .userinfo(&h.t, &tokens.id_token.expect("id token"))
            .await,
        ErrorCode::InvalidToken,
    );
    assert!(e.description.contains("not an access token"), "{e}");
}

#[tokio::test]
async fn userinfo_needs_the_openid_scope_and_a_user() {
    let (h, c) = setup().await;
    let (_, no_openid) = h.tokens_for(&c, "alice", "profile").await;
    let e = expect_err(
        h.provider.userinfo(&h.t, &no_openid.access_token).await,
        ErrorCode::InsufficientScope,
    );
    assert!(e.description.contains("openid"), "{e}");

    let svc = h.service_client(&["api:read"], &[]).await;
    let cc = h
        .token(&svc, &[("grant_type", "client_credentials")])
        .await
        .expect("issues");
    expect_err(
        h.provider.userinfo(&h.t, &cc.access_token).await,
        ErrorCode::InsufficientScope,
    );
}

#[tokio::test]
async fn userinfo_refuses_expired_revoked_and_disabled_users_tokens() {
    let (h, c) = setup().await;
    let (_, a) = h.tokens_for(&c, "alice", "openid").await;
    let (_, b) = h.tokens_for(&c, "alice", "openid").await;
    revoke(&h, &c, &a.access_token).await.expect("revokes");
    expect_err(
        h.provider.userinfo(&h.t, &a.access_token).await,
        ErrorCode::InvalidToken,
    );

    let alice = h
        .provider
        .store()
        .find_user_by_username(&h.t.id, "alice")
        .await
        .expect("store")
        .expect("alice");
    h.disable_user(&alice.id).await;
    expect_err(
        h.provider.userinfo(&h.t, &b.access_token).await,
        ErrorCode::InvalidToken,
    );

    h.advance(600);
    let e = expect_err(
        h.provider.userinfo(&h.t, &b.access_token).await,
        ErrorCode::InvalidToken,
    );
    assert!(e.description.contains("expired"), "{e}");
}

#[tokio::test]
async fn an_access_token_for_a_resource_only_is_not_for_userinfo() {
    let h = Harness::new().await;
    h.user("alice").await;
    let api = "https://api.example";
    let c = h
        .client(sigil_oidc::admin::NewClient {
            resources: vec![api.into()],
            ..web_client_spec()
        })
        .await;
    let browser = h.signed_in("alice").await;

    let req = AuthRequest::new(&c.id)
        .set("scope", "profile")
        .set("resource", api);
    let tokens = h
        .redeem(&c, &h.code(&browser, &req).await, &req)
        .await
        .expect("redeems");
    assert_eq!(claims(&tokens.access_token)["aud"], api);
    expect_err(
        h.provider.userinfo(&h.t, &tokens.access_token).await,
        ErrorCode::InvalidToken,
    );

    let req = AuthRequest::new(&c.id)
        .set("scope", "openid")
        .set("resource", api);
    let tokens = h
        .redeem(&c, &h.code(&browser, &req).await, &req)
        .await
        .expect("redeems");
    assert_eq!(
        claims(&tokens.access_token)["aud"],
        serde_json::json!([api, ISSUER])
    );
    h.provider
        .userinfo(&h.t, &tokens.access_token)
        .await
        .expect("OpenID requests keep the issuer audience");
}
