//! `sigil saml …` through the binary: an SP imported from its metadata (named from its entity
//! id, with an attribute mapping), listed, refused when its metadata or mapping is unusable or
//! its entity id is registered under another name, and removed; the IdP's metadata printed.

#![allow(clippy::unwrap_used)]

mod common;

use common::sigil;
use serde_json::Value;

const METADATA: &str = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://wiki.example.com/saml"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://wiki.example.com/saml/acs" index="0"/></md:SPSSODescriptor></md:EntityDescriptor>"#;

#[test]
fn service_providers_are_imported_listed_refused_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let file = data.join("sp.xml");
    std::fs::write(&file, METADATA).unwrap();
    let map = data.join("map.json");
    std::fs::write(&map, r#"{"mail": "email", "memberOf": "groups"}"#).unwrap();
    let path = file.to_str().unwrap();

    let (ok, out, err) = sigil(
        data,
        &[
            "saml",
            "sp",
            "import",
            path,
            "--attribute-map",
            map.to_str().unwrap(),
            "--json",
        ],
        None,
    );
    assert!(ok, "{err}");
    let sp: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(sp["name"], "wiki-example-com");
    assert_eq!(sp["metadata"]["entity_id"], "https://wiki.example.com/saml");
    assert_eq!(sp["attribute_map"]["memberOf"], "groups");

    let refusals = [
        (
            vec!["saml", "sp", "import", path, "--name", "other"],
            "entity id",
        ),
        (
            vec!["saml", "sp", "import", map.to_str().unwrap()],
            "malformed",
        ),
        (
            vec!["saml", "sp", "import", path, "--name", "Bad Name"],
            "lowercase",
        ),
    ];
    for (args, why) in refusals {
        let (ok, _, err) = sigil(data, &args, None);
        assert!(!ok && err.contains(why), "{args:?}: {err}");
    }
    std::fs::write(&map, r#"{"mail": "password_hash"}"#).unwrap();
    let (ok, _, err) = sigil(
        data,
        &[
            "saml",
            "sp",
            "import",
            path,
            "--attribute-map",
            map.to_str().unwrap(),
        ],
        None,
    );
    assert!(!ok && err.contains("password_hash"), "{err}");

    let (ok, out, _) = sigil(data, &["saml", "sp", "list", "--json"], None);
    assert!(ok);
    assert_eq!(
        serde_json::from_str::<Value>(&out)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (ok, out, err) = sigil(data, &["saml", "metadata"], None);
    assert!(ok, "{err}");
    assert!(
        out.contains("IDPSSODescriptor") && out.contains("X509Certificate"),
        "{out}"
    );
    let (ok, _, err) = sigil(data, &["saml", "sp", "remove", "wiki-example-com"], None);
    assert!(ok, "{err}");
    let (ok, _, err) = sigil(data, &["saml", "sp", "remove", "wiki-example-com"], None);
    assert!(!ok && err.contains("SAML service provider"), "{err}");
}

#[test]
fn a_service_provider_is_registered_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (key, _) = sigil_keys::SigningKey::generate(sigil_core::model::SigningAlg::RS256).unwrap();
    let der = sigil_keys::x509::self_signed_certificate(
        &key,
        "sp",
        &[],
        sigil_core::UnixTime(1_800_000_000),
        30,
    )
    .unwrap();
    let pem = {
        use base64::Engine as _;
        let body = base64::engine::general_purpose::STANDARD.encode(&der);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        )
    };
    let cert = data.join("sp.pem");
    std::fs::write(&cert, pem).unwrap();
    let cert = cert.to_str().unwrap();
    let add = |extra: &[&str]| {
        let mut args = vec![
            "saml",
            "sp",
            "add",
            "--name",
            "crm",
            "--entity-id",
            "https://crm.example.com/sp",
            "--json",
        ];
        args.extend_from_slice(extra);
        sigil(data, &args, None)
    };
    let (ok, out, err) = add(&[
        "--acs",
        "https://crm.example.com/acs",
        "--acs",
        "https://crm.example.com/acs2",
        "--slo",
        "https://crm.example.com/slo",
        "--signing-certificate",
        cert,
        "--encryption-certificate",
        cert,
        "--requests-signed",
        "--encrypt-assertions",
        "--name-id-format",
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    ]);
    assert!(ok, "{err}");
    let sp: Value = serde_json::from_str(&out).unwrap();
    let metadata = &sp["metadata"];
    assert_eq!(metadata["entity_id"], "https://crm.example.com/sp");
    assert_eq!(metadata["consumer_services"][0]["is_default"], true);
    assert_eq!(metadata["consumer_services"][1]["index"], 1);
    assert_eq!(metadata["authn_requests_signed"], true);
    assert_eq!(
        metadata["signing_certificates"].as_array().unwrap().len(),
        1
    );
    assert_eq!(
        metadata["logout_services"][0]["location"],
        "https://crm.example.com/slo"
    );
    assert_eq!(sp["encrypt_assertions"], true);

    // Checked as imported metadata is: an ACS that is no http(s) URL is refused, and so is
    // encryption without a certificate to encrypt to.
    let (ok, _, err) = add(&["--acs", "javascript:alert(1)"]);
    assert!(!ok && err.contains("ACS location"), "{err}");
    let (ok, _, err) = add(&[
        "--acs",
        "https://crm.example.com/acs",
        "--encrypt-assertions",
    ]);
    assert!(!ok && err.contains("encryption certificate"), "{err}");
}
