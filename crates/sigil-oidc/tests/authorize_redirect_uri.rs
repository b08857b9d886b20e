//! The redirect URI of an authorization request: exact matching (one exception: any port on
//! a loopback IP for native clients), an error page rather than a redirect when it does not
//! match, and when it may be omitted.

mod support;

use sigil_oidc::ErrorCode;
use sigil_oidc::admin::NewClient;
use support::*;

async fn setup() -> (Harness, TestClient) {
    let h = Harness::new().await;
    let c = h.web_client().await;
    (h, c)
}

#[tokio::test]
async fn unregistered_redirect_uri_shows_an_error_page() {
    let (h, c) = setup().await;
    let req = AuthRequest::new(&c.id).set("redirect_uri", "https://evil.example/cb");
    let e = expect_error_page(h.authorize(&h.browser(), &req).await);
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    assert!(e.description.contains("redirect_uri"), "{e}");
}

#[tokio::test]
async fn near_miss_redirect_uris_show_an_error_page() {
    let (h, c) = setup().await;
    for near in [
        "https://app.example/cb/",
        "https://app.example/cb?x=1",
        "https://APP.example/cb",
        "http://app.example/cb",
        "https://app.example:443/cb",
        "https://app.example/cb/../cb",
        "https://app.example/CB",
        "https://app.example.evil.example/cb",
    ] {
        let req = AuthRequest::new(&c.id).set("redirect_uri", near);
        let e = expect_error_page(h.authorize(&h.browser(), &req).await);
        assert_eq!(e.code, ErrorCode::InvalidRequest, "{near}");
    }
}

#[tokio::test]
async fn redirect_uri_may_be_omitted_only_for_a_sole_uri_outside_openid() {
    let h = Harness::new().await;
    let sole = h
        .client(NewClient {
            first_party: true,
            ..web_client_spec()
        })
        .await;
    h.user("alice").await;
    let browser = h.signed_in("alice").await;

    let plain_oauth = AuthRequest::new(&sole.id)
        .without("redirect_uri")
        .set("scope", "profile");
    let url = expect_redirect(h.authorize(&browser, &plain_oauth).await);
    assert!(url.starts_with(REDIRECT), "{url}");
    let code = query(&url)["code"].clone();
    let verifier = plain_oauth.verifier.clone().expect("verifier");
    let pairs = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("code_verifier", &verifier),
    ];
    h.token(&sole, &pairs)
        .await
        .expect("no redirect_uri needed at the token endpoint either");

    let oidc = AuthRequest::new(&sole.id).without("redirect_uri");
    let e = expect_error_page(h.authorize(&browser, &oidc).await);
    assert!(e.description.contains("redirect_uri is required"), "{e}");

    let two = h
        .client(NewClient {
            redirect_uris: vec![REDIRECT.into(), "https://app.example/cb2".into()],
            ..web_client_spec()
        })
        .await;
    let req = AuthRequest::new(&two.id)
        .without("redirect_uri")
        .set("scope", "profile");
    expect_error_page(h.authorize(&browser, &req).await);
}

#[tokio::test]
async fn redirect_errors_keep_the_redirect_uris_own_query() {
    let h = Harness::new().await;
    let with_query = "https://app.example/cb?tenant=7";
    let c = h
        .client(NewClient {
            redirect_uris: vec![with_query.into()],
            ..web_client_spec()
        })
        .await;
    let req = AuthRequest::new(&c.id)
        .set("redirect_uri", with_query)
        .set("scope", "openid nope");
    let url = expect_redirect(h.authorize(&h.browser(), &req).await);
    let q = query(&url);
    assert_eq!(q["tenant"], "7");
    assert_eq!(q["error"], "invalid_scope");
    assert_eq!(q["iss"], ISSUER);
}

#[tokio::test]
async fn native_clients_may_use_any_port_on_a_loopback_ip_redirect_uri() {
    let h = Harness::new().await;
    let loopback = "http://127.0.0.1/callback";
    let native = h
        .client(NewClient {
            public: true,
            redirect_uris: vec![loopback.into()],
            ..web_client_spec()
        })
        .await;
    let req = AuthRequest::new(&native.id).set("redirect_uri", "http://127.0.0.1:51234/callback");
    expect_interaction(h.authorize(&h.browser(), &req).await);
    for other in [
        "http://127.0.0.1:51234/other",
        "http://localhost:51234/callback",
        "https://127.0.0.1:51234/callback",
    ] {
        let req = AuthRequest::new(&native.id).set("redirect_uri", other);
        expect_error_page(h.authorize(&h.browser(), &req).await);
    }

    let confidential = h
        .client(NewClient {
            redirect_uris: vec![loopback.into()],
            ..web_client_spec()
        })
        .await;
    let req =
        AuthRequest::new(&confidential.id).set("redirect_uri", "http://127.0.0.1:51234/callback");
    expect_error_page(h.authorize(&h.browser(), &req).await);
}
