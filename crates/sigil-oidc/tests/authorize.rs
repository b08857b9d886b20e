//! Authorization request checks, one at a time: which failures show an error page (the
//! client or redirect URI cannot be trusted) and which go back to the client as an error
//! redirect carrying `state` and `iss`.

mod support;

use sigil_oidc::admin::NewClient;
use sigil_oidc::{ErrorCode, InteractionStep};
use support::*;

/// A harness and its web client.
async fn setup() -> (Harness, TestClient) {
    let h = Harness::new().await;
    let c = h.web_client().await;
    (h, c)
}

#[tokio::test]
async fn a_valid_request_without_a_session_goes_to_sign_in() {
    let (h, c) = setup().await;
    let browser = h.browser();
    let id = expect_interaction(h.authorize(&browser, &AuthRequest::new(&c.id)).await);
    let step = h.interaction(&browser, &id).await;
    assert!(
        matches!(
            step,
            InteractionStep::Login {
                reauthenticate: false,
                ..
            }
        ),
        "{step:?}"
    );
}

#[tokio::test]
async fn missing_client_id_shows_an_error_page() {
    let (h, c) = setup().await;
    let e = expect_error_page(
        h.authorize(&h.browser(), &AuthRequest::new(&c.id).without("client_id"))
            .await,
    );
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    assert!(e.description.contains("client_id"), "{e}");
}

#[tokio::test]
async fn unknown_client_id_shows_an_error_page() {
    let (h, _) = setup().await;
    let e = expect_error_page(
        h.authorize(&h.browser(), &AuthRequest::new("no-such-client"))
            .await,
    );
    assert_eq!(e.code, ErrorCode::InvalidClient);
}

#[tokio::test]
async fn missing_response_type_is_an_invalid_request_redirect() {
    let (h, c) = setup().await;
    let q = expect_error_redirect(
        h.authorize(
            &h.browser(),
            &AuthRequest::new(&c.id).without("response_type"),
        )
        .await,
        ErrorCode::InvalidRequest,
    );
    assert!(q["error_description"].contains("response_type"), "{q:?}");
}

#[tokio::test]
async fn other_response_types_are_unsupported() {
    let (h, c) = setup().await;
    for rt in ["token", "id_token", "code id_token", "code token"] {
        let req = AuthRequest::new(&c.id).set("response_type", rt);
        expect_error_redirect(
            h.authorize(&h.browser(), &req).await,
            ErrorCode::UnsupportedResponseType,
        );
    }
}

#[tokio::test]
async fn only_the_query_response_mode_is_accepted() {
    let (h, c) = setup().await;
    for mode in ["fragment", "form_post"] {
        let req = AuthRequest::new(&c.id).set("response_mode", mode);
        let q = expect_error_redirect(
            h.authorize(&h.browser(), &req).await,
            ErrorCode::InvalidRequest,
        );
        assert!(q["error_description"].contains("response_mode"), "{q:?}");
    }
    let req = AuthRequest::new(&c.id).set("response_mode", "query");
    expect_interaction(h.authorize(&h.browser(), &req).await);
}

#[tokio::test]
async fn a_scope_the_client_may_not_ask_for_is_invalid_scope() {
    let (h, c) = setup().await;
    let req = AuthRequest::new(&c.id).set("scope", "openid admin");
    let q = expect_error_redirect(
        h.authorize(&h.browser(), &req).await,
        ErrorCode::InvalidScope,
    );
    assert!(q["error_description"].contains("admin"), "{q:?}");
}

#[tokio::test]
async fn pkce_plain_is_refused() {
    let (h, c) = setup().await;
    let req = AuthRequest::new(&c.id)
        .set("code_challenge", &"a".repeat(43))
        .set("code_challenge_method", "plain");
    let q = expect_error_redirect(
        h.authorize(&h.browser(), &req).await,
        ErrorCode::InvalidRequest,
    );
    assert!(q["error_description"].contains("plain"), "{q:?}");
}

#[tokio::test]
async fn pkce_is_required_of_clients_that_need_it() {
    let (h, c) = setup().await;
    let q = expect_error_redirect(
        h.authorize(&h.browser(), &AuthRequest::new(&c.id).without_pkce())
            .await,
        ErrorCode::InvalidRequest,
    );
    assert!(q["error_description"].contains("PKCE is required"), "{q:?}");

    let public = h
        .client(NewClient {
            public: true,
            ..web_client_spec()
        })
        .await;
    expect_error_redirect(
        h.authorize(&h.browser(), &AuthRequest::new(&public.id).without_pkce())
            .await,
        ErrorCode::InvalidRequest,
    );

    let optional = h
        .client(NewClient {
            pkce_optional: true,
            ..web_client_spec()
        })
        .await;
    expect_interaction(
        h.authorize(&h.browser(), &AuthRequest::new(&optional.id).without_pkce())
            .await,
    );
}

#[tokio::test]
async fn malformed_pkce_challenges_are_refused() {
    let (h, c) = setup().await;
    let too_short = "abc".to_owned();
    let too_long = "a".repeat(44);
    let bad_chars = format!("{}+", "a".repeat(42));
    for challenge in [too_short, too_long, bad_chars] {
        let req = AuthRequest::new(&c.id).set("code_challenge", &challenge);
        let q = expect_error_redirect(
            h.authorize(&h.browser(), &req).await,
            ErrorCode::InvalidRequest,
        );
        assert!(
            q["error_description"].contains("code_challenge"),
            "{challenge}: {q:?}"
        );
    }
    let unknown_method = AuthRequest::new(&c.id).set("code_challenge_method", "S512");
    expect_error_redirect(
        h.authorize(&h.browser(), &unknown_method).await,
        ErrorCode::InvalidRequest,
    );
}

#[tokio::test]
async fn a_pkce_method_without_a_challenge_is_refused() {
    let (h, c) = setup().await;
    let req = AuthRequest::new(&c.id).without("code_challenge");
    let q = expect_error_redirect(
        h.authorize(&h.browser(), &req).await,
        ErrorCode::InvalidRequest,
    );
    assert!(
        q["error_description"].contains("code_challenge_method without code_challenge"),
        "{q:?}"
    );

    let challenge_without_method = AuthRequest::new(&c.id).without("code_challenge_method");
    expect_error_redirect(
        h.authorize(&h.browser(), &challenge_without_method).await,
        ErrorCode::InvalidRequest,
    );
}

#[tokio::test]
async fn prompt_none_cannot_be_combined() {
    let (h, c) = setup().await;
    for prompt in ["none login", "consent none", "none select_account"] {
        let req = AuthRequest::new(&c.id).set("prompt", prompt);
        let q = expect_error_redirect(
            h.authorize(&h.browser(), &req).await,
            ErrorCode::InvalidRequest,
        );
        assert!(
            q["error_description"].contains("prompt=none"),
            "{prompt}: {q:?}"
        );
    }
}

#[tokio::test]
async fn unknown_prompt_values_are_refused_and_known_ones_accepted() {
    let (h, c) = setup().await;
    let req = AuthRequest::new(&c.id).set("prompt", "login bogus");
    let q = expect_error_redirect(
        h.authorize(&h.browser(), &req).await,
        ErrorCode::InvalidRequest,
    );
    assert!(q["error_description"].contains("prompt"), "{q:?}");
    for ok in ["login", "consent", "select_account", "login consent"] {
        let req = AuthRequest::new(&c.id).set("prompt", ok);
        expect_interaction(h.authorize(&h.browser(), &req).await);
    }
}

#[tokio::test]
async fn max_age_must_be_a_non_negative_integer() {
    let (h, c) = setup().await;
    for bad in ["abc", "-1", "1.5", "99999999999999999999"] {
        let req = AuthRequest::new(&c.id).set("max_age", bad);
        let q = expect_error_redirect(
            h.authorize(&h.browser(), &req).await,
            ErrorCode::InvalidRequest,
        );
        assert!(q["error_description"].contains("max_age"), "{bad}: {q:?}");
    }
    expect_interaction(
        h.authorize(&h.browser(), &AuthRequest::new(&c.id).set("max_age", "0"))
            .await,
    );
}

#[tokio::test]
async fn request_objects_are_not_supported() {
    let (h, c) = setup().await;
    let req = AuthRequest::new(&c.id).set("request", "eyJhbGciOiJub25lIn0.e30.");
    expect_error_redirect(
        h.authorize(&h.browser(), &req).await,
        ErrorCode::RequestNotSupported,
    );
    let req = AuthRequest::new(&c.id).set("request_uri", "https://app.example/req.jwt");
    expect_error_redirect(
        h.authorize(&h.browser(), &req).await,
        ErrorCode::RequestUriNotSupported,
    );
    let req = AuthRequest::new(&c.id).set("registration", "{}");
    expect_error_redirect(
        h.authorize(&h.browser(), &req).await,
        ErrorCode::RegistrationNotSupported,
    );
}

#[tokio::test]
async fn a_resource_the_client_may_not_use_is_invalid_target() {
    let h = Harness::new().await;
    let c = h
        .client(NewClient {
            resources: vec!["https://api.example".into()],
            ..web_client_spec()
        })
        .await;
    for bad in [
        "https://other.example",
        "https://api.example/",
        "not a uri",
        "https://api.example#frag",
    ] {
        let req = AuthRequest::new(&c.id).set("resource", bad);
        expect_error_redirect(
            h.authorize(&h.browser(), &req).await,
            ErrorCode::InvalidTarget,
        );
    }
    let req = AuthRequest::new(&c.id).set("resource", "https://api.example");
    expect_interaction(h.authorize(&h.browser(), &req).await);
}

#[tokio::test]
async fn a_client_without_the_code_grant_is_unauthorized() {
    let h = Harness::new().await;
    let c = h
        .client(NewClient {
            grant_types: vec!["client_credentials".into()],
            ..web_client_spec()
        })
        .await;
    let q = expect_error_redirect(
        h.authorize(&h.browser(), &AuthRequest::new(&c.id)).await,
        ErrorCode::UnauthorizedClient,
    );
    assert!(
        q["error_description"].contains("authorization code"),
        "{q:?}"
    );
}
