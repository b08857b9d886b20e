//! SAML single logout at Sigil's IdP: started by an SP (signed over the query string or, over
//! HTTP-POST, with an XML signature; only the subject's own sessions end), started at Sigil
//! (each SP of the session visited in turn), and an SP's logout reaching the session's other
//! SPs first, and the session's OpenID Connect clients (over the back channel, and in frames
//! on the way back to the SP).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sigil_core::UnixTime;
use sigil_core::model::SigningAlg;
use sigil_keys::SigningKey;
use sigil_keys::x509::self_signed_certificate;

use super::hooks::receiver;
use super::logout_channels::{listening_client, validated_logout_token, wait_for};
use super::saml::{
    SP, acs_form, authn_request, certificates_in, idp_metadata, other_key, redirect_to,
    redirect_url, registered, response_xml, session_index_of, sign_in, sp_metadata,
};

/// Sigil's IdP certificates as a verifier trusts them.
fn idp_trust(certificates: &[String]) -> sigil_saml::verify::Trust<'_> {
    sigil_saml::verify::Trust {
        certificates,
        allow_legacy: false,
    }
}

fn logout_request(name_id: &str, session_index: &str) -> String {
    format!(
        r#"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="lo-1" Version="2.0" IssueInstant="2026-11-28T10:00:00Z"><saml:Issuer>{SP}</saml:Issuer><saml:NameID>{name_id}</saml:NameID><samlp:SessionIndex>{session_index}</samlp:SessionIndex></samlp:LogoutRequest>"#
    )
}

#[tokio::test]
async fn single_logout_needs_a_signature_and_the_subjects_own_session() {
    let (key, _) = SigningKey::generate(SigningAlg::RS256).unwrap();
    let cert = self_signed_certificate(&key, "sp", &[], UnixTime(1_700_000_000), 3650).unwrap();
    let app = registered(Some(&cert)).await;
    let browser = app.browser();
    let start = browser
        .get(&redirect_url(&app, &authn_request(&app, ""), Some(&key)))
        .await;
    let xml = response_xml(&acs_form(&sign_in(&browser, start).await));
    let session_index = session_index_of(&xml);

    // Unsigned, or about someone else: the session stays.
    let mine = logout_request("ada@example.com", &session_index);
    let unsigned = browser
        .get(&redirect_to(&app, "/saml/slo", &mine, None))
        .await;
    assert_eq!(unsigned.status, 400);
    assert!(
        unsigned.html.contains("must be signed"),
        "{}",
        unsigned.html
    );
    let theirs = logout_request("mallory@example.com", &session_index);
    let other = browser
        .get(&redirect_to(&app, "/saml/slo", &theirs, Some(&key)))
        .await;
    assert!(
        other
            .location()
            .unwrap()
            .starts_with("https://sp.example.test/slo?SAMLResponse=")
    );
    assert_eq!(browser.get("/account").await.status, 200, "still signed in");

    // Signed and about this user's session: it ends, and the response is signed.
    let out = browser
        .get(&redirect_to(&app, "/saml/slo", &mine, Some(&key)))
        .await;
    let back = out.location().unwrap();
    assert!(
        back.contains("&SigAlg=") && back.contains("&Signature="),
        "{back}"
    );
    assert!(
        browser
            .get("/account")
            .await
            .location()
            .unwrap()
            .contains("/login")
    );

    // Over HTTP-POST, with an enveloped XML signature: the named session ends, though the
    // cross-site post carries no cookie, and the answer goes back over HTTP-Redirect.
    let start = browser
        .get(&redirect_url(&app, &authn_request(&app, ""), Some(&key)))
        .await;
    let xml = response_xml(&acs_form(&sign_in(&browser, start).await));
    let session_index = session_index_of(&xml);
    let post_logout = |signer: &SigningKey| {
        use sigil_saml::xml::Element;
        let request = Element::new("samlp:LogoutRequest")
            .ns("samlp", sigil_saml::SAMLP)
            .ns("saml", sigil_saml::SAML)
            .attr("ID", "lo-post")
            .attr("Version", "2.0")
            .attr("IssueInstant", "2026-11-28T10:00:00Z")
            .child(Element::new("saml:Issuer").text(SP))
            .child(Element::new("saml:NameID").text("ada@example.com"))
            .child(Element::new("samlp:SessionIndex").text(&session_index));
        sigil_saml::dsig::sign_enveloped(request, "lo-post", 1, signer, &cert)
            .unwrap()
            .to_canonical()
    };
    let post = |xml: String| {
        let app = &app;
        async move {
            app.http()
                .post(app.url("/saml/slo"))
                .form(&[
                    ("SAMLRequest", STANDARD.encode(xml)),
                    ("RelayState", "r".into()),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let forged = post(post_logout(&other_key())).await;
    assert_eq!(forged.status(), 400);
    assert_eq!(browser.get("/account").await.status, 200, "still signed in");
    let posted = post(post_logout(&key)).await;
    assert_eq!(posted.status(), 303);
    let back = posted.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        back.starts_with("https://sp.example.test/slo?SAMLResponse=")
            && back.contains("&Signature="),
        "{back}"
    );
    assert!(
        browser
            .get("/account")
            .await
            .location()
            .unwrap()
            .contains("/login"),
        "the session named ended"
    );
}

#[tokio::test]
async fn signing_out_at_sigil_signs_out_at_the_sps_too() {
    let (key, _) = SigningKey::generate(SigningAlg::RS256).unwrap();
    let cert = self_signed_certificate(&key, "sp", &[], UnixTime(1_700_000_000), 3650).unwrap();
    let app = registered(Some(&cert)).await;
    let browser = app.browser();
    let start = browser
        .get(&redirect_url(&app, &authn_request(&app, ""), Some(&key)))
        .await;
    let posted = sign_in(&browser, start).await;
    acs_form(&posted);

    // The account page's sign-out goes on to the SP's logout service (its CSP allows it).
    let account = browser.get("/account").await;
    let csp = account.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("https://sp.example.test"), "{csp}");
    let out = browser.submit(&account, "/account/logout", &[]).await;
    let to_sp = out.location().expect("sent to the SP");
    assert!(
        to_sp.starts_with("https://sp.example.test/slo?SAMLRequest="),
        "{to_sp}"
    );
    assert!(
        browser.get("/account").await.location().is_some(),
        "signed out here"
    );

    // Signed with the key Sigil's metadata publishes, for the person the SP was told about.
    let sigil_cert = certificates_in(&idp_metadata(&app).await).remove(0);
    let query = to_sp.split_once('?').unwrap().1;
    assert_eq!(
        sigil_saml::request::verify_redirect_signature(query, idp_trust(&[sigil_cert]))
            .map(|v| v.is_some()),
        Ok(true)
    );
    let param = |name: &str| sigil_test_utils::browser::query_param(&to_sp, name).unwrap();
    let request = sigil_saml::request::decode_redirect(&param("SAMLRequest"))
        .and_then(|xml| sigil_saml::request::parse_logout_request(&xml))
        .unwrap();
    assert_eq!(request.name_id, "ada@example.com");
    assert_eq!(request.session_indexes.len(), 1);

    // The SP answers; the browser comes back to Sigil and ends on the signed-out page.
    let answer = sigil_saml::response::logout_response(
        SP,
        &app.url("/saml/slo"),
        &request.id,
        sigil_saml::status::SUCCESS,
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64,
    )
    .to_canonical();
    let back = sigil_saml::response::signed_redirect(
        &app.url("/saml/slo"),
        "SAMLResponse",
        &answer,
        Some(&param("RelayState")),
        &key,
    )
    .unwrap();
    let done = browser.get(&back).await;
    assert_eq!(done.status, 200, "{}", done.html);
    assert!(done.html.contains("You have signed out"), "{}", done.html);
    // A new session that signs in to the SP again visits it again on sign-out.
    let start = browser
        .get(&redirect_url(&app, &authn_request(&app, ""), Some(&key)))
        .await;
    sign_in(&browser, start).await;
    let account = browser.get("/account").await;
    let out = browser.submit(&account, "/account/logout", &[]).await;
    assert!(
        out.location()
            .unwrap()
            .starts_with("https://sp.example.test/slo?"),
        "the new session signed in to the SP again"
    );
}

#[tokio::test]
async fn a_logout_one_sp_starts_reaches_the_sessions_other_sps_first() {
    let (key, _) = SigningKey::generate(SigningAlg::RS256).unwrap();
    let cert = self_signed_certificate(&key, "sp", &[], UnixTime(1_700_000_000), 3650).unwrap();
    let app = registered(Some(&cert)).await;
    let (other_sp, other_host) = (
        "https://sp2.example.test/metadata",
        "https://sp2.example.test/",
    );
    let other_metadata = sp_metadata(Some(&cert))
        .replace(SP, other_sp)
        .replace("https://sp.example.test/", other_host);
    let t = app.provider.tenant_ctx(&app.tenant());
    app.provider
        .import_saml_sp(&t, "test", Some("sp2"), &other_metadata, Default::default())
        .await
        .unwrap();

    // Signed in to both SPs in one session.
    let browser = app.browser();
    let start = browser
        .get(&redirect_url(&app, &authn_request(&app, ""), Some(&key)))
        .await;
    let xml = response_xml(&acs_form(&sign_in(&browser, start).await));
    let session_index = session_index_of(&xml);
    let to_other = authn_request(&app, "").replace(SP, other_sp);
    let second = browser
        .get(&redirect_url(&app, &to_other, Some(&key)))
        .await;
    let second = browser.follow(second).await;
    assert!(second.has_form("sp2.example.test/acs"), "{}", second.html);

    // The first SP starts the logout: the browser visits the second SP before it goes back.
    let request = logout_request("ada@example.com", &session_index);
    let out = browser
        .get(&redirect_to(&app, "/saml/slo", &request, Some(&key)))
        .await;
    let to_sp2 = out.location().unwrap();
    assert!(
        to_sp2.starts_with("https://sp2.example.test/slo?SAMLRequest="),
        "{to_sp2}"
    );
    assert!(
        browser.get("/account").await.location().is_some(),
        "signed out here"
    );
    let param = |url: &str, name: &str| sigil_test_utils::browser::query_param(url, name).unwrap();
    let forwarded = sigil_saml::request::decode_redirect(&param(&to_sp2, "SAMLRequest"))
        .and_then(|xml| sigil_saml::request::parse_logout_request(&xml))
        .unwrap();
    let answer = sigil_saml::response::logout_response(
        other_sp,
        &app.url("/saml/slo"),
        &forwarded.id,
        sigil_saml::status::SUCCESS,
        1_800_000_000,
    )
    .to_canonical();
    let back = sigil_saml::response::signed_redirect(
        &app.url("/saml/slo"),
        "SAMLResponse",
        &answer,
        Some(&param(&to_sp2, "RelayState")),
        &key,
    )
    .unwrap();
    let last = browser.get(&back).await;
    let to_sp1 = last.location().expect("then back to the first SP");
    assert!(
        to_sp1.starts_with("https://sp.example.test/slo?SAMLResponse="),
        "{to_sp1}"
    );
    let response = sigil_saml::request::decode_redirect(&param(&to_sp1, "SAMLResponse")).unwrap();
    assert!(
        response.contains("InResponseTo=\"lo-1\"") && response.contains("status:Success"),
        "{response}"
    );
}

#[tokio::test]
async fn an_sps_logout_reaches_the_sessions_openid_clients_over_both_channels() {
    let (key, _) = SigningKey::generate(SigningAlg::RS256).unwrap();
    let cert = self_signed_certificate(&key, "sp", &[], UnixTime(1_700_000_000), 3650).unwrap();
    let app = registered(Some(&cert)).await;
    let (uri, got) = receiver(vec![200]).await;
    let client = listening_client(&app, &uri).await;
    let browser = app.browser();
    let start = browser
        .get(&redirect_url(&app, &authn_request(&app, ""), Some(&key)))
        .await;
    let xml = response_xml(&acs_form(&sign_in(&browser, start).await));
    let session_index = session_index_of(&xml);
    let secret = client.client_secret.clone().unwrap();
    let tokens =
        crate::code_flow::sign_in_and_redeem(&app, &browser, &client.client_id, &secret, "ada")
            .await;
    let sid = sigil_test_utils::jwt_claims(tokens["id_token"].as_str().unwrap())["sid"].clone();
    assert_eq!(sid, session_index.as_str(), "one session, two protocols");

    // A front-channel client of the same session: its page is framed on the way back.
    let framed = app
        .create_client(sigil_oidc::admin::NewClient {
            name: "Framed App".into(),
            redirect_uris: vec!["https://app.example/cb".into()],
            logout: sigil_core::model::LogoutChannels {
                frontchannel_uri: Some("https://app.example/fc".into()),
                frontchannel_session_required: true,
                ..Default::default()
            },
            ..Default::default()
        })
        .await;
    let secret = framed.client_secret.clone().unwrap();
    crate::code_flow::sign_in_and_redeem(&app, &browser, &framed.client_id, &secret, "ada").await;

    let request = logout_request("ada@example.com", &session_index);
    let out = browser
        .get(&redirect_to(&app, "/saml/slo", &request, Some(&key)))
        .await;
    assert_eq!(out.status, 200, "a page, so the frame can load");
    let html = sigil_test_utils::browser::unescape(&out.html);
    assert!(
        html.contains("src=\"https://app.example/fc?iss=")
            && html.contains(&format!("sid={session_index}")),
        "{html}"
    );
    assert!(
        html.contains("content=\"2;url=https://sp.example.test/slo?SAMLResponse="),
        "then back to the SP: {html}"
    );
    assert!(
        browser.get("/account").await.location().is_some(),
        "signed out"
    );
    let forms = wait_for(&got, 1).await;
    assert_eq!(forms.len(), 1);
    let claims = validated_logout_token(&app, &forms[0], &client.client_id).await;
    assert_eq!(claims["sid"], sid);
}

/// An SP whose only logout service takes HTTP-POST: Sigil's LogoutRequest (Sigil-started) and
/// LogoutResponse (SP-started) reach it as forms with enveloped signatures, and its answers
/// come back over HTTP-POST too.
#[tokio::test]
async fn an_sp_with_only_a_post_logout_service_is_sent_forms_and_may_answer_with_one() {
    use sigil_saml::outgoing::{Outgoing, outgoing};
    let (key, _) = SigningKey::generate(SigningAlg::RS256).unwrap();
    let cert = self_signed_certificate(&key, "sp", &[], UnixTime(1_700_000_000), 3650).unwrap();
    let app = sigil_test_utils::TestApp::spawn().await;
    app.create_user("ada").await;
    let post_only = sp_metadata(Some(&cert)).replace(
        r#"SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect""#,
        r#"SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST""#,
    );
    let t = app.provider.tenant_ctx(&app.tenant());
    app.provider
        .import_saml_sp(&t, "test", Some("sp"), &post_only, Default::default())
        .await
        .unwrap();
    let sigil_cert = certificates_in(&idp_metadata(&app).await).remove(0);
    let browser = app.browser();
    let sign_in_once = || async {
        let start = browser
            .get(&redirect_url(&app, &authn_request(&app, ""), Some(&key)))
            .await;
        let login = if start.location().is_some_and(|l| l.contains("/login")) {
            sign_in(&browser, start).await
        } else {
            start
        };
        session_index_of(&response_xml(&acs_form(&login)))
    };
    /// The form a `/saml/post/…` page holds, with its message's XML.
    fn posted(
        page: &sigil_test_utils::browser::Page,
        parameter: &str,
    ) -> (Vec<(String, String)>, String) {
        assert!(page.has_form("/slo"), "{} {}", page.status, page.html);
        let fields = page.form_fields("/slo");
        let value = &fields.iter().find(|(k, _)| k == parameter).unwrap().1;
        let xml = sigil_saml::request::decode_post(value).unwrap();
        (fields, xml)
    }

    // Sigil-started: the sign-out goes to Sigil's page of the form, shown once.
    sign_in_once().await;
    let account = browser.get("/account").await;
    let out = browser.submit(&account, "/account/logout", &[]).await;
    let form_page = out.location().expect("on to the form");
    assert!(
        form_page.starts_with(&app.url("/saml/post/")),
        "{form_page}"
    );
    let page = browser.get(&form_page).await;
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("form-action 'self' https://sp.example.test"),
        "{csp}"
    );
    let (fields, xml) = posted(&page, "SAMLRequest");
    assert_eq!(
        sigil_saml::request::verify_post_signature(
            &xml,
            idp_trust(std::slice::from_ref(&sigil_cert))
        )
        .map(|v| v.is_some()),
        Ok(true)
    );
    let request = sigil_saml::request::parse_logout_request(&xml).unwrap();
    assert_eq!(request.name_id, "ada@example.com");
    assert_eq!(
        browser.get(&form_page).await.status,
        400,
        "a form is shown once"
    );

    // The SP answers over HTTP-POST (cross-site: no cookies); the sign-out ends on Sigil's page.
    let relay = fields
        .iter()
        .find(|(k, _)| k == "RelayState")
        .unwrap()
        .1
        .clone();
    let answer = sigil_saml::response::logout_response(
        SP,
        &app.url("/saml/slo"),
        &request.id,
        sigil_saml::status::SUCCESS,
        1_800_000_000,
    );
    let Ok(Outgoing::Post(form)) = outgoing(
        sigil_saml::BINDING_POST,
        &app.url("/saml/slo"),
        "SAMLResponse",
        answer,
        Some(&relay),
        &key,
        &cert,
    ) else {
        panic!("no form");
    };
    let done = app
        .http()
        .post(app.url("/saml/slo"))
        .form(&[("SAMLResponse", form.value), ("RelayState", relay)])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("You have signed out"));

    // SP-started: Sigil's LogoutResponse goes back as a signed form too.
    let session_index = sign_in_once().await;
    let request = logout_request("ada@example.com", &session_index);
    let out = browser
        .get(&redirect_to(&app, "/saml/slo", &request, Some(&key)))
        .await;
    let form_page = out.location().expect("on to the form");
    assert!(
        form_page.starts_with(&app.url("/saml/post/")),
        "{form_page}"
    );
    let (_, xml) = posted(&browser.get(&form_page).await, "SAMLResponse");
    assert_eq!(
        sigil_saml::request::verify_post_signature(&xml, idp_trust(&[sigil_cert]))
            .map(|v| v.is_some()),
        Ok(true)
    );
    let outcome = sigil_saml::logout::parse_logout_response(&xml).unwrap();
    assert_eq!(outcome.status, sigil_saml::status::SUCCESS);
    assert_eq!(outcome.in_response_to.as_deref(), Some("lo-1"));
    assert!(
        browser.get("/account").await.location().is_some(),
        "signed out"
    );
}
