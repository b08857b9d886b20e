//! `sigil idp …` through the binary: a provider added with its secret read from stdin (never
//! printed), listed with the redirect URI to register, refused when its name, issuer or scopes
//! are unusable, when a domain is another provider's or when its issuer would change, and
//! removed.

#![allow(clippy::unwrap_used)]

mod common;

use common::sigil;
use serde_json::Value;

const DISCOVERY: &str = "https://idp.partner.example/.well-known/openid-configuration";

fn add(
    data: &std::path::Path,
    name: &str,
    discovery: &str,
    extra: &[&str],
) -> (bool, String, String) {
    let mut args = vec![
        "idp",
        "add",
        "oidc",
        "--name",
        name,
        "--discovery-url",
        discovery,
        "--client-id",
        "sigil",
        "--client-secret-stdin",
        "--json",
    ];
    args.extend_from_slice(extra);
    sigil(data, &args, Some("s3cret-at-the-partner\n"))
}

#[test]
fn providers_are_added_listed_refused_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (ok, out, err) = add(
        data,
        "partner",
        DISCOVERY,
        &["--domain", "Partner.Example", "--claim", "username=email"],
    );
    assert!(ok, "{err}");
    assert!(
        !out.contains("s3cret"),
        "the secret is never printed: {out}"
    );
    let added: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(added["issuer"], "https://idp.partner.example");
    assert_eq!(added["domains"], serde_json::json!(["partner.example"]));
    assert_eq!(added["claims"]["username"], "email");
    assert_eq!(
        added["scopes"],
        serde_json::json!(["openid", "email", "profile"])
    );
    let redirect = added["redirect_uri"].as_str().unwrap();
    assert!(
        redirect.ends_with("/login/idp/partner/callback"),
        "{redirect}"
    );
    assert_eq!(added["version"], 1);

    let refusals = [
        ("Bad Name", DISCOVERY, vec![], "lowercase"),
        ("plain", "http://idp.partner.example", vec![], "https"),
        ("noopenid", DISCOVERY, vec!["--scope", "email"], "openid"),
        (
            "other",
            "https://other.example",
            vec!["--domain", "partner.example"],
            "partner.example",
        ),
        (
            "partner",
            "https://other.example",
            vec![],
            "issuer cannot change",
        ),
    ];
    for (name, discovery, extra, why) in refusals {
        let (ok, _, err) = add(data, name, discovery, &extra);
        assert!(!ok && err.contains(why), "{name}: {err}");
    }

    let (ok, out, err) = sigil(data, &["idp", "list", "--json"], None);
    assert!(ok, "{err}");
    let all: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 1);
    assert!(!out.contains("s3cret"));

    let (ok, _, err) = sigil(data, &["idp", "remove", "partner"], None);
    assert!(ok, "{err}");
    let (ok, _, err) = sigil(data, &["idp", "show", "partner"], None);
    assert!(
        !ok && err.contains("not found") || err.contains("no such"),
        "{err}"
    );
}

/// An IdP's metadata: its entity id, single sign-on service and a signing certificate.
fn saml_idp_metadata(entity_id: &str, with_redirect_sso: bool) -> String {
    use base64::Engine as _;
    let (key, _) = sigil_keys::SigningKey::generate(sigil_core::model::SigningAlg::RS256).unwrap();
    let der = sigil_keys::x509::self_signed_certificate(
        &key,
        "partner IdP",
        &[],
        sigil_core::UnixTime(1_800_000_000),
        30,
    )
    .unwrap();
    let binding = if with_redirect_sso {
        "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
    } else {
        "urn:oasis:names:tc:SAML:2.0:bindings:SOAP"
    };
    format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity_id}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="{binding}" Location="https://idp.partner.example/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>"#,
        base64::engine::general_purpose::STANDARD.encode(der)
    )
}

#[test]
fn saml_providers_are_added_from_their_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let metadata = data.join("idp.xml");
    std::fs::write(
        &metadata,
        saml_idp_metadata("https://idp.partner.example/saml", true),
    )
    .unwrap();
    let path = metadata.to_str().unwrap();
    let add_saml = |name: &str, file: &str, extra: &[&str]| {
        let mut args = vec![
            "idp",
            "add",
            "saml",
            "--name",
            name,
            "--metadata",
            file,
            "--json",
        ];
        args.extend_from_slice(extra);
        sigil(data, &args, None)
    };
    let (ok, out, err) = add_saml("partner", path, &["--domain", "partner.example"]);
    assert!(ok, "{err}");
    let added: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(added["kind"], "saml");
    assert_eq!(added["issuer"], "https://idp.partner.example/saml");
    assert_eq!(
        added["saml"]["idp"]["sso_url"],
        "https://idp.partner.example/sso"
    );
    assert_eq!(added["saml"]["allow_legacy_algorithms"], false);
    assert_eq!(added["claims"]["email"], "mail");
    assert!(
        added["redirect_uri"]
            .as_str()
            .unwrap()
            .ends_with("/saml/sp/partner/acs"),
        "{added}"
    );
    assert!(
        added["sp_metadata_url"]
            .as_str()
            .unwrap()
            .ends_with("/saml/sp/partner/metadata"),
        "{added}"
    );
    assert!(added.get("scopes").is_none() && added.get("client_id").is_none());

    // Metadata without an HTTP-Redirect SSO service, or no file at all, or another entity id
    // under the same name, is refused.
    let no_sso = data.join("no-sso.xml");
    std::fs::write(
        &no_sso,
        saml_idp_metadata("https://idp.partner.example/saml", false),
    )
    .unwrap();
    let moved = data.join("moved.xml");
    std::fs::write(
        &moved,
        saml_idp_metadata("https://elsewhere.example/saml", true),
    )
    .unwrap();
    for (name, file, why) in [
        ("other", no_sso.to_str().unwrap(), "single sign-on"),
        ("other", "/nonexistent/idp.xml", "reading"),
        ("partner", moved.to_str().unwrap(), "issuer cannot change"),
    ] {
        let (ok, _, err) = add_saml(name, file, &[]);
        assert!(!ok && err.contains(why), "{name} {file}: {err}");
    }
    let (ok, out, err) = sigil(data, &["idp", "show", "partner"], None);
    assert!(ok, "{err}");
    assert!(out.contains("/saml/sp/partner/metadata"), "{out}");
}
