//! The JOSE and OpenID Connect specifications' own examples, checked against our keys code.

use serde_json::{Map, Value};
use sigil_core::model::SigningAlg;
use sigil_core::{b64url_decode, b64url_encode};
use sigil_keys::{DecodedJws, JwsAlg, PublicKey, SigningKey, thumbprint};

fn vector(path: &str) -> Value {
    let full = format!("{}/../../tests/vectors/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&full).expect("vector file")).expect("json")
}

fn obj(v: &Value) -> &Map<String, Value> {
    v.as_object().expect("object")
}

#[test]
fn rfc7515_a3_es256_verifies_and_tampering_fails() {
    let v = vector("jose/rfc7515_a3_es256.json");
    let key = PublicKey::from_jwk(obj(&v["jwk"])).expect("jwk");
    let compact = v["jws_compact"].as_str().expect("compact");
    let jws = DecodedJws::decode(compact, 4096).expect("decodes");
    assert_eq!(jws.alg, JwsAlg::ES256);
    assert!(jws.verify(&key).is_ok());

    let (input, sig) = compact.rsplit_once('.').expect("three parts");
    let mut bytes = b64url_decode(sig).expect("b64");
    bytes[10] ^= 0x01;
    let flipped = format!("{input}.{}", b64url_encode(&bytes));
    assert!(
        DecodedJws::decode(&flipped, 4096)
            .expect("decodes")
            .verify(&key)
            .is_err()
    );

    // The same signature DER-encoded (SEQUENCE of two INTEGERs) is not a JOSE signature.
    let (r, s) = {
        let raw = b64url_decode(sig).expect("b64");
        (raw[..32].to_vec(), raw[32..].to_vec())
    };
    let int = |x: &[u8]| {
        let mut v = x.to_vec();
        if v[0] & 0x80 != 0 {
            v.insert(0, 0);
        }
        let mut out = vec![0x02, v.len() as u8];
        out.extend(v);
        out
    };
    let mut der = vec![0x30];
    let body = [int(&r), int(&s)].concat();
    der.push(body.len() as u8);
    der.extend(body);
    let der_token = format!("{input}.{}", b64url_encode(&der));
    assert!(
        DecodedJws::decode(&der_token, 4096)
            .expect("decodes")
            .verify(&key)
            .is_err()
    );
}

#[test]
fn rfc8037_ed25519_signs_exactly_and_thumbprints() {
    let v = vector("jose/rfc8037_a_ed25519.json");
    let key = SigningKey::from_private_jwk(SigningAlg::EdDSA, obj(&v["a1_private_key_jwk"]))
        .expect("key");
    let a4 = &v["a4_ed25519_signing"];
    let sig = key.sign(a4["jws_signing_input"].as_str().expect("input").as_bytes());
    assert_eq!(
        b64url_encode(sig),
        a4["signature_b64u"].as_str().expect("sig")
    );

    let public = PublicKey::from_jwk(obj(&v["a2_public_key_jwk"])).expect("public");
    assert_eq!(
        thumbprint(&public),
        v["a3_thumbprint"]["thumbprint_b64u"].as_str().expect("tp")
    );
    assert_eq!(
        key.kid(),
        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
        "kid is the thumbprint"
    );
    let jws =
        DecodedJws::decode(a4["jws_compact"].as_str().expect("compact"), 4096).expect("decodes");
    assert!(jws.verify(&public).is_ok());
}

#[test]
fn rfc7638_rsa_thumbprint_ignores_alg_and_kid() {
    let v = vector("jose/rfc7638_3_1_thumbprint.json");
    let expected = v["thumbprint_b64u"].as_str().expect("tp");
    let mut jwk = obj(&v["jwk"]).clone();
    assert_eq!(
        thumbprint(&PublicKey::from_jwk(&jwk).expect("jwk")),
        expected
    );
    jwk.remove("alg");
    jwk.remove("kid");
    assert_eq!(
        thumbprint(&PublicKey::from_jwk(&jwk).expect("jwk")),
        expected
    );
}

#[test]
fn oidc_core_appendix_a_id_tokens_reproduce_byte_for_byte() {
    let private = vector("oidc-core/rsa_key_1e9gdk7.private.jwk.json");
    let public = vector("oidc-core/rsa_key_1e9gdk7.public.jwk.json");
    let key = SigningKey::from_private_jwk(SigningAlg::RS256, obj(&private)).expect("rsa key");
    assert_eq!(key.kid(), "1e9gdk7");
    let verifier = PublicKey::from_jwk(obj(&public)).expect("public");
    let examples = vector("oidc-core/authorization_examples.json");
    let mut checked = 0;
    for example in examples.as_array().expect("array") {
        let Some(id_token) = example["authorization_response_params"]["id_token"].as_str() else {
            continue;
        };
        let (input, sig) = id_token.rsplit_once('.').expect("parts");
        assert_eq!(
            b64url_encode(key.sign(input.as_bytes())),
            sig,
            "{}",
            example["section"]
        );
        let jws = DecodedJws::decode(id_token, 8192).expect("decodes");
        assert!(jws.verify(&verifier).is_ok());
        let claims: Value = jws.claims().expect("claims");
        assert_eq!(claims, example["id_token_claims"]);
        checked += 1;
    }
    assert_eq!(checked, 4);
}

#[test]
fn forbidden_headers_are_refused_before_any_key_is_tried() {
    let payload = b64url_encode(b"{}");
    for header in [
        r#"{"alg":"none"}"#,
        r#"{"alg":"HS256"}"#,
        r#"{"typ":"JWT"}"#,
        r#"{"alg":"ES256","crit":["exp"]}"#,
    ] {
        let token = format!("{}.{payload}.", b64url_encode(header));
        assert!(
            DecodedJws::decode(&token, 4096).is_err(),
            "{header} accepted"
        );
    }
    for malformed in ["", "a.b", "a.b.c.d", "!!.e30.", &"a".repeat(10_000)] {
        assert!(
            DecodedJws::decode(malformed, 4096).is_err(),
            "{malformed:.20} accepted"
        );
    }
}

#[test]
fn generated_keys_sign_and_verify_for_every_alg() {
    for alg in SigningAlg::ALL {
        let (key, der) = SigningKey::generate(alg).expect("generates");
        let reloaded = SigningKey::from_pkcs8(alg, &der).expect("reloads");
        assert_eq!(reloaded.kid(), key.kid());
        let token = sigil_keys::sign_compact(&key, "JWT", &serde_json::json!({"a": 1}));
        let jws = DecodedJws::decode(&token, 8192).expect("decodes");
        assert!(jws.has_typ("JWT"));
        assert!(jws.verify(reloaded.public_key()).is_ok(), "{alg:?}");
        let published = PublicKey::from_jwk(obj(&key.public_jwk())).expect("public jwk parses");
        assert_eq!(&published, key.public_key());
    }
}
