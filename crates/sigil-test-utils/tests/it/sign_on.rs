//! Sign-on policies: who may sign in to which client, and how strongly. Managed and tried out
//! through the management API, enforced at the authorization endpoint: a refused user comes
//! back to the client with `access_denied`, a sign-in too weak for the policy is asked to
//! authenticate again and refused if it is no stronger, and removing the policy lets everyone
//! in again.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sigil_oidc::admin::NewGroup;
use sigil_test_utils::browser::query_param;
use sigil_test_utils::{PASSWORD, TestApp, pkce};

use super::api::call;
use super::code_flow::authorize_url;

fn policy(client: &str, assurance: u32, levels: Value) -> Value {
    json!({
        "policies": format!(
            "@id(\"staff-only\")\npermit (principal in Sigil::Group::\"staff\", action == Sigil::Action::\"SignIn\", resource == Sigil::Client::\"{client}\");\n"
        ),
        "assurance": assurance,
        "levels": levels,
    })
}

/// Where an authorization ends for `user`: the redirect to the client.
async fn authorize(
    app: &TestApp,
    browser: &sigil_test_utils::Browser,
    client: &str,
    user: &str,
) -> String {
    let (_, challenge) = pkce::pair();
    let done = browser
        .authorize(&authorize_url(app, client, &challenge, ""), user, PASSWORD)
        .await;
    done.location().expect("a redirect to the client")
}

#[tokio::test]
async fn sign_on_policies_decide_who_signs_in_and_how_strongly() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant();
    let ann = app.create_user("ann").await;
    app.create_user("bob").await;
    let staff = NewGroup {
        name: "staff".into(),
        members: vec![ann.id.clone()],
        ..NewGroup::default()
    };
    app.provider
        .create_group_with(&tenant, staff, "test")
        .await
        .unwrap();
    let client = app.web_client().await.client_id;
    let token = app.admin_token(&["policies:read", "policies:write"]).await;
    let path = format!("/clients/{client}/sign-on-policy");

    // Management: unknown clients, policies that do not validate, then a saved version.
    // No policy yet: version 0 and none (anyone may sign in); an unknown client is 404.
    let (status, _, none) = call(&app, &token, Method::GET, &path, None, &[]).await;
    assert_eq!(
        (status, none["version"].as_i64()),
        (StatusCode::OK, Some(0)),
        "{none}"
    );
    assert!(none["policy"].is_null());
    let (status, _, _) = call(
        &app,
        &token,
        Method::GET,
        "/clients/nope/sign-on-policy",
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Until a policy is saved, a dry run says what sign-in does: anyone may; an unknown user is a field error.
    let evaluate = format!("{path}/evaluate");
    let (status, _, d) = call(
        &app,
        &token,
        Method::POST,
        &evaluate,
        Some(json!({"user": "bob"})),
        &[],
    )
    .await;
    assert_eq!(
        (status, d["decision"].as_str()),
        (StatusCode::OK, Some("allow")),
        "{d}"
    );
    let (status, _, _) = call(
        &app,
        &token,
        Method::POST,
        &evaluate,
        Some(json!({"user": "nobody"})),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, _) = call(
        &app,
        &token,
        Method::PUT,
        "/clients/nope/sign-on-policy",
        Some(policy("x", 0, json!({}))),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let wrong = json!({"policies": "@id(\"x\") permit (principal, action == Sigil::Action::\"GET\", resource);"});
    let (status, _, problem) = call(&app, &token, Method::PUT, &path, Some(wrong), &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, _, saved) = call(
        &app,
        &token,
        Method::PUT,
        &path,
        Some(policy(&client, 0, json!({}))),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(
        (saved["client_id"].as_str(), saved["version"].as_i64()),
        (Some(client.as_str()), Some(1))
    );

    // The dry run names the determining policies.
    let (status, _, d) = call(
        &app,
        &token,
        Method::POST,
        &evaluate,
        Some(json!({"user": "ann"})),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(
        (d["decision"].as_str(), d["policies"].clone()),
        (Some("allow"), json!(["staff-only"]))
    );
    let (_, _, d) = call(
        &app,
        &token,
        Method::POST,
        &evaluate,
        Some(json!({"user": "bob"})),
        &[],
    )
    .await;
    assert_eq!(d["decision"], "deny");

    // Enforced at sign-in.
    let bob = authorize(&app, &app.browser(), &client, "bob").await;
    assert_eq!(
        query_param(&bob, "error").as_deref(),
        Some("access_denied"),
        "{bob}"
    );
    let ann_browser = app.browser();
    let ann_done = authorize(&app, &ann_browser, &client, "ann").await;
    assert!(query_param(&ann_done, "code").is_some(), "{ann_done}");

    // Assurance 2 is more than a password sign-in (1) gives: ann, signed in already, is asked
    // to authenticate again, and refused when she signs in with a password again.
    let (status, _, saved) = call(
        &app,
        &token,
        Method::PUT,
        &path,
        Some(policy(&client, 2, json!({}))),
        &[],
    )
    .await;
    assert_eq!(
        (status, saved["version"].as_i64()),
        (StatusCode::OK, Some(2))
    );
    let (_, challenge) = pkce::pair();
    let again = ann_browser
        .follow(
            ann_browser
                .get(&authorize_url(&app, &client, &challenge, ""))
                .await,
        )
        .await;
    assert!(
        again.has_form("/login"),
        "asked to sign in again: {}",
        again.status
    );
    let refused = ann_browser
        .authorize(
            &authorize_url(&app, &client, &challenge, ""),
            "ann",
            PASSWORD,
        )
        .await
        .location()
        .unwrap();
    assert_eq!(
        query_param(&refused, "error").as_deref(),
        Some("access_denied")
    );
    assert!(
        query_param(&refused, "error_description")
            .unwrap()
            .contains("stronger")
    );
    let (_, _, d) = call(
        &app,
        &token,
        Method::POST,
        &evaluate,
        Some(json!({"user": "ann", "acr": "urn:sigil:acr:credential"})),
        &[],
    )
    .await;
    assert_eq!(d["decision"], "allow", "a credential sign-in is level 2");
    // A deployment that rates passwords at 2 lets her in.
    let levels = json!({"urn:sigil:acr:password": 2});
    call(
        &app,
        &token,
        Method::PUT,
        &path,
        Some(policy(&client, 2, levels)),
        &[],
    )
    .await;
    let ok = authorize(&app, &app.browser(), &client, "ann").await;
    assert!(query_param(&ok, "code").is_some(), "{ok}");

    // Refusals are audited; removing the policy lets everyone in.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let (events, _) = app
        .provider
        .list_audit(&tenant, sigil_store::AuditQuery::latest(100))
        .await
        .unwrap();
    assert!(
        events
            .iter()
            .any(|r| r.event.kind.as_str() == "sign_on.denied")
    );
    for _ in 0..2 {
        // Removing is idempotent: the second time there is nothing to remove.
        let (status, _, _) = call(&app, &token, Method::DELETE, &path, None, &[]).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    let bob = authorize(&app, &app.browser(), &client, "bob").await;
    assert!(query_param(&bob, "code").is_some(), "{bob}");
}
