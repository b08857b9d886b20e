//! Back-channel and front-channel logout as relying parties see them: a logout token POSTed
//! to every client the ended session signed in to (however it ended: the user, an
//! administrator, a sign-out everywhere), checked the way the spec tells a client to check
//! it; hidden frames on the signed-out page for front-channel clients; nobody else told.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use sigil_keys::{DecodedJws, VerifyingJwk};
use sigil_oidc::admin::{CreatedClient, NewClient};
use sigil_test_utils::{TestApp, jwt_claims};

use super::api::call;
use super::credentials::get_json;
use super::hooks::{Received, receiver};
use super::management_audit::events;
use crate::code_flow::sign_in_and_redeem;

/// Waits until `got` holds `n` requests, then a moment more to catch any extra: the bodies.
pub(super) async fn wait_for(got: &Received, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    while got.lock().await.len() < n {
        assert!(Instant::now() < deadline, "no logout token within 15 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    got.lock()
        .await
        .iter()
        .map(|(_, body)| body.clone())
        .collect()
}

/// A web client (redirecting to app.example) that hears of logouts at `backchannel`.
pub(super) async fn listening_client(app: &TestApp, backchannel: &str) -> CreatedClient {
    app.create_client(NewClient {
        name: "Listening App".into(),
        redirect_uris: vec!["https://app.example/cb".into()],
        post_logout_redirect_uris: vec!["https://app.example/bye".into()],
        logout: sigil_core::model::LogoutChannels {
            backchannel_uri: Some(backchannel.into()),
            backchannel_session_required: true,
            ..Default::default()
        },
        ..NewClient::default()
    })
    .await
}

/// Validates a logout token as Back-Channel Logout §2.6 tells a client to: signature by a key
/// of the issuer's JWKS, `typ`, `iss`, `aud`, `iat`/`exp`, the logout event, `sid` or `sub`,
/// and no `nonce`. Returns the claims.
pub(super) async fn validated_logout_token(app: &TestApp, form: &str, client_id: &str) -> Value {
    let token = form_urlencoded::parse(form.as_bytes())
        .find(|(k, _)| k == "logout_token")
        .map(|(_, v)| v.into_owned())
        .expect("a logout_token parameter");
    let (_, jwks) = get_json(app, &app.url("/jwks")).await;
    let decoded = DecodedJws::decode(&token, 16 * 1024).unwrap();
    assert_eq!(decoded.header.typ.as_deref(), Some("logout+jwt"));
    let key = VerifyingJwk::parse_set(&jwks)
        .into_iter()
        .find(|k| k.kid == decoded.header.kid)
        .expect("signed by a published key");
    decoded.verify(&key.key).expect("the signature verifies");
    let claims = jwt_claims(&token);
    assert_eq!(claims["iss"], app.base.as_str());
    assert_eq!(claims["aud"], client_id);
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert!(exp > iat && exp - iat <= 120, "short-lived: {claims}");
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 16));
    assert_eq!(
        claims["events"],
        json!({"http://schemas.openid.net/event/backchannel-logout": {}})
    );
    assert!(claims.get("nonce").is_none(), "a logout token has no nonce");
    claims
}

/// The back-channel logout audit events, once `n` of them are written (and no more).
async fn backchannel_events(app: &TestApp, admin: &str, n: usize) -> Vec<Value> {
    let query = "type=logout.backchannel_sent";
    events(app, admin, query, n).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let items = events(app, admin, query, n).await;
    assert_eq!(items.len(), n, "{items:?}");
    items
}

#[tokio::test]
async fn signing_out_posts_a_valid_logout_token_naming_the_session() {
    let app = TestApp::spawn().await;
    let alice = app.create_user("alice").await;
    let (uri, got) = receiver(vec![200]).await;
    let client = listening_client(&app, &uri).await;
    let bystander = app.web_client().await;
    let browser = app.browser();
    let secret = client.client_secret.clone().unwrap();
    let tokens = sign_in_and_redeem(&app, &browser, &client.client_id, &secret, "alice").await;
    let id_token = jwt_claims(tokens["id_token"].as_str().unwrap());

    let res = browser
        .get(&format!(
            "/logout?id_token_hint={}&post_logout_redirect_uri=https%3A%2F%2Fapp.example%2Fbye",
            tokens["id_token"].as_str().unwrap()
        ))
        .await;
    assert_eq!(res.location().as_deref(), Some("https://app.example/bye"));

    let forms = wait_for(&got, 1).await;
    assert_eq!(
        forms.len(),
        1,
        "one token, to the one client that signed in"
    );
    let claims = validated_logout_token(&app, &forms[0], &client.client_id).await;
    assert_eq!(
        claims["sid"], id_token["sid"],
        "the session of the ID token"
    );
    assert_eq!(claims["sub"], alice.id.as_str());
    let _ = bystander;
}

#[tokio::test]
async fn only_clients_that_got_an_id_token_in_the_session_hear_of_it() {
    let app = TestApp::spawn().await;
    app.create_user("alice").await;
    let (uri, got) = receiver(vec![200]).await;
    let listening = listening_client(&app, &uri).await;
    let other = app.web_client().await;
    let browser = app.browser();
    let tokens = sign_in_and_redeem(
        &app,
        &browser,
        &other.client_id,
        other.client_secret.as_deref().unwrap(),
        "alice",
    )
    .await;
    let res = browser
        .get(&format!(
            "/logout?id_token_hint={}",
            tokens["id_token"].as_str().unwrap()
        ))
        .await;
    assert_eq!(res.status, 200, "signed out");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        got.lock().await.is_empty(),
        "{} never signed in with this session",
        listening.client_id
    );
}

#[tokio::test]
async fn an_administrator_signing_a_user_out_everywhere_tells_each_session_s_clients() {
    let app = TestApp::spawn().await;
    let alice = app.create_user("alice").await;
    let (uri, got) = receiver(vec![503, 200]).await;
    let client = listening_client(&app, &uri).await;
    let secret = client.client_secret.clone().unwrap();
    let mut sids = Vec::new();
    for _ in 0..2 {
        let tokens =
            sign_in_and_redeem(&app, &app.browser(), &client.client_id, &secret, "alice").await;
        sids.push(jwt_claims(tokens["id_token"].as_str().unwrap())["sid"].clone());
    }
    let admin = app.admin_token(&["sessions:write", "audit:read"]).await;
    let (status, _, body) = call(
        &app,
        &admin,
        Method::DELETE,
        &format!("/users/{}/sessions", alice.id),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 204, "{body}");

    // The first answer is a 503: that token is sent again, so three POSTs carry two sessions.
    let forms = wait_for(&got, 3).await;
    let mut told = Vec::new();
    for form in &forms {
        told.push(validated_logout_token(&app, form, &client.client_id).await["sid"].clone());
    }
    told.sort_by_key(|s| s.to_string());
    told.dedup();
    sids.sort_by_key(|s| s.to_string());
    assert_eq!(told, sids);

    let items = backchannel_events(&app, &admin, 2).await;
    assert!(
        items
            .iter()
            .all(|e| e["outcome"] == "success" && e["client_id"] == client.client_id.as_str()),
        "{items:?}"
    );
}

#[tokio::test]
async fn a_client_that_never_accepts_is_given_up_on_and_recorded() {
    let app = TestApp::spawn().await;
    app.create_user("alice").await;
    let (uri, got) = receiver(vec![500]).await;
    let client = listening_client(&app, &uri).await;
    let secret = client.client_secret.clone().unwrap();
    let browser = app.browser();
    let tokens = sign_in_and_redeem(&app, &browser, &client.client_id, &secret, "alice").await;
    let res = browser
        .get(&format!(
            "/logout?id_token_hint={}",
            tokens["id_token"].as_str().unwrap()
        ))
        .await;
    assert_eq!(res.status, 200, "the sign-out does not wait for the client");
    let forms = wait_for(&got, 3).await;
    assert_eq!(forms.len(), 3, "sent three times, then given up");
    let admin = app.admin_token(&["audit:read"]).await;
    let items = backchannel_events(&app, &admin, 1).await;
    assert_eq!(items[0]["outcome"], "failure", "{}", items[0]);
    assert_eq!(items[0]["details"]["attempts"], 3, "{}", items[0]);
}

#[tokio::test]
async fn the_signed_out_page_frames_front_channel_clients_then_moves_on() {
    let app = TestApp::spawn().await;
    app.create_user("alice").await;
    let client = app
        .create_client(NewClient {
            name: "Framed App".into(),
            redirect_uris: vec!["https://app.example/cb".into()],
            post_logout_redirect_uris: vec!["https://app.example/bye".into()],
            logout: sigil_core::model::LogoutChannels {
                frontchannel_uri: Some("https://app.example/frontchannel?from=sigil".into()),
                frontchannel_session_required: true,
                ..Default::default()
            },
            ..NewClient::default()
        })
        .await;
    let browser = app.browser();
    let secret = client.client_secret.clone().unwrap();
    let tokens = sign_in_and_redeem(&app, &browser, &client.client_id, &secret, "alice").await;
    let sid = jwt_claims(tokens["id_token"].as_str().unwrap())["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = browser
        .get(&format!(
            "/logout?id_token_hint={}&post_logout_redirect_uri=https%3A%2F%2Fapp.example%2Fbye&state=s1",
            tokens["id_token"].as_str().unwrap()
        ))
        .await;
    assert_eq!(page.status, 200, "a page, so the frames can load");
    let issuer: String = form_urlencoded::byte_serialize(app.base.as_bytes()).collect();
    let frame =
        format!("src=\"https://app.example/frontchannel?from=sigil&iss={issuer}&sid={sid}\"");
    let html = sigil_test_utils::browser::unescape(&page.html);
    assert!(html.contains(&frame), "{html}");
    assert!(
        html.contains("content=\"2;url=https://app.example/bye?state=s1\""),
        "then on to the client: {}",
        page.html
    );
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.ends_with("; frame-src https://app.example"), "{csp}");
    assert!(!csp.contains("script-src"), "still no script: {csp}");
    assert_eq!(browser.get("/account").await.status, 303, "signed out");
}

#[tokio::test]
async fn logout_endpoints_are_registered_with_the_rules_of_the_specs() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token(&["clients:write", "clients:read"]).await;
    let create = |extra: Value| {
        let mut body = json!({
            "client_name": "Logout App",
            "redirect_uris": ["https://app.example/cb"],
        });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    for (bad, field) in [
        (
            json!({"backchannel_logout_uri": "https://app.example/bc#frag"}),
            "backchannel_logout_uri",
        ),
        (
            json!({"backchannel_logout_uri": "ftp://app.example/bc"}),
            "backchannel_logout_uri",
        ),
        (
            json!({"frontchannel_logout_uri": "https://elsewhere.example/fc"}),
            "frontchannel_logout_uri",
        ),
    ] {
        let (status, _, body) = call(
            &app,
            &admin,
            Method::POST,
            "/clients",
            Some(create(bad)),
            &[],
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert!(body.to_string().contains(field), "{body}");
    }
    let (status, _, body) = call(
        &app,
        &admin,
        Method::POST,
        "/clients",
        Some(create(json!({
            "backchannel_logout_uri": "https://app.example/bc",
            "backchannel_logout_session_required": true,
            "frontchannel_logout_uri": "https://app.example/fc",
            "frontchannel_logout_session_required": true,
        }))),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["backchannel_logout_uri"], "https://app.example/bc");
    assert_eq!(body["frontchannel_logout_session_required"], true);
    let id = body["client_id"].as_str().unwrap();
    let (status, _, body) = call(
        &app,
        &admin,
        Method::PATCH,
        &format!("/clients/{id}"),
        Some(json!({"backchannel_logout_uri": null})),
        &[("if-match", "*")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["backchannel_logout_uri"], Value::Null);
    assert_eq!(body["frontchannel_logout_uri"], "https://app.example/fc");

    let (_, discovery) = get_json(&app, &app.url("/.well-known/openid-configuration")).await;
    for flag in [
        "backchannel_logout_supported",
        "backchannel_logout_session_supported",
        "frontchannel_logout_supported",
        "frontchannel_logout_session_supported",
    ] {
        assert_eq!(discovery[flag], true, "{flag}");
    }
}

/// POSTs a global token revocation request.
async fn revoke_globally(app: &TestApp, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut request = app
        .http()
        .post(app.url("/global-token-revocation"))
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let res = request.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn global_token_revocation_signs_a_user_out_everywhere() {
    let app = TestApp::spawn().await;
    let alice = app.create_user("alice").await;
    let (uri, got) = receiver(vec![200]).await;
    let client = listening_client(&app, &uri).await;
    let secret = client.client_secret.clone().unwrap();
    let mut refresh_tokens = Vec::new();
    for _ in 0..2 {
        let tokens =
            sign_in_and_redeem(&app, &app.browser(), &client.client_id, &secret, "alice").await;
        refresh_tokens.push(tokens["refresh_token"].as_str().unwrap().to_owned());
    }
    let tool = app.admin_token(&["sessions:write"]).await;

    let subject = json!({"subject": {"format": "email", "email": "alice@example.com"}});
    let (status, body) = revoke_globally(&app, Some(&tool), subject.clone()).await;
    assert_eq!(status, 204, "{body}");
    let forms = wait_for(&got, 2).await;
    assert_eq!(forms.len(), 2, "both sessions' client is told");
    for refresh in &refresh_tokens {
        let (status, body, _) = app
            .post_form(
                "/token",
                Some((&client.client_id, &secret)),
                &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
            )
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant"))
        );
    }
    // By Sigil's own issuer and subject, or its user id; earlier drafts' sub_id is read too.
    for named in [
        json!({"subject": {"format": "iss_sub", "iss": app.base, "sub": alice.id.as_str()}}),
        json!({"sub_id": {"format": "opaque", "id": alice.id.as_str()}}),
    ] {
        let (status, body) = revoke_globally(&app, Some(&tool), named).await;
        assert_eq!(status, 204, "{body}");
    }

    let refusals = [
        (
            json!({"subject": {"format": "email", "email": "nobody@example.com"}}),
            404,
        ),
        (
            json!({"subject": {"format": "phone_number", "phone_number": "+15551234567"}}),
            400,
        ),
        (json!({"subject": {"format": "email"}}), 400),
        (json!({}), 400),
    ];
    for (body, expected) in refusals {
        let (status, problem) = revoke_globally(&app, Some(&tool), body.clone()).await;
        assert_eq!(status, expected, "{body}: {problem}");
    }
    let reader = app.admin_token(&["sessions:read"]).await;
    assert_eq!(
        revoke_globally(&app, Some(&reader), subject.clone())
            .await
            .0,
        403
    );
    assert_eq!(revoke_globally(&app, None, subject).await.0, 401);

    let (_, discovery) = get_json(&app, &app.url("/.well-known/openid-configuration")).await;
    assert_eq!(
        discovery["global_token_revocation_endpoint"],
        app.url("/global-token-revocation")
    );
}
