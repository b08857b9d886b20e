//! Sigil as a SAML identity provider over HTTP: its metadata, SP-initiated sign-in over both
//! bindings (XML-signed HTTP-POST requests too), and every request it must not answer, or must
//! answer with an error status: unknown SPs, consumer services outside the metadata, DTDs, a
//! wrong `Destination`, unsigned, forged or altered requests from an SP that signs,
//! `ForceAuthn` over an existing session, a request claimed by another browser; SPs managed
//! through the API; an SP's sign-on policy. The helpers here serve `saml_logout` and
//! `saml_keys` too. (pysaml2 checks the signatures: tests/saml.)

use std::io::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sigil_core::UnixTime;
use sigil_core::model::SigningAlg;
use sigil_keys::SigningKey;
use sigil_keys::x509::self_signed_certificate;
use sigil_test_utils::browser::Page;
use sigil_test_utils::{Browser, PASSWORD, TestApp};

pub(super) const SP: &str = "https://sp.example.test/metadata";
pub(super) const ACS: &str = "https://sp.example.test/acs";

pub(super) fn sp_metadata(signing_cert: Option<&[u8]>) -> String {
    let (signed, key) = match signing_cert {
        Some(der) => (
            "true",
            format!(
                r#"<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#,
                STANDARD.encode(der)
            ),
        ),
        None => ("false", String::new()),
    };
    format!(
        r#"<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{SP}"><md:SPSSODescriptor AuthnRequestsSigned="{signed}" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">{key}<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat><md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://sp.example.test/slo"/><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{ACS}" index="0" isDefault="true"/></md:SPSSODescriptor></md:EntityDescriptor>"#
    )
}

pub(super) fn authn_request(app: &TestApp, extra: &str) -> String {
    format!(
        r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="req-1" Version="2.0" IssueInstant="2026-11-28T10:00:00Z" Destination="{}" {extra}><saml:Issuer>{SP}</saml:Issuer></samlp:AuthnRequest>"#,
        app.url("/saml/sso")
    )
}

fn deflated(xml: &str) -> String {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(xml.as_bytes()).unwrap();
    STANDARD.encode(enc.finish().unwrap())
}

fn enc(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The HTTP-Redirect URL of `xml` at SSO, signed with `key` when given.
pub(super) fn redirect_url(app: &TestApp, xml: &str, key: Option<&SigningKey>) -> String {
    redirect_to(app, "/saml/sso", xml, key)
}

/// The HTTP-Redirect URL of `xml` at `path`, signed with `key` when given.
pub(super) fn redirect_to(
    app: &TestApp,
    path: &str,
    xml: &str,
    key: Option<&SigningKey>,
) -> String {
    let mut query = format!(
        "SAMLRequest={}&RelayState={}",
        enc(&deflated(xml)),
        enc("/back")
    );
    if let Some(key) = key {
        query.push_str(&format!("&SigAlg={}", enc(sigil_saml::dsig::RSA_SHA256)));
        let signature = STANDARD.encode(key.sign(query.as_bytes()));
        query.push_str(&format!("&Signature={}", enc(&signature)));
    }
    app.url(&format!("{path}?{query}"))
}

/// The form Sigil's page posts to the ACS: its fields.
pub(super) fn acs_form(page: &Page) -> Vec<(String, String)> {
    assert!(page.has_form("/acs"), "{} {}", page.status, page.html);
    page.form_fields("/acs")
}

pub(super) fn response_xml(fields: &[(String, String)]) -> String {
    let value = &fields.iter().find(|(k, _)| k == "SAMLResponse").unwrap().1;
    String::from_utf8(STANDARD.decode(value).unwrap()).unwrap()
}

/// The `SessionIndex` a response gives.
pub(super) fn session_index_of(xml: &str) -> String {
    xml.split("SessionIndex=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned()
}

/// Sigil's IdP metadata.
pub(super) async fn idp_metadata(app: &TestApp) -> String {
    let res = app
        .http()
        .get(app.url("/saml/metadata"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

/// The certificates (base64 DER) a metadata document publishes, in order.
pub(super) fn certificates_in(metadata: &str) -> Vec<String> {
    metadata
        .split("<ds:X509Certificate>")
        .skip(1)
        .filter_map(|rest| rest.split('<').next())
        .map(str::to_owned)
        .collect()
}

pub(super) async fn registered(signing_cert: Option<&[u8]>) -> TestApp {
    let app = TestApp::spawn().await;
    app.create_user("ada").await;
    let t = app.provider.tenant_ctx(&app.tenant());
    app.provider
        .import_saml_sp(
            &t,
            "test",
            Some("sp"),
            &sp_metadata(signing_cert),
            Default::default(),
        )
        .await
        .unwrap();
    app
}

pub(super) async fn sign_in(browser: &Browser, login: Page) -> Page {
    let location = login.location().expect("sent to sign in");
    let page = browser.get(&location).await;
    let next = browser
        .submit(
            &page,
            "/login",
            &[("username", "ada"), ("password", PASSWORD)],
        )
        .await;
    browser.follow(next).await
}

#[tokio::test]
async fn an_sp_signs_a_user_in_over_either_binding() {
    let app = registered(None).await;
    let metadata = app
        .http()
        .get(app.url("/saml/metadata"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        metadata.headers()["content-type"],
        "application/samlmetadata+xml"
    );
    let xml = metadata.text().await.unwrap();
    assert!(xml.contains("<ds:X509Certificate>"), "{xml}");
    assert!(xml.contains(&app.url("/saml/sso")));

    // HTTP-Redirect: sign in, then a signed response for the ACS with the email NameID.
    let browser = app.browser();
    let start = browser
        .get(&redirect_url(&app, &authn_request(&app, ""), None))
        .await;
    let posted = sign_in(&browser, start).await;
    let fields = acs_form(&posted);
    assert!(fields.contains(&("RelayState".into(), "/back".into())));
    let csp = posted.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("https://sp.example.test"), "{csp}");
    let xml = response_xml(&fields);
    for expected in [
        "InResponseTo=\"req-1\"",
        "status:Success",
        ">ada@example.com</saml:NameID>",
        &format!("<saml:Audience>{SP}</saml:Audience>"),
        &format!("Recipient=\"{ACS}\""),
        "<ds:SignatureValue>",
    ] {
        assert!(xml.contains(expected), "{expected} in {xml}");
    }

    // HTTP-POST arrives without Sigil's cookies: the browser that follows the redirect claims it.
    let post = app
        .http()
        .post(app.url("/saml/sso"))
        .form(&[("SAMLRequest", STANDARD.encode(authn_request(&app, "")))])
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 303);
    let continue_at = post.headers()["location"].to_str().unwrap().to_owned();
    let page = browser.follow(browser.get(&continue_at).await).await;
    assert!(
        acs_form(&page).iter().any(|(k, _)| k == "SAMLResponse"),
        "signed in already"
    );
    let thief = app.browser();
    assert_eq!(thief.get(&continue_at).await.status, 400, "used up");

    // IdP-initiated from the SP's link: the user signs in, and an unsolicited response goes
    // to the default consumer service.
    let fresh = app.browser();
    let start = fresh.get("/saml/sp/sp/login?RelayState=%2Fhome").await;
    let page = sign_in(&fresh, start).await;
    let fields = acs_form(&page);
    assert!(fields.contains(&("RelayState".into(), "/home".into())));
    let xml = response_xml(&fields);
    assert!(
        xml.contains("status:Success") && !xml.contains("InResponseTo"),
        "{xml}"
    );
    assert_eq!(fresh.get("/saml/sp/nope/login").await.status, 400);
}

#[tokio::test]
async fn requests_sigil_must_not_answer_are_refused() {
    let app = registered(None).await;
    let browser = app.browser();
    let unknown = authn_request(&app, "").replace(SP, "https://stranger.example");
    let cases = [
        (unknown, "not registered"),
        (
            authn_request(
                &app,
                "AssertionConsumerServiceURL=\"https://evil.example/acs\"",
            ),
            "assertion consumer service",
        ),
        (
            format!(
                "<!DOCTYPE x [<!ENTITY e \"e\">]>{}",
                authn_request(&app, "")
            ),
            "not valid",
        ),
    ];
    for (xml, why) in cases {
        let page = browser.get(&redirect_url(&app, &xml, None)).await;
        assert_eq!(page.status, 400, "{why}");
        assert!(page.html.contains(why), "{why}: {}", page.html);
        assert!(!page.has_form("/acs"));
    }

    // A request for another IdP is answered, but with an error status.
    let wrong =
        authn_request(&app, "").replace(&app.url("/saml/sso"), "https://other-idp.example/sso");
    let page = browser.get(&redirect_url(&app, &wrong, None)).await;
    let xml = response_xml(&acs_form(&page));
    assert!(
        xml.contains("status:Requester") && !xml.contains("Assertion"),
        "{xml}"
    );
}

#[tokio::test]
async fn an_sp_that_signs_must_sign_and_force_authn_asks_again() {
    let (key, _) = SigningKey::generate(SigningAlg::RS256).unwrap();
    let cert = self_signed_certificate(&key, "sp", &[], UnixTime(1_700_000_000), 3650).unwrap();
    let app = registered(Some(&cert)).await;
    let browser = app.browser();
    let request = authn_request(&app, "");

    let unsigned = browser.get(&redirect_url(&app, &request, None)).await;
    assert_eq!(unsigned.status, 400);
    let (other, _) = SigningKey::generate(SigningAlg::RS256).unwrap();
    let forged = browser
        .get(&redirect_url(&app, &request, Some(&other)))
        .await;
    assert_eq!(forged.status, 400);
    assert!(forged.html.contains("does not verify"), "{}", forged.html);

    let signed = browser.get(&redirect_url(&app, &request, Some(&key))).await;
    let posted = sign_in(&browser, signed).await;
    acs_form(&posted);

    // Over HTTP-POST the request carries an enveloped XML signature: checked the same way.
    let post = |xml: String| {
        let app = &app;
        async move {
            app.http()
                .post(app.url("/saml/sso"))
                .form(&[("SAMLRequest", STANDARD.encode(xml))])
                .send()
                .await
                .unwrap()
        }
    };
    let xml_signed =
        sigil_saml::dsig::sign_enveloped(post_request(&app), "req-post", 1, &key, &cert)
            .unwrap()
            .to_canonical();
    assert_eq!(
        post(xml_signed.clone()).await.status(),
        303,
        "signed: accepted"
    );
    assert_eq!(
        post(post_request(&app).to_canonical()).await.status(),
        400,
        "unsigned"
    );
    let altered = xml_signed.replace("req-post\"", "req-post\" ForceAuthn=\"true\"");
    let refused = post(altered).await;
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("digest"));
    let by_other =
        sigil_saml::dsig::sign_enveloped(post_request(&app), "req-post", 1, &other, &cert)
            .unwrap()
            .to_canonical();
    assert_eq!(post(by_other).await.status(), 400, "signed by another key");

    // Signed in, but the SP insists on a fresh authentication: the sign-in page again.
    let force = authn_request(&app, "ForceAuthn=\"true\"");
    let again = browser.get(&redirect_url(&app, &force, Some(&key))).await;
    assert!(
        again.location().unwrap().contains("/login"),
        "{:?}",
        again.location()
    );
    let posted = sign_in(&browser, again).await;
    assert!(response_xml(&acs_form(&posted)).contains("status:Success"));
}

/// An AuthnRequest (ID `req-post`) as an element, to be signed for HTTP-POST.
pub(super) fn post_request(app: &TestApp) -> sigil_saml::xml::Element {
    use sigil_saml::xml::Element;
    Element::new("samlp:AuthnRequest")
        .ns("samlp", sigil_saml::SAMLP)
        .attr("ID", "req-post")
        .attr("Version", "2.0")
        .attr("IssueInstant", "2026-11-28T10:00:00Z")
        .attr("Destination", app.url("/saml/sso"))
        .child(
            Element::new("saml:Issuer")
                .ns("saml", sigil_saml::SAML)
                .text(SP),
        )
}

pub(super) fn other_key() -> SigningKey {
    SigningKey::generate(SigningAlg::RS256).unwrap().0
}

#[tokio::test]
async fn service_providers_are_managed_through_the_api() {
    use reqwest::{Method, StatusCode};
    use serde_json::json;

    use super::api::call;

    let app = TestApp::spawn().await;
    let token = app.admin_token(&["clients:read", "clients:write"]).await;
    let path = "/saml/service-providers/wiki";
    let body = json!({"metadata": sp_metadata(None), "attribute_map": {"mail": "email"}});
    let (status, _, sp) = call(&app, &token, Method::PUT, path, Some(body.clone()), &[]).await;
    assert_eq!(status, StatusCode::OK, "{sp}");
    assert_eq!(
        (sp["name"].as_str(), sp["version"].as_i64()),
        (Some("wiki"), Some(1))
    );
    assert_eq!(sp["metadata"]["entity_id"], SP);
    assert_eq!(sp["login_url"], app.url("/saml/sp/wiki/login"));
    assert_eq!(sp["encrypt_assertions"], false);
    assert_eq!(sp["allow_legacy_algorithms"], false);
    let mut legacy = body.clone();
    legacy["allow_legacy_algorithms"] = json!(true);
    let (_, _, again) = call(&app, &token, Method::PUT, path, Some(legacy), &[]).await;
    assert_eq!(again["version"], 2);
    assert_eq!(again["allow_legacy_algorithms"], true);

    let refusals = [
        (
            "/saml/service-providers/other",
            json!({"metadata": sp_metadata(None)}),
            StatusCode::CONFLICT,
        ),
        (
            "/saml/service-providers/bad",
            json!({"metadata": "<x/>"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/saml/service-providers/Bad",
            json!({"metadata": sp_metadata(None)}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/saml/service-providers/bad",
            json!({"metadata": sp_metadata(None), "attribute_map": {"a": "password"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        // Encryption wanted, but the metadata has no certificate to encrypt to.
        (
            "/saml/service-providers/wiki",
            json!({"metadata": sp_metadata(None), "encrypt_assertions": true}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (path, body, expected) in refusals {
        let (status, _, problem) = call(&app, &token, Method::PUT, path, Some(body), &[]).await;
        assert_eq!(status, expected, "{path}: {problem}");
    }
    let (_, _, list) = call(
        &app,
        &token,
        Method::GET,
        "/saml/service-providers",
        None,
        &[],
    )
    .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (status, _, _) = call(&app, &token, Method::DELETE, path, None, &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = call(&app, &token, Method::GET, path, None, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let reader = app.admin_token(&["clients:read"]).await;
    let (status, _, _) = call(&app, &reader, Method::DELETE, path, None, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_sps_sign_on_policy_decides_who_signs_in_and_how_strongly() {
    let app = registered(None).await;
    app.create_user("bob").await;
    let t = app.provider.tenant_ctx(&app.tenant());
    let policy = |assurance: u32| -> sigil_policy::SignOnPolicy {
        serde_json::from_value(serde_json::json!({
            "policies": "@id(\"ada-only\")\npermit (principal == Sigil::User::\"ada\", action == Sigil::Action::\"SignIn\", resource == Sigil::Client::\"saml:sp\");\n",
            "assurance": assurance,
        }))
        .unwrap()
    };
    app.provider
        .save_sign_on_policy(&t, "test", "saml:sp", policy(0))
        .await
        .unwrap();
    assert!(
        app.provider
            .save_sign_on_policy(&t, "test", "saml:nope", policy(0))
            .await
            .is_err(),
        "only a registered SP has a policy"
    );
    let token = app.admin_token(&["policies:read"]).await;
    let (status, _, body) = super::api::call(
        &app,
        &token,
        reqwest::Method::GET,
        "/clients/saml:sp/sign-on-policy",
        None,
        &[],
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["version"].as_i64()),
        (200, Some(1)),
        "{body}"
    );

    // Allowed: a signed response; refused: an AuthnFailed answer, no assertion.
    let answer = |user: &'static str| {
        let app = &app;
        async move {
            let browser = app.browser();
            let start = browser
                .get(&redirect_url(app, &authn_request(app, ""), None))
                .await;
            let login = browser.get(&start.location().unwrap()).await;
            let next = browser
                .submit(
                    &login,
                    "/login",
                    &[("username", user), ("password", PASSWORD)],
                )
                .await;
            let page = browser.follow(next).await;
            (browser, response_xml(&acs_form(&page)))
        }
    };
    let (_, xml) = answer("ada").await;
    assert!(xml.contains("status:Success"), "{xml}");
    let (_, xml) = answer("bob").await;
    assert!(
        xml.contains("status:AuthnFailed") && !xml.contains("<saml:Assertion"),
        "{xml}"
    );

    // A policy needing more than a password: the user is asked to sign in again, and a
    // second password sign-in is still not enough.
    app.provider
        .save_sign_on_policy(&t, "test", "saml:sp", policy(2))
        .await
        .unwrap();
    let browser = app.browser();
    let start = browser
        .get(&redirect_url(&app, &authn_request(&app, ""), None))
        .await;
    let login = browser.get(&start.location().unwrap()).await;
    let next = browser
        .submit(
            &login,
            "/login",
            &[("username", "ada"), ("password", PASSWORD)],
        )
        .await;
    let again = browser.follow(next).await;
    assert!(
        again.has_form("/login"),
        "asked to sign in again: {}",
        again.html
    );
    let next = browser
        .submit(
            &again,
            "/login",
            &[("username", "ada"), ("password", PASSWORD)],
        )
        .await;
    let page = browser.follow(next).await;
    let xml = response_xml(&acs_form(&page));
    assert!(xml.contains("status:AuthnFailed"), "{xml}");
}
