//! Credential types and verifiers an administrator defines through the management API: a
//! type filled from a profile attribute is offered, received by the wallet and presented to
//! a defined verifier, which keeps only what it asked; bad definitions are refused.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sigil_cli::wallet::{Wallet, present, receive};
use sigil_oidc::admin::NewUser;
use sigil_test_utils::TestApp;

use super::api::call;

#[tokio::test]
async fn a_defined_type_is_issued_and_a_defined_verifier_checks_it() {
    let app = TestApp::spawn().await;
    let attributes = json!({"department": "R&D"}).as_object().cloned().unwrap();
    let new = NewUser {
        username: "dana".into(),
        email: Some("dana@example.com".into()),
        email_verified: true,
        attributes,
        ..NewUser::default()
    };
    let user = app
        .provider
        .create_user(&app.tenant(), new, "test")
        .await
        .unwrap();
    let token = app
        .admin_token(&[
            "credentials:read",
            "credentials:write",
            "presentations:read",
            "presentations:write",
        ])
        .await;
    let badge = json!({
        "vct": app.url("/vct/badge"),
        "display": [{"name": "Staff badge", "locale": "en"}],
        "claims": [
            {"name": "department", "source": "attributes.department", "display": [{"name": "Department"}]},
            {"name": "email", "source": "email", "disclosable": false},
        ],
        "lifetime_secs": 86400,
    });
    let (status, _, body) = call(
        &app,
        &token,
        Method::PUT,
        "/credential-types/badge",
        Some(badge),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], "badge");
    let meta: Value = app
        .http()
        .get(app.url("/.well-known/openid-credential-issuer"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        meta["credential_configurations_supported"]["badge"]["credential_metadata"]["display"][0]["name"],
        "Staff badge"
    );

    let offer = json!({"type": "badge", "user_id": user.id.as_str()});
    let (status, _, body) = call(
        &app,
        &token,
        Method::POST,
        "/credential-offers",
        Some(offer),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let dir = tempfile::tempdir().unwrap();
    let now = app.provider.now().0;
    let mut wallet = Wallet::open(dir.path()).unwrap();
    receive(
        &mut wallet,
        body["credential_offer_uri"].as_str().unwrap(),
        None,
        now,
    )
    .await
    .unwrap();
    assert_eq!(wallet.credentials[0].claims["department"], "R&D");
    let visible =
        sigil_test_utils::jwt_claims(wallet.credentials[0].credential.split('~').next().unwrap());
    assert_eq!(
        visible["email"], "dana@example.com",
        "not disclosable: always visible"
    );
    assert!(
        visible.get("department").is_none(),
        "disclosable: behind a digest"
    );

    let verifier = json!({
        "name": "Badge check",
        "dcql_query": {"credentials": [{
            "id": "badge", "format": "dc+sd-jwt",
            "meta": {"vct_values": [app.url("/vct/badge")]},
            "claims": [{"path": ["department"], "values": ["R&D", "Ops"]}],
        }]},
        "accepted_issuers": [app.base],
    });
    let (status, _, body) = call(
        &app,
        &token,
        Method::PUT,
        "/verifiers/badge-check",
        Some(verifier),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, body) = call(
        &app,
        &token,
        Method::POST,
        "/verifiers/badge-check/requests",
        Some(json!({})),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    present(
        &wallet,
        body["request_uri"].as_str().unwrap(),
        |_| true,
        now,
    )
    .await
    .unwrap();
    let (_, _, result) = call(
        &app,
        &token,
        Method::GET,
        &format!("/presentations/{id}"),
        None,
        &[],
    )
    .await;
    assert_eq!(result["status"], "verified", "{result}");
    assert_eq!(
        result["claims"],
        json!({"badge": {"department": "R&D"}}),
        "only what was asked"
    );

    let (_, _, list) = call(&app, &token, Method::GET, "/verifiers", None, &[]).await;
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["id"].as_str())
        .collect();
    assert_eq!(ids, ["employee-check", "badge-check"]);
    let (status, _, _) = call(
        &app,
        &token,
        Method::DELETE,
        "/verifiers/badge-check",
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = call(
        &app,
        &token,
        Method::DELETE,
        "/verifiers/badge-check",
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_definitions_are_refused() {
    let app = TestApp::spawn().await;
    let token = app
        .admin_token(&["credentials:write", "presentations:write"])
        .await;
    let good_claims = json!([{"name": "email", "source": "email"}]);
    for (path, body) in [
        (
            "/credential-types/employee",
            json!({"vct": "urn:x", "claims": good_claims, "lifetime_secs": 3600}),
        ),
        (
            "/credential-types/x",
            json!({"vct": "urn:x", "claims": [{"name": "iss", "source": "email"}], "lifetime_secs": 3600}),
        ),
        (
            "/credential-types/x",
            json!({"vct": "urn:x", "claims": [{"name": "a", "source": "phone"}], "lifetime_secs": 3600}),
        ),
        (
            "/credential-types/x",
            json!({"vct": "not a uri", "claims": good_claims, "lifetime_secs": 3600}),
        ),
        (
            "/credential-types/x",
            json!({"vct": "urn:x", "claims": good_claims, "lifetime_secs": 1}),
        ),
        (
            "/verifiers/employee-check",
            json!({"name": "x", "dcql_query": {"credentials": [{"id": "a", "format": "dc+sd-jwt"}]}, "accepted_issuers": ["https://i"]}),
        ),
        (
            "/verifiers/v",
            json!({"name": "x", "dcql_query": {"credentials": []}, "accepted_issuers": ["https://i"]}),
        ),
        (
            "/verifiers/v",
            json!({"name": "x", "dcql_query": {"credentials": [{"id": "a", "format": "mso_mdoc"}]}, "accepted_issuers": ["https://i"]}),
        ),
        (
            "/verifiers/v",
            json!({"name": "x", "dcql_query": {"credentials": [{"id": "a", "format": "dc+sd-jwt"}]}, "accepted_issuers": []}),
        ),
    ] {
        let (status, _, body) =
            call(&app, &token, Method::PUT, path, Some(body.clone()), &[]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path} {body}");
    }
}

#[tokio::test]
async fn a_verifier_accepts_another_issuers_credentials_and_follows_their_status() {
    let issuer = super::credentials::fresh().await;
    let verifier = TestApp::spawn().await;
    let offer = super::credentials::offer(&issuer, "holder", false).await;
    let dir = tempfile::tempdir().unwrap();
    let now = issuer.provider.now().0;
    let mut wallet = Wallet::open(dir.path()).unwrap();
    receive(&mut wallet, &offer.credential_offer_uri, None, now)
        .await
        .unwrap();

    let token = verifier
        .admin_token(&["presentations:read", "presentations:write"])
        .await;
    let define = |accepted: &str| {
        json!({
            "name": "Partner staff",
            "dcql_query": {"credentials": [{"id": "staff", "format": "dc+sd-jwt",
                "meta": {"vct_values": [issuer.url("/vct/employee")]},
                "claims": [{"path": ["email"]}]}]},
            "accepted_issuers": [accepted],
        })
    };
    let ask = |id: &'static str| {
        let token = token.clone();
        let verifier = &verifier;
        async move {
            let path = format!("/verifiers/{id}/requests");
            let (_, _, body) =
                call(verifier, &token, Method::POST, &path, Some(json!({})), &[]).await;
            (
                body["id"].as_str().unwrap().to_owned(),
                body["request_uri"].as_str().unwrap().to_owned(),
            )
        }
    };
    let result = |id: String| {
        let token = token.clone();
        let verifier = &verifier;
        async move {
            call(
                verifier,
                &token,
                Method::GET,
                &format!("/presentations/{id}"),
                None,
                &[],
            )
            .await
            .2
        }
    };
    call(
        &verifier,
        &token,
        Method::PUT,
        "/verifiers/partner",
        Some(define(&issuer.base)),
        &[],
    )
    .await;
    call(
        &verifier,
        &token,
        Method::PUT,
        "/verifiers/stranger",
        Some(define("https://someone-else.example")),
        &[],
    )
    .await;

    let (id, link) = ask("partner").await;
    present(&wallet, &link, |_| true, now).await.unwrap();
    let verified = result(id).await;
    assert_eq!(verified["status"], "verified", "{verified}");
    assert_eq!(verified["claims"]["staff"]["email"], "holder@example.com");

    let (id, link) = ask("stranger").await;
    present(&wallet, &link, |_| true, now).await.unwrap();
    let refused = result(id).await;
    assert_eq!(refused["status"], "rejected");
    assert!(
        refused["reason"].as_str().unwrap().contains("not accepted"),
        "{refused}"
    );

    issuer
        .provider
        .change_credential_status(
            &issuer.tenant(),
            "test",
            &offer.credential_id,
            sigil_oidc::credentials::StatusChange::Suspend,
        )
        .await
        .unwrap();
    let (id, link) = ask("partner").await;
    present(&wallet, &link, |_| true, now).await.unwrap();
    let suspended = result(id).await;
    assert_eq!(suspended["status"], "rejected");
    assert!(
        suspended["reason"].as_str().unwrap().contains("suspended"),
        "{suspended}"
    );
}
