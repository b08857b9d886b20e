//! `grant_type=client_credentials`: a confidential client's token for itself, never with
//! user scopes; its audience from the registered resources.

mod support;

use sigil_oidc::ErrorCode;
use sigil_oidc::admin::NewClient;
use support::*;

const CC: (&str, &str) = ("grant_type", "client_credentials");

#[tokio::test]
async fn default_scopes_are_the_clients_own_without_user_scopes() {
    let h = Harness::new().await;
    let c = h
        .service_client(
            &[
                "openid",
                "profile",
                "email",
                "offline_access",
                "api:read",
                "api:write",
            ],
            &[],
        )
        .await;
    let tokens = h.token(&c, &[CC]).await.expect("issues");
    assert_eq!(tokens.scope, "api:read api:write");
    assert!(tokens.refresh_token.is_none());
    assert!(tokens.id_token.is_none());
    assert_eq!(header(&tokens.access_token)["typ"], "at+jwt");
    let at = claims(&tokens.access_token);
    assert_eq!(at["sub"], c.id.as_str(), "the client is the subject");
    assert_eq!(at["client_id"], c.id.as_str());
    assert_eq!(at["aud"], ISSUER, "no resources registered: the issuer");
    assert!(at.get("auth_time").is_none(), "no user authenticated");
    let verified = h
        .provider
        .verify_access_token(&h.t, &tokens.access_token)
        .await
        .expect("verifies");
    assert!(!verified.is_user_token());
}

#[tokio::test]
async fn a_subset_may_be_asked_for() {
    let h = Harness::new().await;
    let c = h.service_client(&["api:read", "api:write"], &[]).await;
    let tokens = h
        .token(&c, &[CC, ("scope", "api:read")])
        .await
        .expect("issues");
    assert_eq!(tokens.scope, "api:read");
}

#[tokio::test]
async fn user_scopes_and_unregistered_scopes_are_invalid_scope() {
    let h = Harness::new().await;
    let c = h
        .service_client(&["openid", "profile", "offline_access", "api:read"], &[])
        .await;
    for asked in [
        "openid",
        "api:read openid",
        "profile",
        "offline_access",
        "api:admin",
    ] {
        expect_err(
            h.token(&c, &[CC, ("scope", asked)]).await,
            ErrorCode::InvalidScope,
        );
    }
}

#[tokio::test]
async fn audience_is_the_first_resource_or_the_one_asked_for_among_the_registered() {
    let h = Harness::new().await;
    let c = h
        .service_client(
            &["api:read"],
            &["https://api.example", "https://billing.example"],
        )
        .await;
    let default = h.token(&c, &[CC]).await.expect("issues");
    assert_eq!(claims(&default.access_token)["aud"], "https://api.example");
    let asked = h
        .token(&c, &[CC, ("resource", "https://billing.example")])
        .await
        .expect("issues");
    assert_eq!(
        claims(&asked.access_token)["aud"],
        "https://billing.example"
    );
    let e = expect_err(
        h.token(&c, &[CC, ("resource", "https://other.example")])
            .await,
        ErrorCode::InvalidTarget,
    );
    assert!(e.description.contains("resource"), "{e}");
}

#[tokio::test]
async fn public_clients_and_clients_without_the_grant_are_unauthorized() {
    let h = Harness::new().await;
    let public = h
        .client(NewClient {
            public: true,
            ..web_client_spec()
        })
        .await;
    let pairs = [CC, ("client_id", public.id.as_str())];
    expect_err(
        h.token_with(None, &pairs).await,
        ErrorCode::UnauthorizedClient,
    );

    let refused = h
        .provider
        .create_client(
            &h.t.id,
            NewClient {
                public: true,
                grant_types: vec!["client_credentials".into()],
                ..NewClient::default()
            },
            "test",
        )
        .await;
    assert!(
        refused.is_err(),
        "a public client cannot even register for client_credentials"
    );

    let web = h.web_client().await;
    expect_err(h.token(&web, &[CC]).await, ErrorCode::UnauthorizedClient);
}

#[tokio::test]
async fn client_credentials_tokens_introspect_without_a_username() {
    let h = Harness::new().await;
    let c = h.service_client(&["api:read"], &[]).await;
    let tokens = h.token(&c, &[CC]).await.expect("issues");
    let body = h.introspect(&c, &tokens.access_token).await;
    assert_eq!(body["active"], true);
    assert_eq!(body["client_id"], c.id.as_str());
    assert!(body.get("username").is_none());
}
