//! What Sigil's IdP signs and encrypts with: assertions encrypted for an SP that asks, signed
//! metadata, and ECDSA-SHA256 for an SP that accepts it.

use sigil_core::UnixTime;
use sigil_core::model::SigningAlg;
use sigil_keys::SigningKey;
use sigil_keys::x509::self_signed_certificate;
use sigil_test_utils::TestApp;

use super::saml::{
    acs_form, authn_request, certificates_in, idp_metadata, redirect_url, response_xml, sign_in,
    sp_metadata,
};

#[tokio::test]
async fn an_sp_that_asks_for_encryption_gets_its_assertions_encrypted() {
    let app = TestApp::spawn().await;
    app.create_user("ada").await;
    let (key, _) = SigningKey::generate(SigningAlg::RS256).unwrap();
    let der = self_signed_certificate(&key, "sp", &[], UnixTime(1_800_000_000), 30).unwrap();
    // Its one certificate has no `use`: it signs and it encrypts.
    let metadata = sp_metadata(Some(&der)).replace(" use=\"signing\"", "");
    let t = app.provider.tenant_ctx(&app.tenant());
    let sp = app
        .provider
        .import_saml_sp(
            &t,
            "test",
            Some("sp"),
            &metadata,
            sigil_oidc::saml::SpSettings {
                encrypt_assertions: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(sp.sp.encrypt_assertions);
    assert_eq!(sp.sp.metadata.encryption_certificates.len(), 1);

    let browser = app.browser();
    let xml = authn_request(&app, "");
    let start = browser.get(&redirect_url(&app, &xml, Some(&key))).await;
    let posted = sign_in(&browser, start).await;
    let response = response_xml(&acs_form(&posted));
    for expected in [
        "<saml:EncryptedAssertion",
        sigil_saml::encrypt::AES256_GCM,
        sigil_saml::encrypt::RSA_OAEP_MGF1P,
        "status:Success",
    ] {
        assert!(response.contains(expected), "{expected} in {response}");
    }
    assert!(!response.contains("ada@example.com"), "{response}");
    assert!(!response.contains("<saml:Assertion"), "{response}");
}

#[tokio::test]
async fn signed_metadata_verifies_with_the_certificate_it_publishes() {
    let app = TestApp::spawn().await;
    let get = |path: &'static str| {
        let app = &app;
        async move {
            let res = app.http().get(app.url(path)).send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.text().await.unwrap()
        }
    };
    let plain = get("/saml/metadata").await;
    assert!(!plain.contains("<ds:Signature"), "unsigned unless asked");
    let signed = get("/saml/metadata?signed=true").await;
    assert!(signed.contains("validUntil=\""), "{signed}");
    let certificates = [certificates_in(&plain).remove(0)];
    let trust = sigil_saml::verify::Trust {
        certificates: &certificates,
        allow_legacy: false,
    };
    let check = |xml: &str| {
        let xml = xml.split_once("?>").map_or(xml, |(_, rest)| rest.trim());
        let doc = sigil_saml::read::parse(xml).unwrap();
        sigil_saml::verify::verify_enveloped(doc.root_element(), trust).map(|v| v.is_some())
    };
    assert_eq!(check(&signed), Ok(true));
    let altered = signed.replace(&app.url("/saml/sso"), "https://evil.example/sso");
    assert!(check(&altered).is_err(), "altered metadata does not verify");
}

#[tokio::test]
async fn an_sp_that_accepts_ecdsa_gets_responses_signed_with_the_p256_key() {
    let app = TestApp::spawn().await;
    app.create_user("ada").await;
    let extension = r#"<md:Extensions><alg:SigningMethod xmlns:alg="urn:oasis:names:tc:SAML:metadata:algsupport" Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"/></md:Extensions>"#;
    let metadata = sp_metadata(None).replacen(
        "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">",
        &format!("protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">{extension}"),
        1,
    );
    let t = app.provider.tenant_ctx(&app.tenant());
    let sp = app
        .provider
        .import_saml_sp(&t, "test", Some("sp"), &metadata, Default::default())
        .await
        .unwrap();
    assert!(sp.sp.metadata.accepts_ecdsa());

    // The IdP metadata publishes both keys and says so.
    let idp = idp_metadata(&app).await;
    let certificates = certificates_in(&idp);
    assert_eq!(certificates.len(), 2, "{idp}");
    assert!(idp.contains("xmldsig-more#ecdsa-sha256"), "{idp}");

    let browser = app.browser();
    let start = browser
        .get(&redirect_url(&app, &authn_request(&app, ""), None))
        .await;
    let xml = response_xml(&acs_form(&sign_in(&browser, start).await));
    assert!(xml.contains("xmldsig-more#ecdsa-sha256"), "{xml}");
    let doc = sigil_saml::read::parse(&xml).unwrap();
    let only_ec = [certificates[1].clone()];
    let trust = sigil_saml::verify::Trust {
        certificates: &only_ec,
        allow_legacy: false,
    };
    let verified = sigil_saml::verify::verify_enveloped(doc.root_element(), trust).unwrap();
    assert_eq!(
        verified.map(|v| v.signature_method).as_deref(),
        Some(sigil_saml::dsig::ECDSA_SHA256)
    );
}
