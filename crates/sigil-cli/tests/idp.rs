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
