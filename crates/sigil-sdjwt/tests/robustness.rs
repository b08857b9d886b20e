//! Whatever a holder sends, verification answers with a result, never a panic: payloads the
//! issuer really signed (so processing is reached) with arbitrary digests, and arbitrary
//! disclosures and KB-JWTs beside them.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use serde_json::{Value, json};
use sigil_core::model::SigningAlg;
use sigil_keys::{SigningKey, sign_compact};
use sigil_sdjwt::{Disclosure, KeyBinding, digest, verify};

fn disclosure_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_-]{0,40}",
        (any::<u8>(), "[a-z_.]{0,6}", any::<i32>()).prop_map(|(salt, name, value)| {
            let json = if salt % 2 == 0 {
                json!([salt.to_string(), name, value])
            } else {
                json!([salt.to_string(), value])
            };
            sigil_core::b64url_encode(json.to_string())
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn verification_never_panics(
        disclosures in proptest::collection::vec(disclosure_text(), 0..6),
        references in proptest::collection::vec(0usize..8, 0..6),
        nested in any::<bool>(),
        kb in "[A-Za-z0-9_.~-]{0,60}",
    ) {
        let (key, _) = SigningKey::generate(SigningAlg::ES256).unwrap();
        // Digests of some presented disclosures (and of others), in `_sd` and in an array.
        let digests: Vec<Value> = references
            .iter()
            .map(|i| match disclosures.get(*i) {
                Some(d) => json!(digest(d)),
                None => json!(digest(&i.to_string())),
            })
            .collect();
        let items: Vec<Value> = digests.iter().map(|d| json!({"...": d})).collect();
        let payload = if nested {
            json!({"_sd": digests, "list": items, "inner": {"_sd": digests}})
        } else {
            json!({"_sd": digests, "_sd_alg": "sha-256", "cnf": {"jwk": key.public_jwk()}})
        };
        let jwt = sign_compact(&key, "dc+sd-jwt", &payload);
        let text = format!("{jwt}~{}~{kb}", disclosures.join("~"));
        let binding = KeyBinding { audience: "v", nonce: "n", now: 0, max_age: 60 };
        let _ = verify(&text, key.public_key(), None);
        let _ = verify(&text, key.public_key(), Some(&binding));
        for d in &disclosures {
            let _ = Disclosure::parse(d);
        }
    }
}
