//! Health, readiness, metrics, and key rotation as operators see them.

use std::time::Duration;

use sigil_test_utils::{TestApp, jwt_header};

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = TestApp::spawn().await;
    let res = app.http().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app.http().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let c = app
        .create_client(sigil_oidc::admin::NewClient {
            name: "svc".into(),
            grant_types: vec!["client_credentials".into()],
            scopes: vec!["api".into()],
            ..Default::default()
        })
        .await;
    let (status, _, _) = app
        .post_form(
            "/token",
            Some((&c.client_id, c.client_secret.as_deref().unwrap())),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(status, 200);
    let (status, _, _) = app
        .post_form(
            "/token",
            Some((&c.client_id, "wrong secret")),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(status, 401);
    let made_up = reqwest::Method::from_bytes(b"BREW").unwrap();
    let res = app
        .http()
        .request(made_up, app.url("/token"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    // The management API (built on its first request) measures each of its routes, at the
    // root and under a tenant's path alike.
    let admin = app.admin_token(&["users:read"]).await;
    for path in ["/api/v1/users", "/t/default/api/v1/users"] {
        let res = app
            .http()
            .get(app.url(path))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }
    let text = app.metrics().await;
    let count = |series: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(series))
            .and_then(|v| v.trim().parse::<f64>().ok())
    };
    // At least: other tests share the process's recorder when run by `cargo test`.
    assert!(
        count("sigil_http_requests_total{route=\"/token\",method=\"POST\",status=\"200\"}")
            >= Some(1.0),
        "{text}"
    );
    assert!(
        count("sigil_http_requests_total{route=\"/token\",method=\"POST\",status=\"401\"}")
            >= Some(1.0),
        "each status its own series: {text}"
    );
    assert!(
        text.contains("method=\"OTHER\"") && !text.contains("BREW"),
        "made-up methods do not become labels: {text}"
    );
    assert!(
        count("sigil_http_request_duration_seconds_count{route=\"/token\"}") >= Some(3.0),
        "{text}"
    );
    for route in ["/api/v1/users", "/t/{tenant}/api/v1/users"] {
        assert!(
            count(&format!(
                "sigil_http_requests_total{{route=\"{route}\",method=\"GET\",status=\"200\"}}"
            )) >= Some(1.0),
            "{route}: {text}"
        );
    }
    assert!(
        !text.contains("nest_tail"),
        "no series for the nesting itself: {text}"
    );
    assert!(text.contains("sigil_tokens_issued_total{grant_type=\"client_credentials\"}"));
}

#[tokio::test]
async fn a_rotated_key_is_published_before_it_signs_and_retired_after_its_tokens_expire() {
    let app = TestApp::spawn().await;
    let c = app
        .create_client(sigil_oidc::admin::NewClient {
            name: "svc".into(),
            grant_types: vec!["client_credentials".into()],
            scopes: vec!["api".into()],
            ..Default::default()
        })
        .await;
    let auth = Some((c.client_id.as_str(), c.client_secret.as_deref().unwrap()));
    let kid_of_new_token = || async {
        let (_, body, _) = app
            .post_form("/token", auth, &[("grant_type", "client_credentials")])
            .await;
        jwt_header(body["access_token"].as_str().unwrap())["kid"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let jwks_kids = || async {
        let jwks: serde_json::Value = app
            .http()
            .get(app.url("/jwks"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let old_kid = kid_of_new_token().await;
    let rotated = app
        .provider
        .rotate_keys(
            &app.tenant(),
            &[sigil_core::model::SigningAlg::ES256],
            Some(Duration::from_secs(300)),
            "test",
        )
        .await
        .unwrap();
    let new_kid = rotated
        .iter()
        .find(|k| k.state == "pending")
        .unwrap()
        .kid
        .clone();
    assert!(jwks_kids().await.contains(&new_kid), "published at once");
    assert_eq!(kid_of_new_token().await, old_kid, "but not signing yet");

    app.clock.advance(Duration::from_secs(301));
    assert_eq!(
        kid_of_new_token().await,
        new_kid,
        "signs after the propagation delay"
    );
    assert!(
        jwks_kids().await.contains(&old_kid),
        "the old key stays published while its tokens live"
    );

    app.clock.advance(Duration::from_secs(
        app.config
            .tokens
            .access_token_ttl
            .max(app.config.tokens.id_token_ttl)
            + 1,
    ));
    assert!(
        !jwks_kids().await.contains(&old_kid),
        "and leaves once they have expired"
    );
    let summary = app.provider.list_keys(&app.tenant()).await.unwrap();
    assert_eq!(
        summary.iter().find(|k| k.kid == old_kid).unwrap().state,
        "expired"
    );
}
