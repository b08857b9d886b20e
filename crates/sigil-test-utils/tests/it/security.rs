//! The attacks of SECURITY.md that the hosted pages and endpoints must defeat.

use std::time::{Duration, Instant};

use sigil_test_utils::browser::query_param;
use sigil_test_utils::{PASSWORD, TestApp, pkce};

use crate::code_flow::authorize_url;

fn header<'a>(page: &'a sigil_test_utils::browser::Page, name: &str) -> &'a str {
    page.headers
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_default()
}

#[tokio::test]
async fn pages_carry_strict_headers() {
    let app = TestApp::spawn().await;
    let page = app.browser().get("/login").await;
    assert_eq!(page.status, 200);
    let csp = header(&page, "content-security-policy");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("script-src"),
        "no script may run: {csp}"
    );
    assert_eq!(header(&page, "x-frame-options"), "DENY");
    assert_eq!(header(&page, "cache-control"), "no-store");
    assert_eq!(
        header(&page, "referrer-policy"),
        "same-origin",
        "forms must carry a real Origin"
    );
    assert_eq!(header(&page, "x-content-type-options"), "nosniff");
    assert!(!page.html.contains("<script"), "pages have no script");
    assert!(
        page.html.contains("<label for=\"username\">")
            && page.html.contains("autocomplete=\"current-password\"")
    );
}

#[tokio::test]
async fn cookies_are_http_only_lax_and_host_prefixed_on_https() {
    let app = TestApp::spawn_with(|c| c.server.issuer = "https://id.example.test".into()).await;
    app.create_user("alice").await;
    let browser = app.browser();
    let page = browser.get("/login").await;
    let set = header(&page, "set-cookie");
    assert!(set.starts_with("__Host-sigil-browser="), "{set}");
    assert!(
        set.contains("HttpOnly")
            && set.contains("SameSite=Lax")
            && set.contains("Secure")
            && set.contains("Path=/")
    );
    assert!(header(&page, "strict-transport-security").contains("max-age="));

    // Plain http on loopback: no Secure (the browser would drop the cookie), no prefix.
    let dev = TestApp::spawn().await;
    let page = dev.browser().get("/login").await;
    let set = header(&page, "set-cookie");
    assert!(
        set.starts_with("sigil-browser=") && !set.contains("Secure"),
        "{set}"
    );
}

#[tokio::test]
async fn forms_without_a_valid_csrf_token_or_from_another_origin_are_refused() {
    let app = TestApp::spawn().await;
    app.create_user("alice").await;
    let browser = app.browser();
    let page = browser.get("/login").await;

    let stripped = browser
        .submit(
            &page,
            "/login",
            &[("csrf", ""), ("username", "alice"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(stripped.status, 400);
    assert!(
        stripped
            .headers
            .get("set-cookie")
            .is_none_or(|c| !c.to_str().unwrap().contains("sigil-session"))
    );

    // A token minted for another browser does not work in this one.
    let other = app.browser();
    let foreign_page = other.get("/login").await;
    let token = foreign_page
        .form_fields("/login")
        .into_iter()
        .find(|(k, _)| k == "csrf")
        .unwrap()
        .1;
    let swapped = browser
        .submit(
            &page,
            "/login",
            &[
                ("csrf", &token),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(swapped.status, 400);

    // A cross-site form post carries a foreign Origin.
    let fields = page.form_fields("/login");
    let res = app
        .http()
        .post(app.url("/login"))
        .header("origin", "https://evil.example")
        .header("cookie", format!("sigil-browser={}", "x".repeat(43)))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn unregistered_redirect_uris_and_unknown_clients_never_redirect() {
    let app = TestApp::spawn().await;
    let client = app.web_client().await;
    let (_, challenge) = pkce::pair();
    let browser = app.browser();
    for uri in [
        "https%3A%2F%2Fevil.example%2Fcb",
        "https%3A%2F%2Fapp.example%2Fcb%2F",
        "https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1",
        "https%3A%2F%2Fapp.example%2FCB",
    ] {
        let url = format!(
            "{}/authorize?response_type=code&client_id={}&redirect_uri={uri}&scope=openid&code_challenge={challenge}&code_challenge_method=S256",
            app.base, client.client_id
        );
        let page = browser.get(&url).await;
        assert_eq!(page.status, 400, "{uri}");
        assert!(page.location().is_none(), "{uri} must not redirect");
        assert!(page.html.contains("redirect_uri"));
    }
    let page = browser.get(&format!("{}/authorize?response_type=code&client_id=nope&redirect_uri=https%3A%2F%2Fevil.example", app.base)).await;
    assert_eq!(page.status, 400);
    assert!(page.location().is_none());
}

#[tokio::test]
async fn sign_in_never_returns_off_site() {
    let app = TestApp::spawn().await;
    app.create_user("alice").await;
    let browser = app.browser();
    for target in [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ] {
        let page = browser.get("/login").await;
        let res = browser
            .submit(
                &page,
                "/login",
                &[
                    ("username", "alice"),
                    ("password", PASSWORD),
                    ("return_to", target),
                ],
            )
            .await;
        assert_eq!(res.status, 303);
        assert_eq!(res.location().unwrap(), "/account", "{target}");
    }
}

#[tokio::test]
async fn a_new_sign_in_gets_a_new_session_and_ends_the_old_one() {
    let app = TestApp::spawn().await;
    app.create_user("alice").await;
    let browser = app.browser();
    let secret_of = |p: &sigil_test_utils::browser::Page| {
        p.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with("sigil-session="))
            .unwrap()
    };
    let first = browser
        .submit(
            &browser.get("/login").await,
            "/login",
            &[("username", "alice"), ("password", PASSWORD)],
        )
        .await;
    let second = browser
        .submit(
            &browser.get("/login").await,
            "/login",
            &[("username", "alice"), ("password", PASSWORD)],
        )
        .await;
    assert_ne!(secret_of(&first), secret_of(&second));
    let account = browser.get("/account").await;
    assert_eq!(
        account.html.matches("name=\"sid\"").count(),
        1,
        "the first session was ended by the second sign-in"
    );
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_look_the_same() {
    let app = TestApp::spawn_with(|c| {
        c.passwords.memory_kib = 19_456;
        c.passwords.iterations = 2;
        c.throttle.account_free_failures = 100;
        c.throttle.ip_free_failures = 100;
    })
    .await;
    app.create_user("alice").await;
    let browser = app.browser();
    let attempt = |user: &'static str| {
        let browser = &browser;
        async move {
            let page = browser.get("/login").await;
            let start = Instant::now();
            let res = browser
                .submit(
                    &page,
                    "/login",
                    &[("username", user), ("password", "wrong password!")],
                )
                .await;
            (
                res.status,
                res.html.contains("The username or password is incorrect."),
                start.elapsed(),
            )
        }
    };
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..5 {
        let (s1, m1, t1) = attempt("alice").await;
        let (s2, m2, t2) = attempt("mallory").await;
        assert_eq!((s1, m1), (200, true));
        assert_eq!((s2, m2), (200, true));
        known.push(t1);
        unknown.push(t2);
    }
    known.sort();
    unknown.sort();
    let (k, u) = (known[2], unknown[2]);
    assert!(
        u * 3 > k && k * 3 > u,
        "median timings differ too much: known {k:?}, unknown {u:?}"
    );
    assert!(
        u > Duration::from_millis(2),
        "the unknown user still pays for a hash"
    );
}

#[tokio::test]
async fn repeated_failures_are_throttled_even_for_the_right_password() {
    let app = TestApp::spawn().await;
    app.create_user("alice").await;
    let browser = app.browser();
    let free = app.config.throttle.account_free_failures;
    for _ in 0..free {
        let page = browser.get("/login").await;
        let res = browser
            .submit(
                &page,
                "/login",
                &[("username", "alice"), ("password", "wrong password")],
            )
            .await;
        assert!(res.status == 200 && res.html.contains("incorrect"));
    }
    let page = browser.get("/login").await;
    let res = browser
        .submit(
            &page,
            "/login",
            &[("username", "alice"), ("password", "wrong password")],
        )
        .await;
    assert!(
        res.status == 200 && res.html.contains("incorrect"),
        "the failure that starts the delay is still answered"
    );
    let page = browser.get("/login").await;
    let res = browser
        .submit(
            &page,
            "/login",
            &[("username", "ALICE"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 429);
    assert!(res.headers.get("retry-after").is_some());
    assert!(res.html.contains("Too many attempts"));
    app.clock.advance(Duration::from_secs(5));
    let page = browser.get("/login").await;
    let res = browser
        .submit(
            &page,
            "/login",
            &[("username", "alice"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 303, "after the delay the right password works");
}

#[tokio::test]
async fn an_id_token_is_not_an_access_token() {
    let app = TestApp::spawn().await;
    app.create_user("alice").await;
    let client = app.web_client().await;
    let tokens = crate::code_flow::sign_in_and_redeem(
        &app,
        &app.browser(),
        &client.client_id,
        client.client_secret.as_ref().unwrap(),
        "alice",
    )
    .await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let res = app
        .http()
        .get(app.url("/userinfo"))
        .bearer_auth(id_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let challenge = res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.starts_with("Bearer ") && challenge.contains("error=\"invalid_token\""),
        "{challenge}"
    );

    // A token with alg none, or re-signed by nobody we know, is refused the same way.
    let parts: Vec<&str> = tokens["access_token"]
        .as_str()
        .unwrap()
        .split('.')
        .collect();
    let none = format!(
        "{}.{}.",
        sigil_core::b64url_encode(r#"{"alg":"none","typ":"at+jwt"}"#),
        parts[1]
    );
    let res = app
        .http()
        .get(app.url("/userinfo"))
        .bearer_auth(&none)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn the_code_is_bound_to_the_pkce_verifier_and_the_client() {
    let app = TestApp::spawn().await;
    app.create_user("alice").await;
    let client = app.web_client().await;
    let other = app.web_client().await;
    let (verifier, challenge) = pkce::pair();
    let done = app
        .browser()
        .authorize(
            &authorize_url(&app, &client.client_id, &challenge, ""),
            "alice",
            PASSWORD,
        )
        .await;
    let code = query_param(&done.location().unwrap(), "code").unwrap();
    let (wrong_verifier, _) = pkce::pair();
    let attempt = |id: String, secret: String, v: String| {
        let (app, code) = (&app, code.clone());
        async move {
            app.post_form(
                "/token",
                Some((&id, &secret)),
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", "https://app.example/cb"),
                    ("code_verifier", &v),
                ],
            )
            .await
        }
    };
    let (s, b, _) = attempt(
        other.client_id.clone(),
        other.client_secret.clone().unwrap(),
        verifier.clone(),
    )
    .await;
    assert_eq!(
        (s, b["error"].as_str()),
        (400, Some("invalid_grant")),
        "injected into another client"
    );
    let (s, b, _) = attempt(
        client.client_id.clone(),
        client.client_secret.clone().unwrap(),
        wrong_verifier,
    )
    .await;
    assert_eq!(
        (s, b["error"].as_str()),
        (400, Some("invalid_grant")),
        "wrong verifier"
    );
}
