//! The OpenID4VCI authorization code flow as a wallet app drives it: the user signs in at
//! Sigil and approves, the wallet exchanges the code for a credential access token and the
//! `credential_identifiers` of what it asked for (with `authorization_details`, or an offer's
//! `issuer_state`), and requests the credential by identifier; and each refusal the flow owes.

use serde_json::{Value, json};
use sigil_oidc::admin::NewClient;
use sigil_oidc::credentials::OfferGrant;
use sigil_test_utils::browser::{Page, query_param};
use sigil_test_utils::{PASSWORD, TestApp, jwt_claims, pkce};

use super::credentials::{credential, fresh, get_json, holder, nonce, offer_of, proof};

pub(super) const WALLET_CB: &str = "https://wallet.example/cb";

pub(super) fn employee_details() -> String {
    json!([{"type": "openid_credential", "credential_configuration_id": "employee"}]).to_string()
}

/// A wallet app: a public client with PKCE.
pub(super) async fn wallet(app: &TestApp, first_party: bool) -> String {
    app.create_client(NewClient {
        name: "Holder Wallet".into(),
        redirect_uris: vec![WALLET_CB.into()],
        public: true,
        first_party,
        ..NewClient::default()
    })
    .await
    .client_id
}

/// The authorization URL with `extra` parameters; the PKCE verifier.
fn authorize_url(app: &TestApp, client_id: &str, extra: &[(&str, &str)]) -> (String, String) {
    let (verifier, challenge) = pkce::pair();
    let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", WALLET_CB)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", "st");
    for (k, v) in extra {
        url.query_pairs_mut().append_pair(k, v);
    }
    (url.to_string(), verifier)
}

/// The wallet's redirect: its `code`, or its `error`.
pub(super) fn returned(page: &Page, name: &str) -> Option<String> {
    let location = page.location().expect("a redirect to the wallet");
    assert!(location.starts_with(WALLET_CB), "{location}");
    assert_eq!(query_param(&location, "state").as_deref(), Some("st"));
    query_param(&location, name)
}

async fn exchange(app: &TestApp, client_id: &str, code: &str, verifier: &str) -> (u16, Value) {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", WALLET_CB),
        ("code_verifier", verifier),
        ("client_id", client_id),
    ];
    let (status, body, _) = app.post_form("/token", None, &form).await;
    (status, body)
}

/// Signs `username` in through the wallet's authorization request and exchanges the code.
async fn sign_in_for_token(
    app: &TestApp,
    client_id: &str,
    username: &str,
    extra: &[(&str, &str)],
) -> Value {
    let (url, verifier) = authorize_url(app, client_id, extra);
    let page = app.browser().authorize(&url, username, PASSWORD).await;
    let code = returned(&page, "code").unwrap_or_else(|| panic!("no code: {:?}", page.location()));
    let (status, token) = exchange(app, client_id, &code, &verifier).await;
    assert_eq!(status, 200, "{token}");
    token
}

fn identifier(token: &Value) -> String {
    token["authorization_details"][0]["credential_identifiers"][0]
        .as_str()
        .expect("a credential identifier")
        .to_owned()
}

/// An offer to `username` redeemed by signing in: the offer made, and its `issuer_state`.
async fn offer_by_sign_in(
    app: &TestApp,
    username: &str,
    type_id: &str,
) -> (sigil_oidc::credentials::CreatedOffer, String) {
    let created = offer_of(app, username, type_id, OfferGrant::SignIn).await;
    let offer = serde_json::to_value(&created.credential_offer).unwrap();
    let state = offer["grants"]["authorization_code"]["issuer_state"]
        .as_str()
        .expect("an issuer_state")
        .to_owned();
    (created, state)
}

#[tokio::test]
async fn a_wallet_that_signs_its_user_in_receives_the_credential_by_identifier() {
    let app = fresh().await;
    let client_id = wallet(&app, false).await;
    let (_, as_meta) = get_json(&app, &app.url("/.well-known/oauth-authorization-server")).await;
    assert_eq!(
        as_meta["authorization_details_types_supported"],
        json!(["openid_credential"])
    );

    // The consent page names the credential, and is asked every time.
    let details = employee_details();
    let (url, verifier) = authorize_url(&app, &client_id, &[("authorization_details", &details)]);
    let browser = app.browser();
    let login = browser.follow(browser.get(&url).await).await;
    let consent = browser
        .follow(
            browser
                .submit(
                    &login,
                    "/login",
                    &[("username", "holder"), ("password", PASSWORD)],
                )
                .await,
        )
        .await;
    assert!(consent.has_form("/consent"), "{}", consent.html);
    assert!(
        consent
            .html
            .contains("Receive your <strong>Employee</strong> credential")
    );
    let back = browser
        .submit(&consent, "/consent", &[("decision", "approve")])
        .await;
    let code = returned(&back, "code").unwrap();
    let (status, token) = exchange(&app, &client_id, &code, &verifier).await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["token_type"], "Bearer");
    assert!(token.get("id_token").is_none() && token.get("refresh_token").is_none());
    assert_eq!(
        token["authorization_details"][0]["type"],
        "openid_credential"
    );
    assert_eq!(
        token["authorization_details"][0]["credential_configuration_id"],
        "employee"
    );
    let id = identifier(&token);
    let access = token["access_token"].as_str().unwrap();

    // By configuration id, which the token response replaced: refused.
    let key = holder();
    let n = nonce(&app).await;
    let by_config = json!({"credential_configuration_id": "employee", "proofs": {"jwt": [proof(&app, &key, &n)]}});
    let (status, body) = credential(&app, access, &by_config).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_credential_request"))
    );
    let n = nonce(&app).await;
    let unknown =
        json!({"credential_identifier": "other", "proofs": {"jwt": [proof(&app, &key, &n)]}});
    let (status, body) = credential(&app, access, &unknown).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unknown_credential_identifier"))
    );

    let n = nonce(&app).await;
    let by_id = json!({"credential_identifier": id, "proofs": {"jwt": [proof(&app, &key, &n)]}});
    let (status, body) = credential(&app, access, &by_id).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["notification_id"], id.as_str());
    let sd_jwt = body["credentials"][0]["credential"].as_str().unwrap();
    let claims = jwt_claims(sd_jwt.split('~').next().unwrap());
    assert_eq!(claims["vct"], app.url("/vct/employee"));
    assert_eq!(claims["cnf"]["jwk"]["x"], key.public_jwk()["x"]);
    let res = app
        .http()
        .post(app.url("/vci/notification"))
        .bearer_auth(access)
        .json(&json!({"notification_id": id, "event": "credential_accepted"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);

    // The user's credentials list it, issued.
    let user = app
        .provider
        .credential_holder(&app.tenant(), "holder")
        .await
        .unwrap();
    let listed = app
        .provider
        .list_credentials(&app.tenant(), &user)
        .await
        .unwrap();
    let record = listed.iter().find(|c| c.id == id).expect("listed");
    assert_eq!((record.type_id.as_str(), record.copies), ("employee", 1));

    // prompt=none never issues silently to a third-party wallet.
    let (url, _) = authorize_url(
        &app,
        &client_id,
        &[("authorization_details", &details), ("prompt", "none")],
    );
    let page = browser.get(&url).await;
    assert_eq!(
        returned(&page, "error").as_deref(),
        Some("consent_required")
    );
}

#[tokio::test]
async fn an_offer_by_sign_in_is_redeemed_once_and_only_by_its_user() {
    let app = fresh().await;
    app.create_user("mallory").await;
    let client_id = wallet(&app, true).await;
    let (offer, state) = offer_by_sign_in(&app, "holder", "employee").await;

    // The offer by reference carries the authorization code grant only.
    let (status, by_reference) = get_json(&app, &offer.offer_url).await;
    assert_eq!(status, 200);
    assert_eq!(
        by_reference["grants"]["authorization_code"]["issuer_state"],
        state.as_str()
    );
    assert!(
        by_reference["grants"]
            .get(sigil_vc::offer::PRE_AUTHORIZED_GRANT)
            .is_none()
    );

    // Someone else signing in with it is refused.
    let (url, _) = authorize_url(&app, &client_id, &[("issuer_state", &state)]);
    let page = app.browser().authorize(&url, "mallory", PASSWORD).await;
    assert_eq!(returned(&page, "error").as_deref(), Some("access_denied"));

    // Its user, with issuer_state alone: the offer's credential.
    let token = sign_in_for_token(&app, &client_id, "holder", &[("issuer_state", &state)]).await;
    assert_eq!(identifier(&token), offer.credential_id);

    // Spent: a second authorization request with it is refused.
    let (url, _) = authorize_url(&app, &client_id, &[("issuer_state", &state)]);
    let page = app.browser().get(&url).await;
    assert_eq!(returned(&page, "error").as_deref(), Some("invalid_request"));
}

#[tokio::test]
async fn a_wallet_may_ask_by_the_scope_a_configuration_advertises() {
    let app = fresh().await;
    let client_id = wallet(&app, true).await;
    let (_, meta) = get_json(&app, &app.url("/.well-known/openid-credential-issuer")).await;
    let scope = meta["credential_configurations_supported"]["employee"]["scope"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = sign_in_for_token(&app, &client_id, "holder", &[("scope", &scope)]).await;
    assert!(
        token.get("authorization_details").is_none(),
        "no identifiers when asked by scope: {token}"
    );
    let key = holder();
    let n = nonce(&app).await;
    let body = json!({"credential_configuration_id": "employee", "proofs": {"jwt": [proof(&app, &key, &n)]}});
    let (status, issued) = credential(&app, token["access_token"].as_str().unwrap(), &body).await;
    assert_eq!(status, 200, "{issued}");

    // Credential scopes and others do not mix.
    let (url, _) = authorize_url(&app, &client_id, &[("scope", &format!("openid {scope}"))]);
    let page = app.browser().get(&url).await;
    assert_eq!(returned(&page, "error").as_deref(), Some("invalid_request"));
}

#[tokio::test]
async fn a_replayed_code_revokes_the_credential_token_it_gave() {
    let app = fresh().await;
    let client_id = wallet(&app, true).await;
    let details = employee_details();
    let (url, verifier) = authorize_url(&app, &client_id, &[("authorization_details", &details)]);
    let page = app.browser().authorize(&url, "holder", PASSWORD).await;
    let code = returned(&page, "code").unwrap();
    let (status, token) = exchange(&app, &client_id, &code, &verifier).await;
    assert_eq!(status, 200, "{token}");
    let (status, replay) = exchange(&app, &client_id, &code, &verifier).await;
    assert_eq!(
        (status, replay["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let key = holder();
    let n = nonce(&app).await;
    let body = json!({"credential_identifier": identifier(&token), "proofs": {"jwt": [proof(&app, &key, &n)]}});
    let (status, _) = credential(&app, token["access_token"].as_str().unwrap(), &body).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn bad_credential_authorization_requests_get_the_spec_errors() {
    let app = fresh().await;
    let client_id = wallet(&app, true).await;
    let token_for_api = app.admin_token(&["credentials:write"]).await;
    let restricted = json!({"vct": app.url("/vct/badge"), "claims": [{"name": "name", "source": "name"}],
        "lifetime_secs": 3600, "offer_required": true});
    let res = app
        .http()
        .put(app.url("/api/v1/credential-types/badge"))
        .bearer_auth(&token_for_api)
        .json(&restricted)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let detail = |id: &str| {
        json!([{"type": "openid_credential", "credential_configuration_id": id}]).to_string()
    };
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (
            vec![("authorization_details", detail("nope"))],
            "invalid_authorization_details",
        ),
        (
            vec![("authorization_details", detail("badge"))],
            "invalid_authorization_details",
        ),
        (
            vec![("authorization_details", "[{\"type\":\"payment\"}]".into())],
            "invalid_authorization_details",
        ),
        (
            vec![("authorization_details", "{".into())],
            "invalid_authorization_details",
        ),
        (
            vec![
                ("authorization_details", detail("employee")),
                ("scope", "openid".into()),
            ],
            "invalid_request",
        ),
        (
            vec![("issuer_state", "not-an-offer".into())],
            "invalid_request",
        ),
        (
            vec![
                ("authorization_details", detail("employee")),
                ("resource", "https://rs.example".into()),
            ],
            "invalid_target",
        ),
    ];
    for (extra, expected) in cases {
        let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (url, _) = authorize_url(&app, &client_id, &extra);
        let page = app.browser().get(&url).await;
        assert_eq!(
            returned(&page, "error").as_deref(),
            Some(expected),
            "{extra:?}"
        );
    }

    // A type issued only through offers, with one.
    let (_, state) = offer_by_sign_in(&app, "holder", "badge").await;
    let token = sign_in_for_token(
        &app,
        &client_id,
        "holder",
        &[
            ("authorization_details", &detail("badge")),
            ("issuer_state", &state),
        ],
    )
    .await;
    assert_eq!(
        token["authorization_details"][0]["credential_configuration_id"],
        "badge"
    );

    // An offer by sign-in has no transaction code.
    let holder_id = app
        .provider
        .credential_holder(&app.tenant(), "holder")
        .await
        .unwrap();
    let res = app
        .http()
        .post(app.url("/api/v1/credential-offers"))
        .bearer_auth(&token_for_api)
        .json(&json!({"type": "employee", "user_id": holder_id.as_str(), "grant": "authorization_code", "tx_code": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let res = app
        .http()
        .post(app.url("/api/v1/credential-offers"))
        .bearer_auth(&token_for_api)
        .json(
            &json!({"type": "badge", "user_id": holder_id.as_str(), "grant": "authorization_code"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    let (_, by_reference) = get_json(&app, body["offer_url"].as_str().unwrap()).await;
    assert!(by_reference["grants"]["authorization_code"]["issuer_state"].is_string());
}
