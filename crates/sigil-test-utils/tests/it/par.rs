//! Pushed authorization requests (RFC 9126): a client pushes its request over the back
//! channel, authenticated, and sends the browser with the `request_uri` alone; only the pushed
//! parameters count, the reference is used once and by its client only, and a deployment can
//! require every request to be pushed.

use serde_json::Value;
use sigil_test_utils::browser::query_param;
use sigil_test_utils::{PASSWORD, TestApp, jwt_claims, pkce};

use super::credentials::get_json;

const CB: &str = "https://app.example/cb";

/// Pushes `form` for the client (HTTP Basic): status and body.
async fn push(app: &TestApp, client: (&str, &str), form: &[(&str, &str)]) -> (u16, Value) {
    let (status, body, headers) = app.post_form("/par", Some(client), form).await;
    if status == 201 {
        assert_eq!(headers["cache-control"], "no-store");
    }
    (status, body)
}

fn request<'a>(challenge: &'a str, scope: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("redirect_uri", CB),
        ("scope", scope),
        ("state", "pushed-state"),
        ("nonce", "n-1"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
}

fn by_reference(app: &TestApp, client_id: &str, request_uri: &str, extra: &str) -> String {
    let uri: String = url::form_urlencoded::byte_serialize(request_uri.as_bytes()).collect();
    format!(
        "{}/authorize?client_id={client_id}&request_uri={uri}{extra}",
        app.base
    )
}

#[tokio::test]
async fn a_pushed_request_is_all_that_counts_and_is_used_once() {
    let app = TestApp::spawn().await;
    app.create_user("alice").await;
    let client = app.web_client().await;
    let secret = client.client_secret.clone().unwrap();
    let id = client.client_id.as_str();
    let (_, meta, _) = app.post_form("/par", None, &[]).await;
    assert_eq!(
        meta["error"], "invalid_client",
        "the endpoint authenticates clients"
    );
    let (_, doc) = get_json(&app, &app.url("/.well-known/openid-configuration")).await;
    assert_eq!(
        doc["pushed_authorization_request_endpoint"],
        app.url("/par")
    );
    assert_eq!(doc["require_pushed_authorization_requests"], false);

    let (verifier, challenge) = pkce::pair();
    let (status, pushed) = push(&app, (id, &secret), &request(&challenge, "openid")).await;
    assert_eq!(status, 201, "{pushed}");
    assert_eq!(pushed["expires_in"], 90);
    let request_uri = pushed["request_uri"].as_str().unwrap();
    assert!(request_uri.starts_with("urn:ietf:params:oauth:request_uri:"));

    // The query's own scope and state do not count: the pushed ones do.
    let url = by_reference(&app, id, request_uri, "&scope=openid%20email&state=other");
    let browser = app.browser();
    let done = browser.authorize(&url, "alice", PASSWORD).await;
    let location = done.location().expect("back to the client");
    assert_eq!(
        query_param(&location, "state").as_deref(),
        Some("pushed-state")
    );
    let code = query_param(&location, "code").unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CB),
        ("code_verifier", verifier.as_str()),
    ];
    let (status, tokens, _) = app.post_form("/token", Some((id, &secret)), &form).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["scope"], "openid");
    assert_eq!(
        jwt_claims(tokens["id_token"].as_str().unwrap())["nonce"],
        "n-1"
    );

    // Used once; and only by the client that pushed it.
    let again = browser.get(&url).await;
    assert!(again.location().is_none(), "an error page, not a redirect");
    assert!(
        again
            .html
            .contains("request_uri is unknown, used or expired")
    );
    let other = app.web_client().await;
    let (_, fresh) = push(&app, (id, &secret), &request(&challenge, "openid")).await;
    let stolen = by_reference(
        &app,
        &other.client_id,
        fresh["request_uri"].as_str().unwrap(),
        "",
    );
    let page = app.browser().get(&stolen).await;
    assert!(
        page.html.contains("pushed by another client"),
        "{}",
        page.html
    );
}

#[tokio::test]
async fn bad_pushed_requests_are_answered_directly() {
    let app = TestApp::spawn().await;
    let client = app.web_client().await;
    let secret = client.client_secret.clone().unwrap();
    let id = client.client_id.as_str();
    let (_, challenge) = pkce::pair();
    let mut foreign = request(&challenge, "openid");
    foreign[1] = ("redirect_uri", "https://evil.example/cb");
    let mut nested = request(&challenge, "openid");
    nested.push(("request_uri", "urn:ietf:params:oauth:request_uri:x"));
    let mut plain = request(&challenge, "openid");
    plain.retain(|(k, _)| !k.starts_with("code_challenge"));
    plain.push(("code_challenge", "abc"));
    plain.push(("code_challenge_method", "plain"));
    for (form, error) in [
        (foreign, "invalid_request"),
        (nested, "invalid_request"),
        (request(&challenge, "openid unknown-scope"), "invalid_scope"),
        (plain, "invalid_request"),
    ] {
        let (status, body) = push(&app, (id, &secret), &form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some(error)),
            "{form:?}"
        );
    }
    let (status, body) = push(&app, (id, "wrong"), &request(&challenge, "openid")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

#[tokio::test]
async fn a_deployment_can_require_pushed_requests() {
    let app = TestApp::spawn_with(|c| c.tokens.require_par = true).await;
    app.create_user("alice").await;
    let client = app.web_client().await;
    let secret = client.client_secret.clone().unwrap();
    let id = client.client_id.as_str();
    let (_, challenge) = pkce::pair();
    let direct = format!(
        "{}/authorize?response_type=code&client_id={id}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb\
         &scope=openid&state=s&code_challenge={challenge}&code_challenge_method=S256",
        app.base
    );
    let page = app.browser().get(&direct).await;
    let location = page.location().expect("an error for the client");
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("invalid_request")
    );
    let (status, pushed) = push(&app, (id, &secret), &request(&challenge, "openid")).await;
    assert_eq!(status, 201);
    let url = by_reference(&app, id, pushed["request_uri"].as_str().unwrap(), "");
    let done = app.browser().authorize(&url, "alice", PASSWORD).await;
    assert!(query_param(&done.location().unwrap(), "code").is_some());
}
