//! The audit trail through the management API: what is recorded about a request (who, from
//! where, which request, with what outcome), filtering and paging, and that no secret is in it.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use sigil_test_utils::{PASSWORD, TestApp};

use super::api::{call, is_problem};

/// The events a query lists, waiting (up to 5 s) for batched ones to be flushed.
pub(super) async fn events(app: &TestApp, token: &str, query: &str, at_least: usize) -> Vec<Value> {
    for _ in 0..50 {
        let (status, _, page) = call(
            app,
            token,
            Method::GET,
            &format!("/audit-events?{query}"),
            None,
            &[],
        )
        .await;
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().unwrap().clone();
        if items.len() >= at_least {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("fewer than {at_least} events for {query}");
}

#[tokio::test]
async fn changes_and_sign_ins_are_recorded_with_their_request() {
    let app = TestApp::spawn().await;
    let token = app.admin_token(&["users:write", "audit:read"]).await;
    let res = app
        .http()
        .post(app.url("/api/v1/users"))
        .bearer_auth(&token)
        .header("user-agent", "provisioner/2.1")
        .header("x-request-id", "req-7f3a")
        .json(&json!({"username": "grace", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(
        res.headers()["x-request-id"],
        "req-7f3a",
        "the request id is echoed"
    );
    let user: Value = res.json().await.unwrap();

    let created = events(&app, &token, "type=user.created", 1).await;
    let e = &created[0];
    assert_eq!(e["outcome"], "success");
    assert_eq!(e["user_id"], user["id"]);
    assert!(e["actor"].as_str().unwrap().starts_with("client:"), "{e}");
    assert_eq!(e["ip"], "127.0.0.1");
    assert_eq!(e["user_agent"], "provisioner/2.1");
    assert_eq!(e["request_id"], "req-7f3a");
    assert!(e["at"].as_str().unwrap().ends_with('Z'));

    // A failed sign-in: recorded as a failure, with the name tried, never the password.
    let browser = app.browser();
    let login = browser.follow(browser.get("/account").await).await;
    browser
        .submit(
            &login,
            "/login",
            &[("username", "grace"), ("password", "not-her-password")],
        )
        .await;
    let failed = events(&app, &token, "outcome=failure", 1).await;
    assert_eq!(failed[0]["type"], "signin.failed");
    assert_eq!(failed[0]["details"]["username"], "grace");
    assert_eq!(failed[0]["details"]["reason"], "wrong_password");
    assert_eq!(failed[0]["user_id"], user["id"]);
    browser
        .submit(
            &login,
            "/login",
            &[("username", "nobody"), ("password", "whatever-it-is")],
        )
        .await;
    let failed = events(&app, &token, "outcome=failure", 2).await;
    assert_eq!(failed[0]["details"]["reason"], "unknown_user");
    assert_eq!(failed[0]["user_id"], Value::Null);

    let everything = events(&app, &token, "limit=200", 3).await;
    let text = serde_json::to_string(&everything).unwrap();
    assert!(
        !text.contains(PASSWORD) && !text.contains("not-her-password"),
        "{text}"
    );
    let by_user = events(
        &app,
        &token,
        &format!("user_id={}", user["id"].as_str().unwrap()),
        1,
    )
    .await;
    assert!(by_user.iter().all(|e| e["user_id"] == user["id"]));
}

#[tokio::test]
async fn the_trail_pages_newest_first_and_refuses_bad_filters() {
    let app = TestApp::spawn().await;
    let token = app.admin_token(&["users:write", "audit:read"]).await;
    for name in ["a1", "a2", "a3"] {
        let (status, _, _) = call(
            &app,
            &token,
            Method::POST,
            "/users",
            Some(json!({"username": name})),
            &[],
        )
        .await;
        assert_eq!(status, 201);
    }
    let mut names = Vec::new();
    let mut next = Some("/audit-events?type=user.created&limit=2".to_owned());
    while let Some(url) = next.take() {
        let (status, headers, page) = call(&app, &token, Method::GET, &url, None, &[]).await;
        assert_eq!(status, 200, "{page}");
        names.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["details"]["username"].clone()),
        );
        next = headers.get("link").map(|l| {
            let l = l.to_str().unwrap();
            l[1..l.find('>').unwrap()].to_owned()
        });
    }
    assert_eq!(names, vec![json!("a3"), json!("a2"), json!("a1")]);

    for query in [
        "type=user.exploded",
        "since=yesterday",
        "after=abc",
        "limit=0",
        "user_id=%01",
    ] {
        let (status, headers, problem) = call(
            &app,
            &token,
            Method::GET,
            &format!("/audit-events?{query}"),
            None,
            &[],
        )
        .await;
        assert_eq!(status, 422, "{query}: {problem}");
        is_problem(&headers, &problem, "validation");
    }
    let (status, _, _) = call(
        &app,
        &token,
        Method::GET,
        "/audit-events?colour=red",
        None,
        &[],
    )
    .await;
    assert_eq!(status, 400);
    let users_only = app.admin_token(&["users:read"]).await;
    let (status, _, _) = call(&app, &users_only, Method::GET, "/audit-events", None, &[]).await;
    assert_eq!(status, 403);
}
