//! Rate limits as a client meets them: 429 with Retry-After and the RateLimit fields, per IP,
//! per client and shared across nodes through Redis (or counted per node when Redis is gone).

use serde_json::Value;
use sigil_core::Clock as _;
use sigil_oidc::admin::NewClient;
use sigil_server::ratelimit::{ClassLimits, Quota};
use sigil_test_utils::TestApp;

/// Tight limits on the token endpoints (one request a minute refills them, so no test depends
/// on how fast the machine is), optionally shared through Redis.
async fn app_with(token: ClassLimits, redis: Option<(&str, &str)>) -> TestApp {
    let redis = redis.map(|(url, prefix)| (url.to_owned(), prefix.to_owned()));
    TestApp::spawn_with(move |c| {
        c.server.rate_limits.token = token;
        if let Some((url, prefix)) = redis {
            c.server.rate_limits.redis_url = Some(url);
            c.server.rate_limits.redis_prefix = prefix;
        }
    })
    .await
}

fn per_minute(per_minute: u32, burst: u32) -> Option<Quota> {
    Some(Quota { per_minute, burst })
}

/// A confidential client-credentials client: (id, secret).
async fn service(app: &TestApp) -> (String, String) {
    let c = app
        .create_client(NewClient {
            name: "svc".into(),
            grant_types: vec!["client_credentials".into()],
            ..NewClient::default()
        })
        .await;
    (c.client_id, c.client_secret.unwrap())
}

/// Asks for a token; the status and the response headers.
async fn token(
    app: &TestApp,
    (id, secret): &(String, String),
) -> (u16, reqwest::header::HeaderMap, Value) {
    let res = app
        .http()
        .post(app.url("/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_client_ip_over_its_limit_is_told_when_to_come_back() {
    let limits = ClassLimits {
        per_ip: per_minute(1, 3),
        ..ClassLimits::default()
    };
    let app = app_with(limits, None).await;
    let svc = service(&app).await;
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let (status, headers, _) = token(&app, &svc).await;
        assert_eq!(status, 200);
        assert_eq!(headers["ratelimit-policy"], "\"ip\";q=3;w=180");
        remaining.push(headers["ratelimit"].to_str().unwrap().to_owned());
    }
    assert!(remaining[0].starts_with("\"ip\";r=2;t="), "{remaining:?}");
    assert!(remaining[2].starts_with("\"ip\";r=0;t="), "{remaining:?}");
    let (status, headers, problem) = token(&app, &svc).await;
    assert_eq!(status, 429);
    // One request a minute refills the bucket: about a minute to wait.
    let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((55..=60).contains(&wait), "{wait}");
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(problem["type"], "urn:sigil:problem:rate-limited");
    // Other classes have their own buckets: discovery still answers.
    let res = app.http().get(app.url("/jwks")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["ratelimit-policy"]
            .to_str()
            .unwrap()
            .contains("\"ip\"")
    );
    // Health checks are never limited.
    let res = app.http().get(app.url("/healthz")).send().await.unwrap();
    assert!(res.headers().get("ratelimit").is_none());
}

#[tokio::test]
async fn each_client_has_its_own_bucket() {
    let limits = ClassLimits {
        per_client: per_minute(1, 2),
        ..ClassLimits::default()
    };
    let app = app_with(limits, None).await;
    let (a, b) = (service(&app).await, service(&app).await);
    assert_eq!(token(&app, &a).await.0, 200);
    assert_eq!(token(&app, &a).await.0, 200);
    assert_eq!(token(&app, &a).await.0, 429);
    assert_eq!(
        token(&app, &b).await.0,
        200,
        "another client is not held back"
    );
}

#[tokio::test]
async fn nodes_share_limits_through_redis() {
    let prefix = format!("sigil-test:{}:", sigil_core::random::identifier());
    let limits = ClassLimits {
        per_ip: per_minute(1, 4),
        ..ClassLimits::default()
    };
    let redis = Some(("redis://127.0.0.1:6379", prefix.as_str()));
    let (one, two) = (app_with(limits, redis).await, app_with(limits, redis).await);
    for app in [&one, &two] {
        for _ in 0..100 {
            if app.state.limiter.is_shared() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(app.state.limiter.is_shared(), "connected to Redis");
    }
    let (svc_one, svc_two) = (service(&one).await, service(&two).await);
    assert_eq!(token(&one, &svc_one).await.0, 200);
    assert_eq!(token(&two, &svc_two).await.0, 200);
    assert_eq!(token(&one, &svc_one).await.0, 200);
    assert_eq!(token(&two, &svc_two).await.0, 200);
    assert_eq!(
        token(&one, &svc_one).await.0,
        429,
        "the other node's requests counted"
    );
    assert_eq!(token(&two, &svc_two).await.0, 429);
}

#[tokio::test]
async fn without_redis_each_node_still_limits() {
    let limits = ClassLimits {
        per_ip: per_minute(1, 2),
        ..ClassLimits::default()
    };
    // Nothing listens on port 1: the node counts on its own and answers at once.
    let app = app_with(limits, Some(("redis://127.0.0.1:1", "sigil-test:"))).await;
    let svc = service(&app).await;
    let started = std::time::Instant::now();
    assert_eq!(token(&app, &svc).await.0, 200);
    assert_eq!(token(&app, &svc).await.0, 200);
    assert_eq!(token(&app, &svc).await.0, 429);
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_account_named() {
    let app = TestApp::spawn_with(|c| {
        c.server.rate_limits.sign_in.per_user = per_minute(1, 2);
    })
    .await;
    app.create_user("alice").await;
    app.create_user("bob").await;
    let browser = app.browser();
    let login = browser.follow(browser.get("/account").await).await;
    let attempt = |name: &'static str| {
        let (browser, login) = (&browser, &login);
        async move {
            browser
                .submit(
                    login,
                    "/login",
                    &[("username", name), ("password", "not the one")],
                )
                .await
        }
    };
    assert_eq!(attempt("alice").await.status, 200);
    assert_eq!(
        attempt("Alice").await.status,
        200,
        "the same account, however typed"
    );
    let limited = attempt("alice").await;
    assert_eq!(limited.status, 429);
    assert!(
        limited.html.contains("Too many attempts"),
        "{}",
        limited.html
    );
    assert_eq!(
        attempt("bob").await.status,
        200,
        "other accounts are not held back"
    );
}

#[tokio::test]
async fn clients_naming_themselves_in_the_form_are_counted_too() {
    let limits = ClassLimits {
        per_client: per_minute(1, 2),
        ..ClassLimits::default()
    };
    let app = app_with(limits, None).await;
    let c = app
        .create_client(NewClient {
            name: "post".into(),
            grant_types: vec!["client_credentials".into()],
            token_endpoint_auth_method: Some("client_secret_post".into()),
            ..NewClient::default()
        })
        .await;
    let secret = c.client_secret.unwrap();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", c.client_id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let (status, _, _) = app.post_form("/token", None, &form).await;
        statuses.push(status);
    }
    assert_eq!(statuses, vec![200, 200, 429]);
}

#[tokio::test]
async fn sign_in_failures_hold_an_account_back_on_every_node() {
    let prefix = format!("sigil-test:{}:", sigil_core::random::identifier());
    let redis = Some(("redis://127.0.0.1:6379", prefix.as_str()));
    let (one, two) = (
        app_with(ClassLimits::default(), redis).await,
        app_with(ClassLimits::default(), redis).await,
    );
    two.create_user("alice").await;
    for app in [&one, &two] {
        for _ in 0..200 {
            if app.provider.failure_counts_shared() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(app.provider.failure_counts_shared(), "connected to Redis");
    }
    let login = |app: &TestApp, password: &'static str| {
        let browser = app.browser();
        async move {
            let page = browser.get("/login").await;
            browser
                .submit(
                    &page,
                    "/login",
                    &[("username", "alice"), ("password", password)],
                )
                .await
                .status
        }
    };
    // The nodes' clocks agree (each test app's clock starts when the app does; a slow start
    // would otherwise put node two past the one-second delay node one sets).
    let behind = two.clock.now().0 - one.clock.now().0;
    one.clock
        .advance(std::time::Duration::from_secs(behind.max(0) as u64));
    // Guesses spread over the nodes: node one takes them all.
    for _ in 0..=one.config.throttle.account_free_failures {
        assert_eq!(login(&one, "wrong password").await, 200);
    }
    assert_eq!(
        login(&two, sigil_test_utils::PASSWORD).await,
        429,
        "node two holds the account back for the failures node one saw"
    );
}
