//! Client authentication at the token endpoint: secrets over Basic and in the body, exactly
//! one method and the registered one, and `private_key_jwt` assertions (RFC 7523) with every
//! claim check.

mod support;

use serde_json::{Value, json};
use sigil_keys::SigningKey;
use sigil_oidc::admin::NewClient;
use sigil_oidc::{AuthorizeOutcome, ErrorCode, InteractionStep};
use support::*;

const CC: (&str, &str) = ("grant_type", "client_credentials");
const JWKS_URI: &str = "https://client.example/jwks.json";

async fn secret_client(h: &Harness, method: &str) -> TestClient {
    h.client(NewClient {
        name: "svc".into(),
        scopes: vec!["api:read".into()],
        token_endpoint_auth_method: Some(method.into()),
        ..NewClient::default()
    })
    .await
}

/// A `private_key_jwt` client with its inline JWKS, and its key.
async fn jwt_client(h: &Harness) -> (TestClient, SigningKey) {
    let (key, jwks) = client_key();
    let c = h
        .client(NewClient {
            name: "jwt".into(),
            scopes: vec!["api:read".into()],
            jwks: Some(jwks),
            ..NewClient::default()
        })
        .await;
    (c, key)
}

/// A client-credentials request authenticated by `assertion`.
async fn with_assertion(
    h: &Harness,
    assertion: &str,
) -> Result<sigil_oidc::grants::mint::TokenResponse, sigil_oidc::OAuthError> {
    let [a, b] = assertion_pairs(assertion);
    h.token_with(None, &[CC, (a.0, &a.1), (b.0, &b.1)]).await
}

/// The assertion check that refuses `claims` (signed by `key`, typ `JWT`).
async fn refused(h: &Harness, key: &SigningKey, claims: &Value) -> String {
    let e = expect_err(
        with_assertion(h, &sign_assertion(key, "JWT", claims)).await,
        ErrorCode::InvalidClient,
    );
    e.description.into_owned()
}

#[tokio::test]
async fn secrets_work_over_basic_and_in_the_body_for_their_registered_method() {
    let h = Harness::new().await;
    let basic_client = secret_client(&h, "client_secret_basic").await;
    h.token(&basic_client, &[CC]).await.expect("basic works");

    let post_client = secret_client(&h, "client_secret_post").await;
    let secret = post_client.secret.clone().expect("secret");
    let body = [
        CC,
        ("client_id", post_client.id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    h.token_with(None, &body).await.expect("post works");
}

#[tokio::test]
async fn a_wrong_secret_or_unknown_client_is_invalid_client_with_a_basic_challenge() {
    let h = Harness::new().await;
    let c = secret_client(&h, "client_secret_basic").await;
    let e = expect_err(
        h.token_with(Some(&basic(&c.id, "wrong")), &[CC]).await,
        ErrorCode::InvalidClient,
    );
    assert!(
        e.basic_challenge,
        "a 401 answering Basic carries a Basic challenge"
    );
    let e = expect_err(
        h.token_with(Some(&basic("nobody", "x")), &[CC]).await,
        ErrorCode::InvalidClient,
    );
    assert!(e.basic_challenge);
    expect_err(
        h.token_with(Some("Basic !!!"), &[CC]).await,
        ErrorCode::InvalidClient,
    );
    let e = expect_err(h.token_with(None, &[CC]).await, ErrorCode::InvalidClient);
    assert!(e.description.contains("required"), "{e}");
}

#[tokio::test]
async fn a_method_other_than_the_registered_one_is_refused() {
    let h = Harness::new().await;
    let basic_client = secret_client(&h, "client_secret_basic").await;
    let secret = basic_client.secret.clone().expect("secret");
    let body = [
        CC,
        ("client_id", basic_client.id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    expect_err(h.token_with(None, &body).await, ErrorCode::InvalidClient);
    expect_err(
        h.token_with(None, &[CC, ("client_id", basic_client.id.as_str())])
            .await,
        ErrorCode::InvalidClient,
    );

    let post_client = secret_client(&h, "client_secret_post").await;
    expect_err(h.token(&post_client, &[CC]).await, ErrorCode::InvalidClient);

    let (jwt, _) = jwt_client(&h).await;
    expect_err(
        h.token_with(Some(&basic(&jwt.id, "guess")), &[CC]).await,
        ErrorCode::InvalidClient,
    );
}

#[tokio::test]
async fn two_methods_at_once_are_an_invalid_request() {
    let h = Harness::new().await;
    let c = secret_client(&h, "client_secret_basic").await;
    let secret = c.secret.clone().expect("secret");
    let both = [
        CC,
        ("client_id", c.id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let e = expect_err(
        h.token_with(Some(&c.basic()), &both).await,
        ErrorCode::InvalidRequest,
    );
    assert!(e.description.contains("more than one"), "{e}");

    let other_id = [CC, ("client_id", "someone-else")];
    let e = expect_err(
        h.token_with(Some(&c.basic()), &other_id).await,
        ErrorCode::InvalidRequest,
    );
    assert!(e.description.contains("client_id"), "{e}");
}

#[tokio::test]
async fn private_key_jwt_with_an_inline_jwks() {
    let h = Harness::new().await;
    let (c, key) = jwt_client(&h).await;
    let tokens = with_assertion(&h, &sign_assertion(&key, "JWT", &h.assertion_claims(&c.id)))
        .await
        .expect("authenticates");
    assert_eq!(claims(&tokens.access_token)["client_id"], c.id.as_str());

    let mut to_issuer = h.assertion_claims(&c.id);
    to_issuer["aud"] = json!([ISSUER, "https://elsewhere.example"]);
    with_assertion(
        &h,
        &sign_assertion(&key, "client-authentication+jwt", &to_issuer),
    )
    .await
    .expect("issuer as aud");
    assert_eq!(h.jwks.fetches(), 0);
}

#[tokio::test]
async fn private_key_jwt_via_jwks_uri_is_cached_and_refetched_for_a_new_kid() {
    let h = Harness::new().await;
    let (key, jwks) = client_key();
    h.jwks.serve(JWKS_URI, jwks);
    let c = h
        .client(NewClient {
            name: "jwt".into(),
            scopes: vec!["api:read".into()],
            jwks_uri: Some(JWKS_URI.into()),
            ..NewClient::default()
        })
        .await;
    with_assertion(&h, &sign_assertion(&key, "JWT", &h.assertion_claims(&c.id)))
        .await
        .expect("first");
    with_assertion(&h, &sign_assertion(&key, "JWT", &h.assertion_claims(&c.id)))
        .await
        .expect("second");
    assert_eq!(h.jwks.fetches(), 1, "the JWKS is cached");

    let (rotated, new_jwks) = client_key();
    h.jwks.serve(JWKS_URI, new_jwks);
    expect_err(
        with_assertion(
            &h,
            &sign_assertion(&rotated, "JWT", &h.assertion_claims(&c.id)),
        )
        .await,
        ErrorCode::InvalidClient,
    );
    assert_eq!(
        h.jwks.fetches(),
        1,
        "a miss within 30 s of the last fetch does not fetch again"
    );
    h.clock.advance(std::time::Duration::from_secs(31));
    with_assertion(
        &h,
        &sign_assertion(&rotated, "JWT", &h.assertion_claims(&c.id)),
    )
    .await
    .expect("new key found");
    assert_eq!(
        h.jwks.fetches(),
        2,
        "the cached set misses the kid: one forced refetch"
    );
    let e = expect_err(
        with_assertion(&h, &sign_assertion(&key, "JWT", &h.assertion_claims(&c.id))).await,
        ErrorCode::InvalidClient,
    );
    assert!(
        e.description.contains("signature"),
        "the retired key no longer verifies: {e}"
    );
}

#[tokio::test]
async fn an_unreachable_jwks_uri_is_invalid_client() {
    let h = Harness::new().await;
    let (key, _) = client_key();
    let c = h
        .client(NewClient {
            name: "jwt".into(),
            scopes: vec!["api:read".into()],
            jwks_uri: Some(JWKS_URI.into()),
            ..NewClient::default()
        })
        .await;
    let e = expect_err(
        with_assertion(&h, &sign_assertion(&key, "JWT", &h.assertion_claims(&c.id))).await,
        ErrorCode::InvalidClient,
    );
    assert!(e.description.contains("jwks_uri"), "{e}");
}

#[tokio::test]
async fn an_assertion_for_another_audience_is_refused() {
    let h = Harness::new().await;
    let (c, key) = jwt_client(&h).await;
    let mut claims = h.assertion_claims(&c.id);
    claims["aud"] = json!("https://other-idp.example/token");
    assert!(refused(&h, &key, &claims).await.contains("aud"));
}

#[tokio::test]
async fn an_expired_assertion_is_refused() {
    let h = Harness::new().await;
    let (c, key) = jwt_client(&h).await;
    let mut claims = h.assertion_claims(&c.id);
    claims["exp"] = json!(h.now() - 120);
    assert!(refused(&h, &key, &claims).await.contains("expired"));
}

#[tokio::test]
async fn a_too_long_lived_assertion_is_refused() {
    let h = Harness::new().await;
    let (c, key) = jwt_client(&h).await;
    let mut claims = h.assertion_claims(&c.id);
    claims["exp"] = json!(h.now() + 3600);
    assert!(refused(&h, &key, &claims).await.contains("too long"));
}

#[tokio::test]
async fn a_not_yet_valid_assertion_is_refused() {
    let h = Harness::new().await;
    let (c, key) = jwt_client(&h).await;
    let mut claims = h.assertion_claims(&c.id);
    claims["nbf"] = json!(h.now() + 300);
    assert!(refused(&h, &key, &claims).await.contains("not yet valid"));
}

#[tokio::test]
async fn an_assertion_needs_a_jti() {
    let h = Harness::new().await;
    let (c, key) = jwt_client(&h).await;
    let mut claims = h.assertion_claims(&c.id);
    claims.as_object_mut().expect("object").remove("jti");
    assert!(
        refused(&h, &key, &claims)
            .await
            .contains("client_assertion")
    );
    claims["jti"] = json!("");
    assert!(refused(&h, &key, &claims).await.contains("jti"));
}

#[tokio::test]
async fn a_replayed_assertion_is_refused() {
    let h = Harness::new().await;
    let (c, key) = jwt_client(&h).await;
    let assertion = sign_assertion(&key, "JWT", &h.assertion_claims(&c.id));
    with_assertion(&h, &assertion).await.expect("first use");
    let e = expect_err(
        with_assertion(&h, &assertion).await,
        ErrorCode::InvalidClient,
    );
    assert!(e.description.contains("already used"), "{e}");
}

#[tokio::test]
async fn iss_and_sub_must_both_be_the_client() {
    let h = Harness::new().await;
    let (c, key) = jwt_client(&h).await;
    let mut claims = h.assertion_claims(&c.id);
    claims["iss"] = json!("someone-else");
    assert!(refused(&h, &key, &claims).await.contains("iss and sub"));
}

#[tokio::test]
async fn an_assertion_with_the_typ_of_another_token_is_refused() {
    let h = Harness::new().await;
    let (c, key) = jwt_client(&h).await;
    for typ in ["at+jwt", "application/at+jwt", "logout+jwt"] {
        let assertion = sign_assertion(&key, typ, &h.assertion_claims(&c.id));
        let e = expect_err(
            with_assertion(&h, &assertion).await,
            ErrorCode::InvalidClient,
        );
        assert!(e.description.contains("typ"), "{typ}: {e}");
    }
}

#[tokio::test]
async fn an_assertion_signed_by_an_unknown_key_is_refused() {
    let h = Harness::new().await;
    let (c, _) = jwt_client(&h).await;
    let (stranger, _) = client_key();
    let e = expect_err(
        with_assertion(
            &h,
            &sign_assertion(&stranger, "JWT", &h.assertion_claims(&c.id)),
        )
        .await,
        ErrorCode::InvalidClient,
    );
    assert!(e.description.contains("signature"), "{e}");
}

#[tokio::test]
async fn an_assertion_needs_the_jwt_bearer_type() {
    let h = Harness::new().await;
    let (c, key) = jwt_client(&h).await;
    let assertion = sign_assertion(&key, "JWT", &h.assertion_claims(&c.id));
    let pairs = [
        CC,
        ("client_assertion", assertion.as_str()),
        ("client_assertion_type", "urn:other"),
    ];
    expect_err(h.token_with(None, &pairs).await, ErrorCode::InvalidRequest);
}

#[tokio::test]
async fn a_disabled_client_can_neither_authenticate_nor_authorize() {
    let h = Harness::new().await;
    h.user("alice").await;
    let c = h.web_client().await;
    let browser = h.signed_in("alice").await;
    let id = expect_interaction(h.authorize(&browser, &AuthRequest::new(&c.id)).await);
    h.disable_client(&c.id).await;

    let e = expect_error_page(h.authorize(&browser, &AuthRequest::new(&c.id)).await);
    assert_eq!(e.code, ErrorCode::InvalidClient);
    assert!(matches!(
        h.consent(&browser, &id, true).await,
        InteractionStep::Done(AuthorizeOutcome::ErrorPage(_))
    ));
    expect_err(
        h.token(
            &c,
            &[("grant_type", "refresh_token"), ("refresh_token", "x")],
        )
        .await,
        ErrorCode::InvalidClient,
    );
}
