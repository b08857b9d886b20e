//! Signing key life cycle: one key per algorithm from the start, and rotation that publishes
//! the new key before it signs and keeps the old key published for the longest JWT lifetime.

mod support;

use std::time::Duration;

use sigil_core::model::SigningAlg;
use sigil_oidc::Params;
use sigil_oidc::keys::KeySummary;
use support::*;

const CC: (&str, &str) = ("grant_type", "client_credentials");

async fn access_token(h: &Harness, c: &TestClient) -> String {
    h.token(c, &[CC]).await.expect("issues").access_token
}

fn kid(token: &str) -> String {
    header(token)["kid"].as_str().expect("kid").to_owned()
}

async fn key(h: &Harness, kid: &str) -> KeySummary {
    let keys = h.provider.list_keys(&h.t.id).await.expect("keys");
    keys.into_iter().find(|k| k.kid == kid).expect("listed")
}

#[tokio::test]
async fn a_tenant_starts_with_one_public_key_per_algorithm() {
    let h = Harness::new().await;
    let jwks = h.provider.jwks(&h.t.id).await.expect("jwks");
    let keys = jwks["keys"].as_array().expect("keys");
    let mut algs: Vec<&str> = keys
        .iter()
        .map(|k| k["alg"].as_str().expect("alg"))
        .collect();
    algs.sort_unstable();
    assert_eq!(algs, ["ES256", "EdDSA", "RS256"]);
    for k in keys {
        assert_eq!(k["use"], "sig");
        assert!(k["kid"].as_str().is_some_and(|kid| !kid.is_empty()));
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(
                k.get(private).is_none(),
                "no private member {private} in {k}"
            );
        }
    }
}

#[tokio::test]
async fn a_rotated_key_is_published_before_it_signs_and_the_old_one_lingers() {
    let h = Harness::new().await;
    let c = h.service_client(&["api:read"], &[]).await;
    let before = access_token(&h, &c).await;
    let old = kid(&before);
    let propagation = h.provider.config().keys.propagation_delay;
    let linger = h.provider.config().tokens.max_jwt_lifetime().as_secs();
    let start = h.now();

    let changed = h
        .provider
        .rotate_keys(&h.t.id, &[SigningAlg::ES256], None, "test")
        .await
        .expect("rotates");
    let new = changed
        .iter()
        .find(|k| k.kid != old)
        .expect("a new key")
        .kid
        .clone();
    assert_eq!(key(&h, &new).await.state, "pending");
    let retiring = key(&h, &old).await;
    assert_eq!(retiring.state, "active");
    assert_eq!(retiring.retires_at, Some(start + propagation as i64));
    assert_eq!(
        retiring.publish_until,
        Some(start + (propagation + linger) as i64)
    );

    let kids = h.published_kids().await;
    assert!(
        kids.contains(&new) && kids.contains(&old),
        "both published: {kids:?}"
    );
    assert_eq!(
        kid(&access_token(&h, &c).await),
        old,
        "the new key does not sign yet"
    );
    h.advance(propagation - 1);
    assert_eq!(kid(&access_token(&h, &c).await), old);

    h.advance(1);
    let after = access_token(&h, &c).await;
    assert_eq!(kid(&after), new, "the new key signs once propagated");
    assert_eq!(key(&h, &old).await.state, "retired");
    h.provider
        .verify_access_token(&h.t, &after)
        .await
        .expect("new tokens verify");
    assert!(
        h.verifies_with_jwks(&before).await,
        "old tokens still verify against the JWKS"
    );

    h.advance(linger - 1);
    assert!(
        h.published_kids().await.contains(&old),
        "published for the longest JWT lifetime"
    );
    h.advance(1);
    assert!(
        !h.published_kids().await.contains(&old),
        "then it leaves the JWKS"
    );
    assert!(!h.verifies_with_jwks(&before).await);
    assert_eq!(key(&h, &old).await.state, "expired");
    assert_eq!(h.published_kids().await.len(), 3);
}

#[tokio::test]
async fn rotating_one_algorithm_leaves_the_others_alone() {
    let h = Harness::new().await;
    h.provider.ensure_keys(&h.t.id).await.expect("first keys");
    let before = h.provider.list_keys(&h.t.id).await.expect("keys");
    assert_eq!(before.len(), 3);
    h.provider
        .rotate_keys(&h.t.id, &[SigningAlg::ES256], Some(Duration::ZERO), "test")
        .await
        .expect("rotates");
    let after = h.provider.list_keys(&h.t.id).await.expect("keys");
    for k in before.iter().filter(|k| k.alg != "ES256") {
        let now = after.iter().find(|a| a.kid == k.kid).expect("still listed");
        assert_eq!(
            (now.state, now.retires_at),
            ("active", None),
            "{} untouched",
            k.alg
        );
    }
    assert_eq!(after.iter().filter(|k| k.alg == "ES256").count(), 2);
    assert_eq!(
        after
            .iter()
            .filter(|k| k.alg == "ES256" && k.state == "active")
            .count(),
        1
    );
}

#[tokio::test]
async fn an_immediate_rotation_of_every_algorithm_signs_with_the_new_keys_at_once() {
    let h = Harness::new().await;
    h.user("alice").await;
    let c = h.web_client().await;
    let (_, old_tokens) = h.tokens_for(&c, "alice", "openid").await;
    let changed = h
        .provider
        .rotate_keys(&h.t.id, &[], Some(Duration::ZERO), "test")
        .await
        .expect("rotates");
    assert_eq!(
        changed.iter().filter(|k| k.state == "active").count(),
        3,
        "three new keys sign now"
    );
    let (_, new_tokens) = h.tokens_for(&c, "alice", "openid").await;
    assert_ne!(kid(&new_tokens.access_token), kid(&old_tokens.access_token));
    let (old_id, new_id) = (
        old_tokens.id_token.expect("id"),
        new_tokens.id_token.expect("id"),
    );
    assert_ne!(kid(&new_id), kid(&old_id));
    assert!(h.verifies_with_jwks(&old_id).await && h.verifies_with_jwks(&new_id).await);
    h.provider
        .verify_access_token(&h.t, &old_tokens.access_token)
        .await
        .expect("old access tokens stay valid");
}

#[tokio::test]
async fn an_id_token_of_an_unpublished_key_is_no_longer_a_valid_hint() {
    let h = Harness::new().await;
    h.user("alice").await;
    let c = h.web_client().await;
    let (_, tokens) = h.tokens_for(&c, "alice", "openid").await;
    let hint = tokens.id_token.expect("id token");
    let params = Params::from_pairs([("id_token_hint", hint.as_str())]);
    h.provider
        .logout_request(&h.t, &params, None)
        .await
        .expect("valid while its key is published");

    h.provider
        .rotate_keys(&h.t.id, &[SigningAlg::RS256], Some(Duration::ZERO), "test")
        .await
        .expect("rotates");
    h.advance(h.provider.config().tokens.max_jwt_lifetime().as_secs());
    let e = h
        .provider
        .logout_request(&h.t, &params, None)
        .await
        .expect_err("key gone");
    assert!(e.description.contains("id_token_hint"), "{e}");
}
