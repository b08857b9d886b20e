//! Event hooks as a receiving system sees them: signed deliveries of the events it asked for,
//! retries until it answers 2xx, every attempt visible through the API, and no sign-in or
//! administrative change waiting for an endpoint that does not answer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lc_rs::hmac;
use axum::http::{HeaderMap, StatusCode};
use reqwest::Method;
use serde_json::{Value, json};
use sigil_test_utils::TestApp;
use tokio::sync::Mutex;

use super::api::{call, is_problem};

/// What the receiver got: headers and raw body of each request.
pub(super) type Received = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// A receiver answering `statuses` in turn (the last one from then on).
pub(super) async fn receiver(statuses: Vec<u16>) -> (String, Received) {
    let got: Received = Arc::default();
    let answers = Arc::new(Mutex::new(statuses));
    let record = got.clone();
    let app = axum::Router::new().route(
        "/in",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let (record, answers) = (record.clone(), answers.clone());
            async move {
                record.lock().await.push((headers, body));
                let mut answers = answers.lock().await;
                let status = if answers.len() > 1 {
                    answers.remove(0)
                } else {
                    answers[0]
                };
                StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/in", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

async fn hooked_app() -> TestApp {
    TestApp::spawn_with(|c| {
        c.hooks.allow_http = true;
        c.hooks.poll_interval_ms = 20;
        c.hooks.first_retry = 30;
        c.hooks.timeout = 2;
    })
    .await
}

/// Waits until `got` holds `n` requests.
async fn wait_for(got: &Received, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while got.lock().await.len() < n {
        assert!(Instant::now() < deadline, "no delivery within 10 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The documented check: HMAC-SHA256 over "{t}.{body}" with the secret, hex, in `v1`.
fn verify(secret: &str, headers: &HeaderMap, body: &str) -> bool {
    let header = headers["sigil-signature"].to_str().unwrap();
    let (t, v1) = header.split_once(",v1=").unwrap();
    let t = t.strip_prefix("t=").unwrap();
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let expected = hex_of(hmac::sign(&key, format!("{t}.{body}").as_bytes()).as_ref());
    expected == v1
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn deliveries_are_signed_retried_and_visible() {
    let app = hooked_app().await;
    let token = app
        .admin_token(&["hooks:read", "hooks:write", "users:write"])
        .await;
    let (url, got) = receiver(vec![503, 204]).await;
    let (status, _, hook) = call(
        &app,
        &token,
        Method::POST,
        "/hooks",
        Some(json!({"url": url, "event_types": ["user.created"], "description": "HR feed"})),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_owned();
    let id = hook["id"].as_str().unwrap().to_owned();
    let (_, _, listed) = call(&app, &token, Method::GET, "/hooks", None, &[]).await;
    assert!(
        listed["items"][0].get("secret").is_none(),
        "the secret is shown once"
    );

    // An event it did not ask for is not sent; one it did is, signed.
    call(
        &app,
        &token,
        Method::POST,
        "/users",
        Some(json!({"username": "grace"})),
        &[],
    )
    .await;
    wait_for(&got, 1).await;
    let (headers, body) = got.lock().await[0].clone();
    assert!(verify(&secret, &headers, &body), "signature");
    assert!(!verify("whsec_wrong", &headers, &body));
    let event: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(event["type"], "user.created");
    assert_eq!(event["details"]["username"], "grace");
    assert_eq!(headers["sigil-event-type"], "user.created");
    assert_eq!(headers["sigil-event-id"], event["id"].as_str().unwrap());

    // The 503 is retried after the backoff (the test clock jumps it).
    let deliveries = format!("/hooks/{id}/deliveries");
    let (_, _, page) = call(&app, &token, Method::GET, &deliveries, None, &[]).await;
    assert_eq!(page["items"][0]["state"], "pending", "{page}");
    assert_eq!(page["items"][0]["attempts"][0]["status"], 503);
    app.clock.advance(Duration::from_secs(31));
    wait_for(&got, 2).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let page = loop {
        let (_, _, page) = call(&app, &token, Method::GET, &deliveries, None, &[]).await;
        if page["items"][0]["state"] == "delivered" || Instant::now() > deadline {
            break page;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(page["items"][0]["state"], "delivered", "{page}");
    let attempts: Vec<&Value> = page["items"][0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(
        attempts
            .iter()
            .map(|a| a["status"].clone())
            .collect::<Vec<_>>(),
        [json!(503), json!(204)]
    );
    assert_eq!(got.lock().await[1].1, body, "the same body, re-signed");
    assert_eq!(got.lock().await.len(), 2, "the user event only");
}

#[tokio::test]
async fn a_dead_endpoint_slows_no_change() {
    let app = hooked_app().await;
    let token = app.admin_token(&["hooks:write", "users:write"]).await;
    // Accepts connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/in", silent.local_addr().unwrap());
    let (status, _, _) = call(
        &app,
        &token,
        Method::POST,
        "/hooks",
        Some(json!({"url": url, "event_types": ["*"]})),
        &[],
    )
    .await;
    assert_eq!(status, 201);
    for i in 0..5 {
        let started = Instant::now();
        let (status, _, _) = call(
            &app,
            &token,
            Method::POST,
            "/users",
            Some(json!({"username": format!("u{i}")})),
            &[],
        )
        .await;
        assert_eq!(status, 201);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }
    let _keep = silent;
}

#[tokio::test]
async fn endpoints_must_be_https_and_event_types_known() {
    let app = TestApp::spawn().await;
    let token = app.admin_token(&["hooks:write"]).await;
    for (body, field) in [
        (
            json!({"url": "http://hooks.example/in", "event_types": ["*"]}),
            "url",
        ),
        (
            json!({"url": "https://user:pw@hooks.example/in", "event_types": ["*"]}),
            "url",
        ),
        (
            json!({"url": "https://hooks.example/in", "event_types": ["user.exploded"]}),
            "event_types",
        ),
        (
            json!({"url": "https://hooks.example/in", "event_types": []}),
            "event_types",
        ),
    ] {
        let (status, headers, problem) =
            call(&app, &token, Method::POST, "/hooks", Some(body), &[]).await;
        assert_eq!(status, 422, "{problem}");
        is_problem(&headers, &problem, "validation");
        assert!(problem.to_string().contains(field), "{problem}");
    }
    let reader = app.admin_token(&["users:read"]).await;
    let (status, _, _) = call(&app, &reader, Method::GET, "/hooks", None, &[]).await;
    assert_eq!(status, 403);
}
