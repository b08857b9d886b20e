//! `grant_type=authorization_code`: what a successful redemption returns, and every way a
//! code is refused (reuse, wrong client, redirect URI, PKCE, expiry, inactive user).

mod support;

use serde_json::json;
use sigil_core::{Digest32, b64url_encode};
use sigil_oidc::ErrorCode;
use sigil_oidc::admin::NewClient;
use support::*;

async fn setup() -> (Harness, TestClient) {
    let h = Harness::new().await;
    h.user("alice").await;
    let c = h.web_client().await;
    (h, c)
}

/// A signed-in browser, a request and its code.
async fn code_for(h: &Harness, c: &TestClient, scope: &str) -> (AuthRequest, String) {
    let browser = h.signed_in("alice").await;
    let req = AuthRequest::new(&c.id).set("scope", scope);
    let code = h.code(&browser, &req).await;
    (req, code)
}

#[tokio::test]
async fn a_code_yields_an_id_token_and_an_access_token() {
    let (h, c) = setup().await;
    let browser = h.signed_in("alice").await;
    let signed_in_at = h.now();
    let session = h
        .provider
        .current_session(&h.t, &browser)
        .await
        .expect("store")
        .expect("session");
    h.advance(5);
    let req = AuthRequest::new(&c.id);
    let code = h.code(&browser, &req).await;
    let tokens = h.redeem(&c, &code, &req).await.expect("redeems");

    assert_eq!(tokens.token_type, "Bearer");
    assert_eq!(tokens.expires_in, 600);
    assert_eq!(tokens.scope, "email openid profile");
    assert!(
        tokens.refresh_token.is_none(),
        "no refresh token without offline_access"
    );

    let at_header = header(&tokens.access_token);
    assert_eq!(at_header["typ"], "at+jwt");
    assert_eq!(at_header["alg"], "ES256");
    let at = claims(&tokens.access_token);
    assert_eq!(at["iss"], ISSUER);
    assert_eq!(at["sub"], session.user.id.as_str());
    assert_eq!(at["client_id"], c.id.as_str());
    assert_eq!(at["aud"], ISSUER);
    assert_eq!(at["scope"], "email openid profile");
    assert_eq!(at["exp"], h.now() + 600);
    assert!(at["jti"].as_str().is_some_and(|j| !j.is_empty()));

    let id_token = tokens.id_token.expect("id token");
    assert_eq!(header(&id_token)["typ"], "JWT");
    assert_eq!(header(&id_token)["alg"], "RS256");
    assert!(
        h.verifies_with_jwks(&id_token).await,
        "signed by a published key"
    );
    let id = claims(&id_token);
    assert_eq!(id["iss"], ISSUER);
    assert_eq!(id["sub"], session.user.id.as_str());
    assert_eq!(id["aud"], c.id.as_str());
    assert_eq!(id["azp"], c.id.as_str());
    assert_eq!(id["nonce"], "n-1");
    assert_eq!(id["auth_time"], signed_in_at);
    assert_eq!(id["sid"], session.session.id.as_str());
    assert_eq!(id["acr"], "urn:sigil:acr:password");
    assert_eq!(id["amr"], json!(["pwd"]));
    let digest = Digest32::of(tokens.access_token.as_bytes());
    assert_eq!(id["at_hash"], b64url_encode(&digest.0[..16]));
    assert_eq!(id["preferred_username"], "alice");
    assert_eq!(id["email"], "alice@example.com");
    assert_eq!(id["email_verified"], true);

    let verified = h
        .provider
        .verify_access_token(&h.t, &tokens.access_token)
        .await
        .expect("verifies");
    assert_eq!(verified.auth_time, Some(signed_in_at));
}

#[tokio::test]
async fn id_tokens_use_the_clients_algorithm_and_its_at_hash() {
    let h = Harness::new().await;
    h.user("alice").await;
    let c = h
        .client(NewClient {
            id_token_signed_response_alg: Some("EdDSA".into()),
            ..web_client_spec()
        })
        .await;
    let (_, tokens) = h.tokens_for(&c, "alice", "openid").await;
    let id_token = tokens.id_token.expect("id token");
    assert_eq!(header(&id_token)["alg"], "EdDSA");
    assert!(h.verifies_with_jwks(&id_token).await);
    let sha512 =
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA512, tokens.access_token.as_bytes());
    assert_eq!(
        claims(&id_token)["at_hash"],
        b64url_encode(&sha512.as_ref()[..32])
    );
}

#[tokio::test]
async fn offline_access_adds_a_refresh_token_and_a_plain_oauth_grant_gets_one_too() {
    let (h, c) = setup().await;
    let (_, offline) = h.tokens_for(&c, "alice", "openid offline_access").await;
    assert!(offline.refresh_token.is_some());
    let (_, plain) = h.tokens_for(&c, "alice", "profile").await;
    assert!(
        plain.refresh_token.is_some(),
        "non-OpenID grants refresh by default"
    );
    assert!(plain.id_token.is_none(), "no ID token without openid");
}

#[tokio::test]
async fn a_code_works_once_and_its_replay_revokes_what_it_issued() {
    let (h, c) = setup().await;
    let (req, code) = code_for(&h, &c, "openid offline_access").await;
    let first = h.redeem(&c, &code, &req).await.expect("first redemption");
    assert!(h.is_active(&c, &first.access_token).await);

    let e = expect_err(h.redeem(&c, &code, &req).await, ErrorCode::InvalidGrant);
    assert!(e.description.contains("already used"), "{e}");

    assert!(
        !h.is_active(&c, &first.access_token).await,
        "the first access token is revoked"
    );
    let e = expect_err(
        h.provider
            .verify_access_token(&h.t, &first.access_token)
            .await,
        ErrorCode::InvalidToken,
    );
    assert!(e.description.contains("revoked"), "{e}");
    let refresh = first.refresh_token.expect("refresh token");
    expect_err(h.refresh(&c, &refresh).await, ErrorCode::InvalidGrant);
}

#[tokio::test]
async fn a_replayed_code_without_refresh_token_still_revokes_the_access_token() {
    let (h, c) = setup().await;
    let (req, code) = code_for(&h, &c, "openid").await;
    let first = h.redeem(&c, &code, &req).await.expect("first redemption");
    expect_err(h.redeem(&c, &code, &req).await, ErrorCode::InvalidGrant);
    assert!(!h.is_active(&c, &first.access_token).await);
}

#[tokio::test]
async fn another_client_cannot_redeem_nor_burn_a_code() {
    let (h, c) = setup().await;
    let other = h.web_client().await;
    let (req, code) = code_for(&h, &c, "openid").await;
    let e = expect_err(h.redeem(&other, &code, &req).await, ErrorCode::InvalidGrant);
    assert!(e.description.contains("another client"), "{e}");

    let tokens = h
        .redeem(&c, &code, &req)
        .await
        .expect("the rightful client still redeems");
    expect_err(h.redeem(&other, &code, &req).await, ErrorCode::InvalidGrant);
    assert!(
        h.is_active(&c, &tokens.access_token).await,
        "another client's replay revokes nothing"
    );
}

#[tokio::test]
async fn the_redirect_uri_must_repeat_the_authorization_requests() {
    let (h, c) = setup().await;
    let (req, code) = code_for(&h, &c, "openid").await;
    let verifier = req.verifier.clone().expect("verifier");
    let base = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("code_verifier", verifier.as_str()),
    ];

    let mut wrong = base.to_vec();
    wrong.push(("redirect_uri", "https://app.example/other"));
    let e = expect_err(h.token(&c, &wrong).await, ErrorCode::InvalidGrant);
    assert!(e.description.contains("redirect_uri"), "{e}");

    let e = expect_err(h.token(&c, &base).await, ErrorCode::InvalidRequest);
    assert!(e.description.contains("redirect_uri is required"), "{e}");

    h.redeem(&c, &code, &req)
        .await
        .expect("the right redirect_uri works");
}

/// A code redemption at the registered redirect URI, with `verifier` if given.
fn code_pairs<'a>(code: &'a str, verifier: Option<&'a str>) -> Vec<(&'a str, &'a str)> {
    let mut p = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
    ];
    p.extend(verifier.map(|v| ("code_verifier", v)));
    p
}

#[tokio::test]
async fn the_pkce_verifier_must_match_the_challenge() {
    let (h, c) = setup().await;
    let (req, code) = code_for(&h, &c, "openid").await;
    let wrong = pkce_pair().0;
    let e = expect_err(
        h.token(&c, &code_pairs(&code, Some(&wrong))).await,
        ErrorCode::InvalidGrant,
    );
    assert!(e.description.contains("does not match"), "{e}");
    let e = expect_err(
        h.token(&c, &code_pairs(&code, Some("short"))).await,
        ErrorCode::InvalidGrant,
    );
    assert!(e.description.contains("malformed"), "{e}");
    let e = expect_err(
        h.token(&c, &code_pairs(&code, None)).await,
        ErrorCode::InvalidGrant,
    );
    assert!(e.description.contains("code_verifier is required"), "{e}");
    h.redeem(&c, &code, &req)
        .await
        .expect("the right verifier works");
}

#[tokio::test]
async fn a_verifier_without_a_challenge_is_refused() {
    let h = Harness::new().await;
    h.user("alice").await;
    let c = h
        .client(NewClient {
            pkce_optional: true,
            ..web_client_spec()
        })
        .await;
    let browser = h.signed_in("alice").await;
    let req = AuthRequest::new(&c.id).without_pkce();
    let code = h.code(&browser, &req).await;
    let verifier = pkce_pair().0;
    let pairs = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    let e = expect_err(h.token(&c, &pairs).await, ErrorCode::InvalidGrant);
    assert!(e.description.contains("no code_challenge"), "{e}");
    h.redeem(&c, &code, &req)
        .await
        .expect("without a verifier it redeems");
}

#[tokio::test]
async fn a_code_expires_after_its_ttl() {
    let (h, c) = setup().await;
    let ttl = h.provider.config().tokens.code_ttl;
    let (req, code) = code_for(&h, &c, "openid").await;
    h.advance(ttl - 1);
    h.redeem(&c, &code, &req)
        .await
        .expect("still valid a second before expiry");

    let (req, code) = code_for(&h, &c, "openid").await;
    h.advance(ttl);
    let e = expect_err(h.redeem(&c, &code, &req).await, ErrorCode::InvalidGrant);
    assert!(e.description.contains("expired"), "{e}");
}

#[tokio::test]
async fn unknown_and_missing_codes_are_refused() {
    let (h, c) = setup().await;
    let req = AuthRequest::new(&c.id);
    expect_err(
        h.redeem(&c, "not-a-code", &req).await,
        ErrorCode::InvalidGrant,
    );
    let e = expect_err(
        h.token(&c, &[("grant_type", "authorization_code")]).await,
        ErrorCode::InvalidRequest,
    );
    assert!(e.description.contains("code"), "{e}");
}

#[tokio::test]
async fn a_disabled_user_gets_no_tokens() {
    let (h, c) = setup().await;
    let (req, code) = code_for(&h, &c, "openid").await;
    let alice = h
        .provider
        .store()
        .find_user_by_username(&h.t.id, "alice")
        .await
        .expect("store")
        .expect("alice");
    h.disable_user(&alice.id).await;
    let e = expect_err(h.redeem(&c, &code, &req).await, ErrorCode::InvalidGrant);
    assert!(e.description.contains("no longer active"), "{e}");
}

#[tokio::test]
async fn a_deleted_user_gets_no_tokens() {
    let (h, c) = setup().await;
    let (req, code) = code_for(&h, &c, "openid").await;
    let alice = h
        .provider
        .store()
        .find_user_by_username(&h.t.id, "alice")
        .await
        .expect("store")
        .expect("alice");
    h.delete_user(&alice.id).await;
    expect_err(h.redeem(&c, &code, &req).await, ErrorCode::InvalidGrant);
}

#[tokio::test]
async fn grant_types_are_checked_before_anything_else() {
    let (h, c) = setup().await;
    let e = expect_err(
        h.token(&c, &[("grant_type", "password")]).await,
        ErrorCode::UnsupportedGrantType,
    );
    assert!(e.description.contains("grant_type"), "{e}");
    expect_err(
        h.token(&c, &[("grant_type", "client_credentials")]).await,
        ErrorCode::UnauthorizedClient,
    );
    expect_err(
        h.token(&c, &[("code", "x")]).await,
        ErrorCode::InvalidRequest,
    );
}
