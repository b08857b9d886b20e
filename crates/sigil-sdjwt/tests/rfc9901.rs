//! RFC 9901's own examples (tests/vectors/sd-jwt-rfc9901): digests, decoding, the issuer
//! signature, holder and verifier processing, key binding, and the attacks the README derives.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use serde_json::{Map, Value, json};
use sigil_keys::PublicKey;
use sigil_sdjwt::{Disclosure, KeyBinding, SdJwtError, digest, verify};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/sd-jwt-rfc9901")
}

fn text(path: &str) -> String {
    std::fs::read_to_string(dir().join(path))
        .unwrap()
        .trim()
        .to_owned()
}

fn json_file(path: &str) -> Value {
    serde_json::from_str(&text(path)).unwrap()
}

fn key(name: &str) -> PublicKey {
    PublicKey::from_jwk(
        json_file(&format!("keys/{name}.public.jwk.json"))
            .as_object()
            .unwrap(),
    )
    .unwrap()
}

const EXAMPLES: [&str; 6] = [
    "simple",
    "simple_structured",
    "address_only_flat",
    "address_only_structured",
    "address_only_recursive",
    "arf-pid",
];

/// Verifier settings the examples were made for (RFC `iat` 1748537244).
fn binding() -> KeyBinding<'static> {
    KeyBinding {
        audience: "https://verifier.example.org",
        nonce: "1234567890",
        now: 1_748_537_300,
        max_age: 300,
    }
}

#[test]
fn disclosures_hash_and_decode_as_printed() {
    for example in EXAMPLES {
        for entry in json_file(&format!("{example}/disclosures.json"))
            .as_array()
            .unwrap()
        {
            let encoded = entry["disclosure"].as_str().unwrap();
            assert_eq!(digest(encoded), entry["sha256_digest"], "{example}");
            let d = Disclosure::parse(encoded).unwrap();
            assert_eq!(d.salt, entry["salt"], "{example}");
            assert_eq!(d.name.as_deref(), entry["claim_name"].as_str(), "{example}");
            let value = entry
                .get("claim_value")
                .or_else(|| entry.get("array_element_value"));
            assert_eq!(Some(&d.value), value, "{example}");
        }
    }
}

fn without_registered(mut claims: Map<String, Value>) -> Value {
    for name in ["iss", "iat", "exp", "cnf", "vct", "_sd_alg"] {
        claims.remove(name);
    }
    Value::Object(claims)
}

#[test]
fn an_issuance_processes_to_the_users_claims() {
    for example in ["simple", "arf-pid"] {
        let issued = text(&format!("{example}/sd_jwt_issuance.txt"));
        let verified = verify(&issued, &key("issuer_key"), None).unwrap();
        let mut expected = json_file(&format!("{example}/user_claims.json"));
        let expected = without_registered(std::mem::take(expected.as_object_mut().unwrap()));
        assert_eq!(without_registered(verified.claims), expected, "{example}");
        assert!(!verified.key_bound);
    }
}

#[test]
fn presentations_process_to_the_verified_contents() {
    for (example, bound) in [
        ("simple", true),
        ("arf-pid", true),
        ("simple_structured", false),
    ] {
        let presented = text(&format!("{example}/sd_jwt_presentation.txt"));
        let kb = binding();
        let verified = verify(&presented, &key("issuer_key"), bound.then_some(&kb)).unwrap();
        assert_eq!(
            Value::Object(verified.claims),
            json_file(&format!("{example}/verified_contents.json")),
            "{example}"
        );
        assert_eq!(verified.key_bound, bound);
    }
}

#[test]
fn tampering_is_refused() {
    let presented = text("simple/sd_jwt_presentation.txt");
    let kb = binding();
    let issuer = key("issuer_key");
    let (head, kb_jwt) = presented.rsplit_once('~').unwrap();
    let parts: Vec<&str> = head.split('~').collect();
    let rebuild = |parts: &[&str]| format!("{}~{kb_jwt}", parts.join("~"));

    // A disclosure with one character changed matches no digest.
    let mut changed = parts[1].to_owned();
    let last = changed.pop().unwrap();
    changed.push(if last == 'A' { 'B' } else { 'A' });
    let mut forged = parts.clone();
    forged[1] = &changed;
    assert!(verify(&rebuild(&forged), &issuer, None).is_err());
    // The same disclosure twice.
    let mut twice = parts.clone();
    twice.insert(1, parts[1]);
    assert_eq!(
        verify(&format!("{}~", twice.join("~")), &issuer, None),
        Err(SdJwtError::Unreferenced("a disclosure appears twice"))
    );
    // The KB-JWT no longer covers a presentation with a disclosure removed or reordered.
    let mut fewer = parts.clone();
    fewer.remove(1);
    assert!(matches!(
        verify(&rebuild(&fewer), &issuer, Some(&kb)),
        Err(SdJwtError::KeyBinding(_))
    ));
    let mut swapped = parts.clone();
    swapped.swap(1, 2);
    assert!(matches!(
        verify(&rebuild(&swapped), &issuer, Some(&kb)),
        Err(SdJwtError::KeyBinding(_))
    ));
    // The issuer's signature checked with the holder's key.
    assert_eq!(
        verify(&presented, &key("holder_key"), None),
        Err(SdJwtError::IssuerSignature)
    );
    // Another verifier, another nonce, an old presentation, or no KB-JWT at all.
    for wrong in [
        KeyBinding {
            audience: "https://elsewhere.example",
            ..binding()
        },
        KeyBinding {
            nonce: "0",
            ..binding()
        },
        KeyBinding {
            now: 1_748_537_244 + 3_600,
            ..binding()
        },
    ] {
        assert!(matches!(
            verify(&presented, &issuer, Some(&wrong)),
            Err(SdJwtError::KeyBinding(_))
        ));
    }
    assert_eq!(
        verify(&format!("{head}~"), &issuer, Some(&kb)),
        Err(SdJwtError::KeyBinding("no key-binding JWT"))
    );
}

#[test]
fn malformed_input_is_refused_without_panicking() {
    let issuer = key("issuer_key");
    for bad in [
        "",
        "~",
        "abc",
        "a.b.c",
        "~~~",
        "a.b.c~~",
        &"x".repeat(300_000),
    ] {
        assert!(verify(bad, &issuer, None).is_err(), "{bad:.20}");
    }
    for bad in [
        "!!",
        "W10",
        "WyJhIl0",
        "WzEsICJhIiwgMV0",
        "WyJzIiwgIl9zZCIsIDFd",
    ] {
        assert!(Disclosure::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(
        Disclosure::parse("WyJzIiwgMV0").unwrap(),
        Disclosure {
            encoded: "WyJzIiwgMV0".into(),
            salt: "s".into(),
            name: None,
            value: json!(1)
        }
    );
}
