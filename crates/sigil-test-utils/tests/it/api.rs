//! Calling the management API as automation does: a bearer token, JSON in and out.

use reqwest::{Method, StatusCode};
use serde_json::Value;
use sigil_test_utils::TestApp;

/// Calls the API with a bearer token and a JSON body; returns status, headers and body.
pub async fn call(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let url = if path.starts_with("http") {
        path.to_owned()
    } else {
        app.url(&format!("/api/v1{path}"))
    };
    let mut req = app.http().request(method, url).bearer_auth(token);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub fn is_problem(headers: &reqwest::header::HeaderMap, body: &Value, kind: &str) {
    assert_eq!(
        headers["content-type"], "application/problem+json",
        "{body}"
    );
    assert_eq!(body["type"], format!("urn:sigil:problem:{kind}"), "{body}");
}
