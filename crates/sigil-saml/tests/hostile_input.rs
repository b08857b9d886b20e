//! Whatever arrives as a SAML request or as SP metadata gives a value or an error, never a
//! panic: mangled versions of valid messages and arbitrary text (the cargo-fuzz targets
//! `saml_request` and `saml_metadata` search further).

use proptest::prelude::*;
use sigil_saml::metadata::parse_sp_metadata;
use sigil_saml::request::{
    decode_post, decode_redirect, parse_authn_request, verify_redirect_signature,
};

const REQUEST: &str = r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="id-1" Version="2.0" IssueInstant="2026-11-28T10:00:00Z" AssertionConsumerServiceIndex="1" ForceAuthn="1"><saml:Issuer>https://sp.example</saml:Issuer><samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"/></samlp:AuthnRequest>"#;
const METADATA: &str = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example/acs" index="1"/></md:SPSSODescriptor></md:EntityDescriptor>"#;

fn mangle(base: &str, at: usize, cut: usize, insert: &str) -> String {
    let chars: Vec<char> = base.chars().collect();
    let at = at % (chars.len() + 1);
    let end = (at + cut).min(chars.len());
    chars[..at]
        .iter()
        .chain(insert.chars().collect::<Vec<_>>().iter())
        .chain(chars[end..].iter())
        .collect()
}

#[test]
fn the_samples_are_read() {
    assert_eq!(
        parse_authn_request(REQUEST).expect("request").acs_index,
        Some(1)
    );
    let sp = parse_sp_metadata(METADATA).expect("metadata");
    assert_eq!(
        sp.consumer_service(None, None).expect("acs").location,
        "https://sp.example/acs"
    );
}

#[test]
fn billion_laughs_and_external_entities_are_refused() {
    let laughs = format!(
        "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]>{}",
        METADATA.replace("https://sp.example\"", "&lol2;\"")
    );
    assert!(parse_sp_metadata(&laughs).is_err());
    let xxe = format!("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>{METADATA}");
    assert!(parse_sp_metadata(&xxe).is_err());
    assert!(
        parse_sp_metadata(&" ".repeat(2 * 1024 * 1024)).is_err(),
        "size limit"
    );
}

proptest! {
    #[test]
    fn mangled_requests_never_panic(at in 0usize..600, cut in 0usize..40, insert in ".{0,12}") {
        let text = mangle(REQUEST, at, cut, &insert);
        let _ = parse_authn_request(&text);
        let _ = decode_post(&text);
        let _ = decode_redirect(&text);
        let certificates = ["MIIB".to_owned()];
        let trust = sigil_saml::verify::Trust {
            certificates: &certificates,
            allow_legacy: false,
        };
        let _ = verify_redirect_signature(&text, trust);
    }

    #[test]
    fn mangled_metadata_never_panics(at in 0usize..600, cut in 0usize..40, insert in ".{0,12}") {
        if let Ok(sp) = parse_sp_metadata(&mangle(METADATA, at, cut, &insert)) {
            let _ = sp.consumer_service(Some("x"), Some(3));
        }
    }
}
