//! JWT client assertions (RFC 7523): compact JWS decoding, header rules, claims, and
//! verification against keys from a JWK Set that is itself fuzzed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_keys::{DecodedJws, VerifyingJwk};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // "JWKS JSON" NUL "assertion", or just an assertion.
    let (jwks, assertion) = text.split_once('\0').unwrap_or(("{}", text));
    let keys = serde_json::from_str::<serde_json::Value>(jwks)
        .map(|v| VerifyingJwk::parse_set(&v))
        .unwrap_or_default();
    if let Ok(jws) = DecodedJws::decode(assertion, 16 * 1024) {
        assert_ne!(jws.header.alg, "none");
        let _ = jws.claims::<serde_json::Value>();
        for key in keys.iter().filter(|k| k.accepts(jws.header.kid.as_deref(), jws.alg)) {
            let _ = jws.verify(&key.key);
        }
    }
});
