//! API callers at the gateway with bearer tokens: a service's client-credentials token makes
//! the client the principal (permitted by a policy naming `Sigil::Client`), a user's token
//! makes the user the principal, and a token for another resource, a revoked one or no token
//! at all is answered 401 without a sign-in redirect.

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use serde_json::Value;
use sigil_oidc::admin::NewClient;
use sigil_test_utils::browser::query_param;
use sigil_test_utils::{PASSWORD, pkce};

use super::gateway_proxy::{Harness, POLICIES, application, seen};

/// A client-credentials client allowed tokens for `resource`: its id and secret.
async fn service(h: &Harness, resource: &str) -> (String, String) {
    let created = h
        .sigil
        .create_client(NewClient {
            name: "Reporting service".into(),
            grant_types: vec!["client_credentials".into()],
            scopes: vec!["reports".into()],
            resources: vec![resource.to_owned()],
            ..NewClient::default()
        })
        .await;
    (created.client_id, created.client_secret.unwrap())
}

/// A client-credentials token for `resource`.
async fn token(h: &Harness, (id, secret): &(String, String), resource: &str) -> String {
    let (status, body, _) = h
        .sigil
        .post_form(
            "/token",
            Some((id, secret)),
            &[("grant_type", "client_credentials"), ("resource", resource)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

/// Lets `client` GET the `app` realm, with a new version of the application.
async fn permit_client(h: &Harness, client: &str) {
    let mut app = application(&h.upstream);
    app.policies = format!(
        "{POLICIES}\n@id(\"reporting\")\npermit (principal == Sigil::Client::\"{client}\", action == Sigil::Action::\"GET\", resource == Sigil::Realm::\"app\");"
    );
    let provider = &h.sigil.provider;
    let t = provider.tenant_ctx(&h.sigil.tenant());
    provider.save_access_apps(&t, "test", &[app]).await.unwrap();
    assert!(h.gw.reload().await.unwrap(), "the new version is loaded");
}

async fn call(
    h: &Harness,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
) -> reqwest::Response {
    let mut request = reqwest::Client::new().request(method, h.url(path));
    if let Some(token) = token {
        request = request.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_service_is_a_principal_by_its_client_id() {
    let h = Harness::start().await;
    let reporting = service(&h, &h.gateway).await;
    let other = service(&h, &h.gateway).await;
    permit_client(&h, &reporting.0).await;
    let mine = token(&h, &reporting, &h.gateway).await;

    let res = call(&h, reqwest::Method::GET, "/app/reports", Some(&mine)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let echo: Value = res.json().await.unwrap();
    for header in ["sm_user", "sm_userdn", "x-employee"] {
        let values = seen(&echo, header);
        assert!(values.is_empty(), "no user identity for a service: {echo}");
    }

    let post = call(&h, reqwest::Method::POST, "/app/reports", Some(&mine)).await;
    assert_eq!(
        post.status(),
        StatusCode::FORBIDDEN,
        "only what its policy permits"
    );
    let theirs = token(&h, &other, &h.gateway).await;
    let res = call(&h, reqwest::Method::GET, "/app/reports", Some(&theirs)).await;
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "another client is not permitted"
    );

    // Decisions are audited with the client as the actor.
    let mut actors = Vec::new();
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let (events, _) = h
            .sigil
            .provider
            .list_audit(&h.sigil.tenant(), sigil_store::AuditQuery::latest(50))
            .await
            .unwrap();
        actors = events
            .into_iter()
            .filter(|r| r.event.kind.as_str() == "gateway.decision")
            .map(|r| r.event.actor)
            .collect();
        if actors.len() >= 3 {
            break;
        }
    }
    assert!(
        actors.contains(&format!("client:{}", reporting.0)),
        "{actors:?}"
    );
}

#[tokio::test]
async fn tokens_for_elsewhere_revoked_or_absent_get_401_never_a_redirect() {
    let h = Harness::start().await;
    let reporting = service(&h, &h.gateway).await;
    permit_client(&h, &reporting.0).await;
    let elsewhere = "https://api.elsewhere.example";
    let other = h
        .sigil
        .create_client(NewClient {
            name: "Elsewhere".into(),
            grant_types: vec!["client_credentials".into()],
            resources: vec![elsewhere.into()],
            ..NewClient::default()
        })
        .await;
    let foreign = token(
        &h,
        &(other.client_id, other.client_secret.unwrap()),
        elsewhere,
    )
    .await;
    let mine = token(&h, &reporting, &h.gateway).await;
    let (status, _, _) = h
        .sigil
        .post_form(
            "/revoke",
            Some((&reporting.0, &reporting.1)),
            &[("token", mine.as_str())],
        )
        .await;
    assert_eq!(status, 200);
    for (token, why) in [
        (foreign.as_str(), "not for this application"),
        (mine.as_str(), "revoked"),
        ("not.a.token", "malformed"),
    ] {
        let res = call(&h, reqwest::Method::GET, "/app/", Some(token)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{why}");
        let challenge = res.headers()[WWW_AUTHENTICATE].to_str().unwrap().to_owned();
        assert!(
            challenge.contains("error=\"invalid_token\""),
            "{why}: {challenge}"
        );
        assert!(challenge.contains(why), "{why}: {challenge}");
    }
    let none = call(&h, reqwest::Method::GET, "/app/", None).await;
    assert_eq!(
        none.status(),
        StatusCode::UNAUTHORIZED,
        "an API caller with no token"
    );
}

#[tokio::test]
async fn a_users_token_makes_the_user_the_principal() {
    let h = Harness::start().await;
    let web = h
        .sigil
        .create_client(NewClient {
            name: "Shop SPA".into(),
            redirect_uris: vec!["https://spa.example/cb".into()],
            resources: vec![h.gateway.clone()],
            first_party: true,
            ..NewClient::default()
        })
        .await;
    let (verifier, challenge) = pkce::pair();
    let resource: String = form_urlencoded::byte_serialize(h.gateway.as_bytes()).collect();
    let authorize = h.sigil.url(&format!(
        "/authorize?response_type=code&client_id={}&redirect_uri=https%3A%2F%2Fspa.example%2Fcb&scope=openid&state=s&code_challenge={challenge}&code_challenge_method=S256&resource={resource}",
        web.client_id
    ));
    let done = h
        .sigil
        .browser()
        .authorize(&authorize, "alice", PASSWORD)
        .await;
    let code = query_param(&done.location().unwrap(), "code").unwrap();
    let secret = web.client_secret.unwrap();
    let (status, tokens, _) = h
        .sigil
        .post_form(
            "/token",
            Some((&web.client_id, &secret)),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "https://spa.example/cb"),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();

    let res = call(&h, reqwest::Method::GET, "/app/", Some(access)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let echo: Value = res.json().await.unwrap();
    assert_eq!(
        seen(&echo, "x-employee"),
        ["alice@example.com"],
        "alice's identity headers: {echo}"
    );
    let admin = call(&h, reqwest::Method::GET, "/app/admin/", Some(access)).await;
    assert_eq!(admin.status(), StatusCode::FORBIDDEN, "alice is no admin");
}
