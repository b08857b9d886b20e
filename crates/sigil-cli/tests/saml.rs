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
