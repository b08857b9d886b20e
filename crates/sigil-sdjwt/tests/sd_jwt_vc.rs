//! SD-JWT VC (draft-ietf-oauth-sd-jwt-vc) examples (tests/vectors/sd-jwt-vc): the issuer key
//! resolved by `kid` from the JWT VC Issuer Metadata, the `dc+sd-jwt` type, `vct`, processing
//! to the printed contents, and key binding required or not.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use serde_json::Value;
use sigil_keys::{DecodedJws, PublicKey, VerifyingJwk};
use sigil_sdjwt::{KeyBinding, SdJwtError, verify};

fn read(path: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/sd-jwt-vc");
    std::fs::read_to_string(dir.join(path))
        .unwrap()
        .trim()
        .to_owned()
}

fn json(path: &str) -> Value {
    serde_json::from_str(&read(path)).unwrap()
}

/// The issuer key a verifier resolves: the metadata's JWK Set entry named by the JWT's `kid`;
/// and whether the JWT is typed `dc+sd-jwt`.
fn issuer_key(presentation: &str) -> (PublicKey, bool) {
    let jwt = presentation.split('~').next().unwrap();
    let jws = DecodedJws::decode(jwt, 64 * 1024).unwrap();
    let keys = VerifyingJwk::parse_set(&json("keys/jwt_vc_issuer_metadata.json")["jwks"]);
    let key = keys
        .into_iter()
        .find(|k| k.accepts(jws.header.kid.as_deref(), jws.alg))
        .unwrap();
    (key.key, jws.has_typ("dc+sd-jwt"))
}

fn binding(example: &str) -> KeyBinding<'static> {
    let kb = json(&format!(
        "{example}/{}",
        if example == "01" {
            "kb_jwt_payload.decoded.json"
        } else {
            "kb_jwt_payload.json"
        }
    ));
    KeyBinding {
        audience: "https://example.com/verifier",
        nonce: "1234567890",
        now: kb["iat"].as_i64().unwrap() + 30,
        max_age: 300,
    }
}

#[test]
fn presentations_verify_to_the_printed_contents() {
    for example in ["01", "03-pid"] {
        let presented = read(&format!("{example}/sd_jwt_presentation.txt"));
        let (key, typed) = issuer_key(&presented);
        assert!(typed, "{example}: typ dc+sd-jwt");
        let kb = binding(example);
        let verified = verify(&presented, &key, Some(&kb)).unwrap();
        assert!(verified.claims["vct"].is_string(), "{example}");
        assert_eq!(
            Value::Object(verified.claims),
            json(&format!("{example}/verified_contents.json")),
            "{example}"
        );
    }
}

#[test]
fn without_key_binding_a_presentation_is_accepted_only_where_none_is_required() {
    let presented = read("02/sd_jwt_presentation.txt");
    let (key, _) = issuer_key(&presented);
    let kb = binding("01");
    assert_eq!(
        verify(&presented, &key, Some(&kb)),
        Err(SdJwtError::KeyBinding("no key-binding JWT"))
    );
    let verified = verify(&presented, &key, None).unwrap();
    assert_eq!(
        Value::Object(verified.claims),
        json("02/verified_contents.json")
    );
}
