//! Malformed, oversized and duplicated input gets the error the spec names, never a 500.

use sigil_test_utils::TestApp;

async fn client_credentials_client(app: &TestApp) -> (String, String) {
    let c = app
        .create_client(sigil_oidc::admin::NewClient {
            name: "svc".into(),
            grant_types: vec!["client_credentials".into()],
            scopes: vec!["api:read".into()],
            ..Default::default()
        })
        .await;
    (c.client_id, c.client_secret.unwrap())
}

#[tokio::test]
async fn token_endpoint_refuses_malformed_requests_with_protocol_errors() {
    let app = TestApp::spawn().await;
    let (id, secret) = client_credentials_client(&app).await;
    let http = app.http();
    let cases: Vec<(&str, reqwest::RequestBuilder, u16, &str)> = vec![
        (
            "json body",
            http.post(app.url("/token"))
                .basic_auth(&id, Some(&secret))
                .json(&serde_json::json!({"grant_type": "client_credentials"})),
            400,
            "invalid_request",
        ),
        (
            "repeated parameter",
            http.post(app.url("/token"))
                .basic_auth(&id, Some(&secret))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grant_type=client_credentials&grant_type=client_credentials"),
            400,
            "invalid_request",
        ),
        (
            "missing grant_type",
            http.post(app.url("/token"))
                .basic_auth(&id, Some(&secret))
                .form(&[("scope", "api:read")]),
            400,
            "invalid_request",
        ),
        (
            "unknown grant_type",
            http.post(app.url("/token"))
                .basic_auth(&id, Some(&secret))
                .form(&[("grant_type", "password")]),
            400,
            "unsupported_grant_type",
        ),
        (
            "implicit-era grant",
            http.post(app.url("/token"))
                .basic_auth(&id, Some(&secret))
                .form(&[("grant_type", "implicit")]),
            400,
            "unsupported_grant_type",
        ),
        (
            "garbage basic",
            http.post(app.url("/token"))
                .header("authorization", "Basic %%%")
                .form(&[("grant_type", "client_credentials")]),
            401,
            "invalid_client",
        ),
        (
            "no client",
            http.post(app.url("/token"))
                .form(&[("grant_type", "client_credentials")]),
            401,
            "invalid_client",
        ),
        (
            "grant not allowed",
            http.post(app.url("/token"))
                .basic_auth(&id, Some(&secret))
                .form(&[("grant_type", "authorization_code"), ("code", "x")]),
            400,
            "unauthorized_client",
        ),
        (
            "bad scope",
            http.post(app.url("/token"))
                .basic_auth(&id, Some(&secret))
                .form(&[("grant_type", "client_credentials"), ("scope", "openid")]),
            400,
            "invalid_scope",
        ),
        (
            "scope syntax",
            http.post(app.url("/token"))
                .basic_auth(&id, Some(&secret))
                .form(&[("grant_type", "client_credentials"), ("scope", "a\"b")]),
            400,
            "invalid_scope",
        ),
        (
            "unknown resource",
            http.post(app.url("/token"))
                .basic_auth(&id, Some(&secret))
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("resource", "https://other.example"),
                ]),
            400,
            "invalid_target",
        ),
    ];
    for (name, req, status, error) in cases {
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), status, "{name}");
        assert_eq!(res.headers()["cache-control"], "no-store", "{name}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"], error, "{name}: {body}");
        assert!(
            body["error_description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "{name}"
        );
    }
}

#[tokio::test]
async fn oversized_and_binary_bodies_are_refused_cleanly() {
    let app = TestApp::spawn().await;
    let big = format!("grant_type=client_credentials&x={}", "a".repeat(200_000));
    let res = app
        .http()
        .post(app.url("/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    assert!(
        matches!(res.status().as_u16(), 400 | 413),
        "{}",
        res.status()
    );
    let long_value = format!(
        "grant_type=client_credentials&client_id={}",
        "a".repeat(20_000)
    );
    let res = app
        .http()
        .post(app.url("/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(long_value)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let binary: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    for path in [
        "/token",
        "/introspect",
        "/revoke",
        "/device_authorization",
        "/login",
        "/authorize",
        "/logout",
    ] {
        let res = app
            .http()
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(binary.clone())
            .send()
            .await
            .unwrap();
        assert!(res.status().is_client_error(), "{path}: {}", res.status());
    }
}

#[tokio::test]
async fn authorization_requests_with_repeated_or_huge_parameters_get_an_error_page() {
    let app = TestApp::spawn().await;
    let client = app.web_client().await;
    let browser = app.browser();
    let repeated = format!(
        "/authorize?client_id={0}&client_id={0}&response_type=code",
        client.client_id
    );
    let page = browser.get(&repeated).await;
    assert_eq!(page.status, 400);
    assert!(page.html.contains("repeated"));
    let huge = format!(
        "/authorize?client_id={}&state={}",
        client.client_id,
        "s".repeat(20_000)
    );
    let page = browser.get(&huge).await;
    assert!(
        page.status == 400 || page.status == 414 || page.status == 431,
        "{}",
        page.status
    );
}

#[tokio::test]
async fn other_endpoints_answer_problem_json() {
    let app = TestApp::spawn().await;
    let res = app
        .http()
        .get(app.url("/no/such/thing"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], 404);
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .starts_with("urn:sigil:problem:")
    );
    let res = app
        .http()
        .get(app.url("/t/no-such-tenant/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn userinfo_without_a_token_challenges_and_refuses_tokens_in_two_places() {
    let app = TestApp::spawn().await;
    let res = app.http().get(app.url("/userinfo")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer realm=\"sigil\"");
    let res = app
        .http()
        .post(app.url("/userinfo"))
        .bearer_auth("a.b.c")
        .form(&[("access_token", "a.b.c")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = app
        .http()
        .get(app.url("/userinfo"))
        .bearer_auth("not-a-jwt")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn browser_apps_may_call_the_token_endpoint_cross_origin() {
    let app = TestApp::spawn().await;
    let res = app
        .http()
        .request(reqwest::Method::OPTIONS, app.url("/token"))
        .header("origin", "https://spa.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    assert!(
        res.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    let res = app
        .http()
        .get(app.url("/jwks"))
        .header("origin", "https://spa.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    // A script may read where it stands with the rate limits and which request it made.
    let exposed = res.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for name in [
        "ratelimit",
        "ratelimit-policy",
        "retry-after",
        "x-request-id",
    ] {
        assert!(exposed.split(',').any(|h| h.trim() == name), "{exposed}");
    }
    // Pages are not for other origins.
    let res = app
        .http()
        .get(app.url("/login"))
        .header("origin", "https://spa.example")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
}
