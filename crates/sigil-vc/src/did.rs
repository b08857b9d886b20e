//! Issuer keys named by DIDs (SD-JWT VC §3.5: an `iss` that is a DID, a `kid` that is a DID
//! URL of one of its verification methods): `did:jwk` and `did:key` carry the key in the
//! identifier itself; `did:web` names a DID document served over HTTPS, which the caller
//! fetches from [`did_web_document_url`] and reads with [`key_in_document`].
//!
//! An issuer can also be a `did:web` itself: [`did_web_of`] names its issuer URL as one,
//! [`did_document`] describes its signing keys, and [`issuer_header`] names the signing key
//! by its DID URL.
//!
//! `did:key` keys (and `publicKeyMultibase` members) are Multikeys: base58btc, a multicodec
//! prefix, then the key. Ed25519 keys are taken as they are; P-256 keys come compressed
//! (SEC 1 §2.3.3), and are decompressed here with `num-bigint` (already in the build): no
//! crate in the build does it for a public key alone, and aws-lc validates the point when it
//! is used.

use num_bigint::BigUint;
use serde_json::{Map, Value};
use sigil_core::b64url_decode;
use sigil_keys::{JwsHeader, PublicKey, SigningKey, key_header};

/// Multicodec prefix of a P-256 public key (`p256-pub`, 0x1200, as a varint).
const P256_PUB: [u8; 2] = [0x80, 0x24];
/// Multicodec prefix of an Ed25519 public key (`ed25519-pub`, 0xed, as a varint).
const ED25519_PUB: [u8; 2] = [0xed, 0x01];

/// Whether `iss` is a DID.
pub fn is_did(iss: &str) -> bool {
    iss.starts_with("did:")
}

/// The fragment `kid` names in `did`'s document: from a DID URL (`did#frag`) or a relative
/// reference (`#frag`). `None` when `kid` names another DID or has no fragment.
fn fragment<'a>(did: &str, kid: &'a str) -> Option<&'a str> {
    let rest = kid.strip_prefix(did).unwrap_or(kid);
    rest.strip_prefix('#')
}

/// The key of a `did:jwk` or `did:key` issuer, checked against `kid` when there is one;
/// `Ok(None)` for the DID methods whose document must be fetched.
pub fn key_in_identifier(did: &str, kid: Option<&str>) -> Result<Option<PublicKey>, String> {
    let kid_is = |expected: &str| match kid {
        None => Ok(()),
        Some(kid) if fragment(did, kid) == Some(expected) => Ok(()),
        Some(_) => Err(format!("the kid does not name the key of {did}")),
    };
    if let Some(encoded) = did.strip_prefix("did:jwk:") {
        kid_is("0")?;
        let bytes = b64url_decode(encoded).ok_or("a did:jwk is not base64url")?;
        let jwk: Map<String, Value> =
            serde_json::from_slice(&bytes).map_err(|_| "a did:jwk does not hold a JWK")?;
        if jwk.contains_key("d") {
            return Err("a did:jwk holds a private key".into());
        }
        return PublicKey::from_jwk(&jwk)
            .map(Some)
            .map_err(|e| format!("the did:jwk key is unusable: {e}"));
    }
    if let Some(multibase) = did.strip_prefix("did:key:") {
        kid_is(multibase)?;
        return multikey(multibase).map(Some);
    }
    if did.starts_with("did:web:") {
        return Ok(None);
    }
    Err(format!(
        "{did} uses a DID method Sigil does not resolve (did:jwk, did:key, did:web)"
    ))
}

/// The `did:jwk` of a public key: its JWK (the required members, in the order RFC 7638 puts
/// them) as base64url JSON. Its one verification method is `#0`.
pub fn did_jwk(key: &PublicKey) -> String {
    let jwk = serde_json::to_vec(&key.jwk_members()).unwrap_or_default();
    format!("did:jwk:{}", sigil_core::b64url_encode(jwk))
}

/// Decodes a Multikey (`z` + base58btc of a multicodec-prefixed key).
pub fn multikey(multibase: &str) -> Result<PublicKey, String> {
    let encoded = multibase
        .strip_prefix('z')
        .ok_or("a multikey must be base58btc (z…)")?;
    let bytes = bs58::decode(encoded)
        .into_vec()
        .map_err(|_| "a multikey is not base58btc")?;
    if let Some(key) = bytes.strip_prefix(&ED25519_PUB) {
        let x: [u8; 32] = key.try_into().map_err(|_| "an Ed25519 key has 32 bytes")?;
        return Ok(PublicKey::Ed25519 { x });
    }
    if let Some(point) = bytes.strip_prefix(&P256_PUB) {
        return decompress_p256(point);
    }
    Err("the multikey is neither an Ed25519 nor a P-256 key".into())
}

/// A P-256 point from its compressed form (`02|03 || x`): y² = x³ − 3x + b (mod p), and
/// p ≡ 3 (mod 4), so y = (y²)^((p+1)/4), the root whose parity the prefix names.
fn decompress_p256(point: &[u8]) -> Result<PublicKey, String> {
    let (&prefix, x_bytes) = point.split_first().ok_or("an empty P-256 key")?;
    if !matches!(prefix, 2 | 3) || x_bytes.len() != 32 {
        return Err("a P-256 multikey is a 33-byte compressed point".into());
    }
    let p = BigUint::parse_bytes(
        b"ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
        16,
    )
    .ok_or("P-256 prime")?;
    let b = BigUint::parse_bytes(
        b"5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b",
        16,
    )
    .ok_or("P-256 b")?;
    let x = BigUint::from_bytes_be(x_bytes);
    if x >= p {
        return Err("a P-256 x coordinate is out of range".into());
    }
    let three_x = (&x * 3u32) % &p;
    let y_squared = ((&x * &x % &p) * &x + &b + &p - three_x) % &p;
    let mut y = y_squared.modpow(&((&p + 1u32) >> 2), &p);
    if (&y * &y) % &p != y_squared {
        return Err("the x coordinate is not on P-256".into());
    }
    if y.bit(0) != (prefix == 3) {
        y = &p - y;
    }
    let fixed = |n: &BigUint| -> [u8; 32] {
        let bytes = n.to_bytes_be();
        let mut out = [0u8; 32];
        out[32 - bytes.len()..].copy_from_slice(&bytes);
        out
    };
    Ok(PublicKey::P256 {
        x: fixed(&x),
        y: fixed(&y),
    })
}

/// Where a `did:web` document is served: `did:web:host[%3Aport][:path…]` →
/// `https://host[:port]/path…/did.json`, or `/.well-known/did.json` without a path. With
/// `http_on_loopback`, a loopback host is reached over plain HTTP (for development).
pub fn did_web_document_url(did: &str, http_on_loopback: bool) -> Result<String, String> {
    let specific = did.strip_prefix("did:web:").ok_or("not a did:web")?;
    let mut parts = specific.split(':');
    let host = parts
        .next()
        .filter(|h| !h.is_empty())
        .ok_or("a did:web names no host")?
        .replace("%3A", ":")
        .replace("%3a", ":");
    let path: Vec<&str> = parts.collect();
    if path
        .iter()
        .any(|p| p.is_empty() || p.contains(['/', '?', '#']))
    {
        return Err("a did:web path is malformed".into());
    }
    let loopback = ["localhost", "127.0.0.1", "[::1]"]
        .iter()
        .any(|l| host == *l || host.starts_with(&format!("{l}:")));
    let scheme = if http_on_loopback && loopback {
        "http"
    } else {
        "https"
    };
    let url = if path.is_empty() {
        format!("{scheme}://{host}/.well-known/did.json")
    } else {
        format!("{scheme}://{host}/{}/did.json", path.join("/"))
    };
    url::Url::parse(&url).map_err(|_| "a did:web names no valid host".to_owned())?;
    Ok(url)
}

/// The `did:web` that names an issuer URL (`https://host[:port][/path…]` →
/// `did:web:host[%3Aport][:path…]`), whose document is then served at
/// [`did_web_document_url`]. `None` for a URL no `did:web` can name: not https (nor http on a
/// loopback host, for development), with a query, a fragment, credentials or a path segment
/// that holds a colon.
pub fn did_web_of(issuer: &str) -> Option<String> {
    let url = url::Url::parse(issuer).ok()?;
    let host = url.host_str()?;
    let loopback = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
    let secure = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    if !secure || url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return None;
    }
    let mut did = format!("did:web:{host}");
    if let Some(port) = url.port() {
        did.push_str(&format!("%3A{port}"));
    }
    for segment in url.path().split('/').filter(|s| !s.is_empty()) {
        if segment.contains(':') || segment.contains('%') {
            return None;
        }
        did.push(':');
        did.push_str(segment);
    }
    Some(did)
}

/// The DID document of a `did:web` issuer: each P-256 key of `jwks` (a JWK Set, as the
/// issuer publishes it) as a `JsonWebKey2020` verification method `did#kid`, all of them
/// listed under `assertionMethod` (what verifiers of credentials look in).
pub fn did_document(did: &str, jwks: &Value) -> Value {
    let methods: Vec<Value> = jwks
        .get("keys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|k| k.get("crv").and_then(Value::as_str) == Some("P-256"))
        .filter_map(|k| {
            let kid = k.get("kid").and_then(Value::as_str)?;
            Some(serde_json::json!({
                "id": format!("{did}#{kid}"),
                "type": "JsonWebKey2020",
                "controller": did,
                "publicKeyJwk": k,
            }))
        })
        .collect();
    let ids: Vec<&Value> = methods.iter().filter_map(|m| m.get("id")).collect();
    serde_json::json!({
        "@context": [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/suites/jws-2020/v1",
        ],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
    })
}

/// The header `{alg, kid, typ[, x5c]}` of a token `key` signs for `issuer`: when the issuer
/// is a DID, `kid` is the DID URL of the key's verification method (SD-JWT VC §3.5), so a
/// verifier finds it in the issuer's DID document.
pub fn issuer_header(
    key: &SigningKey,
    typ: &str,
    issuer: &str,
    x5c: Option<&[String]>,
) -> JwsHeader {
    let mut header = key_header(key, typ, x5c);
    if is_did(issuer) {
        header.kid = Some(format!("{issuer}#{}", key.kid()));
    }
    header
}

/// The key of the verification method `kid` in `did`'s document `doc`, which must be one
/// the DID's controller asserts with (`assertionMethod`). Without a `kid`, the document must
/// have exactly one such method.
pub fn key_in_document(doc: &Value, did: &str, kid: Option<&str>) -> Result<PublicKey, String> {
    if doc.get("id").and_then(Value::as_str) != Some(did) {
        return Err("the DID document is about another DID".into());
    }
    let absolute = |id: &str| {
        if id.starts_with('#') {
            format!("{did}{id}")
        } else {
            id.to_owned()
        }
    };
    let methods: Vec<&Value> = doc
        .get("verificationMethod")
        .and_then(Value::as_array)
        .map(|m| m.iter().collect())
        .unwrap_or_default();
    let assertion: Vec<(String, Option<&Value>)> = doc
        .get("assertionMethod")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| match m {
            Value::String(id) => Some((absolute(id), None)),
            Value::Object(o) => o
                .get("id")
                .and_then(Value::as_str)
                .map(|id| (absolute(id), Some(m))),
            _ => None,
        })
        .collect();
    let wanted = match kid {
        Some(kid) => absolute(kid),
        None => match assertion.as_slice() {
            [(only, _)] => only.clone(),
            _ => return Err("the credential names no key (kid) of its DID".into()),
        },
    };
    let (_, embedded) = assertion
        .iter()
        .find(|(id, _)| *id == wanted)
        .ok_or("the key is not one the DID asserts with (assertionMethod)")?;
    let method = embedded
        .or_else(|| {
            methods
                .iter()
                .find(|m| m.get("id").and_then(Value::as_str).map(absolute) == Some(wanted.clone()))
                .copied()
        })
        .ok_or("the DID document does not describe the key")?;
    if let Some(jwk) = method.get("publicKeyJwk").and_then(Value::as_object) {
        return PublicKey::from_jwk(jwk).map_err(|e| format!("the DID's key is unusable: {e}"));
    }
    if let Some(multibase) = method.get("publicKeyMultibase").and_then(Value::as_str) {
        return multikey(multibase);
    }
    Err("the verification method has neither publicKeyJwk nor publicKeyMultibase".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn jwk_of(key: &PublicKey) -> Value {
        Value::Object(key.jwk_members())
    }

    #[test]
    fn did_key_test_vectors_decode_to_their_jwks() {
        // did:key method specification, test vectors (P-256 and Ed25519), with the JWKs the
        // specification lists for them.
        let p256 = key_in_identifier(
            "did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169",
            None,
        )
        .expect("resolves")
        .expect("a key");
        assert_eq!(
            jwk_of(&p256)["x"],
            "fyNYMN0976ci7xqiSdag3buk-ZCwgXU4kz9XNkBlNUI"
        );
        assert_eq!(
            jwk_of(&p256)["y"],
            "hW2ojTNfH7Jbi8--CJUo3OCbH3y5n91g-IMA9MLMbTU"
        );
        let other = key_in_identifier(
            "did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv",
            None,
        )
        .expect("resolves")
        .expect("a key");
        assert_eq!(
            jwk_of(&other)["y"],
            "efsX5b10x8yjyrj4ny3pGfLcY7Xby1KzgqOdqnsrJIM"
        );
        let ed = key_in_identifier(
            "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
            Some("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp#z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"),
        )
        .expect("resolves")
        .expect("a key");
        assert_eq!(
            jwk_of(&ed)["x"],
            "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik"
        );
        assert!(
            key_in_identifier(
                "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
                Some("#other")
            )
            .is_err()
        );
    }

    #[test]
    fn did_jwk_carries_its_key_as_fragment_zero() {
        let jwk = json!({"kty": "EC", "crv": "P-256",
            "x": "acbIQiuMs3i8_uszEjJ2tpTtRM4EU3yz91PH6CdH2V0",
            "y": "_KcyLj9vWMptnmKtm46GqDz8wf74I5LKgrl2GzH3nSE"});
        let did = format!(
            "did:jwk:{}",
            sigil_core::b64url_encode(jwk.to_string().as_bytes())
        );
        let key = key_in_identifier(&did, Some(&format!("{did}#0")))
            .expect("resolves")
            .expect("a key");
        assert_eq!(jwk_of(&key)["x"], jwk["x"]);
        assert!(key_in_identifier(&did, Some("#1")).is_err());
        assert!(key_in_identifier("did:jwk:not-json", None).is_err());
        assert!(key_in_identifier("did:example:123", None).is_err());
        assert_eq!(key_in_identifier("did:web:example.com", None), Ok(None));
    }

    #[test]
    fn did_web_documents_are_found_where_the_method_says() {
        let url = |did| did_web_document_url(did, false).expect("a URL");
        assert_eq!(
            url("did:web:w3c-ccg.github.io"),
            "https://w3c-ccg.github.io/.well-known/did.json"
        );
        assert_eq!(
            url("did:web:w3c-ccg.github.io:user:alice"),
            "https://w3c-ccg.github.io/user/alice/did.json"
        );
        assert_eq!(
            url("did:web:example.com%3A3000"),
            "https://example.com:3000/.well-known/did.json"
        );
        assert_eq!(
            did_web_document_url("did:web:127.0.0.1%3A8080", true).expect("a URL"),
            "http://127.0.0.1:8080/.well-known/did.json"
        );
        assert!(did_web_document_url("did:web:", false).is_err());
        assert!(did_web_document_url("did:web:example.com::x", false).is_err());
    }

    #[test]
    fn a_document_key_must_be_an_assertion_method() {
        let did = "did:web:issuer.example";
        let doc = json!({
            "id": did,
            "verificationMethod": [
                {"id": "#sign", "type": "JsonWebKey", "controller": did,
                 "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519", "x": "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik"}},
                {"id": format!("{did}#auth"), "type": "Multikey", "controller": did,
                 "publicKeyMultibase": "zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169"}
            ],
            "assertionMethod": ["#sign"],
            "authentication": [format!("{did}#auth")]
        });
        assert!(key_in_document(&doc, did, Some(&format!("{did}#sign"))).is_ok());
        assert!(key_in_document(&doc, did, Some("#sign")).is_ok());
        assert!(
            key_in_document(&doc, did, None).is_ok(),
            "the only assertion method"
        );
        assert!(key_in_document(&doc, did, Some("#auth")).is_err());
        assert!(key_in_document(&doc, "did:web:other.example", Some("#sign")).is_err());
        let mut multi = doc.clone();
        multi["assertionMethod"] = json!(["#sign", "#auth"]);
        assert!(key_in_document(&multi, did, Some("#auth")).is_ok());
        assert!(key_in_document(&multi, did, None).is_err());
    }

    proptest::proptest! {
        #[test]
        fn no_identifier_or_document_makes_it_panic(tail in "[1-9A-HJ-NP-Za-km-z]{0,60}", text in ".{0,120}") {
            let _ = key_in_identifier(&format!("did:key:z{tail}"), None);
            let _ = key_in_identifier(&format!("did:jwk:{text}"), Some(&text));
            let _ = did_web_document_url(&format!("did:web:{text}"), true);
            let doc = json!({"id": "did:web:x", "verificationMethod": [{"id": text, "publicKeyMultibase": format!("z{tail}")}],
                "assertionMethod": [text]});
            let _ = key_in_document(&doc, "did:web:x", Some(&text));
        }
    }

    #[test]
    fn issuer_urls_name_did_webs_that_lead_back_to_them() {
        let cases = [
            ("https://id.example.com", "did:web:id.example.com"),
            (
                "https://id.example.com/t/acme",
                "did:web:id.example.com:t:acme",
            ),
            ("http://127.0.0.1:8080", "did:web:127.0.0.1%3A8080"),
            ("http://localhost:8080/t/b", "did:web:localhost%3A8080:t:b"),
        ];
        for (issuer, did) in cases {
            assert_eq!(did_web_of(issuer).as_deref(), Some(did));
            let document = did_web_document_url(did, true).expect("a URL");
            let expected = if issuer.contains("/t/") {
                format!("{issuer}/did.json")
            } else {
                format!("{issuer}/.well-known/did.json")
            };
            assert_eq!(document, expected);
        }
        for unnamed in [
            "http://id.example.com",
            "https://id.example.com/?q=1",
            "https://u:p@id.example.com",
            "https://id.example.com/a%3Ab",
            "not a url",
        ] {
            assert_eq!(did_web_of(unnamed), None, "{unnamed}");
        }
    }

    #[test]
    fn an_issuer_did_document_describes_its_p256_keys_for_assertions() {
        let (key, _) =
            SigningKey::generate(sigil_core::model::SigningAlg::ES256).expect("a P-256 key");
        let (rsa, _) =
            SigningKey::generate(sigil_core::model::SigningAlg::RS256).expect("an RSA key");
        let jwks = json!({"keys": [key.public_jwk(), rsa.public_jwk()]});
        let did = "did:web:id.example.com";
        let doc = did_document(did, &jwks);
        assert_eq!(doc["verificationMethod"].as_array().map(Vec::len), Some(1));
        let header = issuer_header(&key, "dc+sd-jwt", did, None);
        let kid = header.kid.expect("a kid");
        assert_eq!(kid, format!("{did}#{}", key.kid()));
        let found = key_in_document(&doc, did, Some(&kid)).expect("the key is found");
        assert_eq!(&found, key.public_key());
        let rsa_kid = format!("{did}#{}", rsa.kid());
        assert!(key_in_document(&doc, did, Some(&rsa_kid)).is_err());
        let plain = issuer_header(&key, "dc+sd-jwt", "https://id.example.com", None);
        assert_eq!(plain.kid.as_deref(), Some(key.kid()));
    }

    #[test]
    fn bad_p256_points_are_refused() {
        assert!(decompress_p256(&[4; 33]).is_err());
        assert!(decompress_p256(&[2; 10]).is_err());
        assert!(decompress_p256(&[&[2u8][..], &[0xff; 32][..]].concat()).is_err());
    }
}
