//! Key attestations (OpenID4VCI 1.0 Appendix D, which HAIP 1.0 §4.5.1 makes wallets support):
//! a wallet provider's signed statement (`typ: key-attestation+jwt`) that the keys in
//! `attested_keys` live in a key storage of a given strength (`key_storage`) and are unlocked
//! by a given user authentication (`user_authentication`). An issuer that requires them for a
//! credential configuration says so in `proof_types_supported.*.key_attestations_required`.
//!
//! The attestation comes in a `jwt` key proof's `key_attestation` header (Appendix F.1), or
//! alone as an `attestation` proof (F.3), where it also stands for possession of its keys.
//! Its signer is trusted through an `x5c` chain to one of the issuer's wallet-provider trust
//! anchors (HAIP: the signing certificate is not self-signed, the anchor is not in `x5c`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sigil_core::Digest32;
use sigil_keys::{DecodedJws, JwsAlg, PublicKey};

use crate::proof::HolderKey;
use crate::request::{VciError, VciErrorCode};
use crate::trust::{parse_anchors, verify_anchored};

/// The `typ` of a key attestation.
pub const KEY_ATTESTATION_TYP: &str = "key-attestation+jwt";
/// Longest key attestation accepted, bytes (it carries a certificate chain).
const MAX_ATTESTATION_LEN: usize = 64 * 1024;
/// How far in the future an attestation's `iat` may be (clock skew), seconds.
const SKEW: i64 = 60;

/// What a credential configuration requires of key attestations, and whose it trusts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyAttestationPolicy {
    /// Key storage levels accepted (`iso_18045_high`, …); the attestation must name one.
    /// Empty: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_storage: Vec<String>,
    /// User authentication levels accepted; the attestation must name one. Empty: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_authentication: Vec<String>,
    /// The wallet providers' CA certificates (PEM, or base64 DER) that attestation signers'
    /// chains must lead to.
    pub trust_anchors: Vec<String>,
}

impl KeyAttestationPolicy {
    /// `key_attestations_required` as metadata publishes it (§12.2.4): the accepted levels,
    /// `{}` when any will do.
    pub fn metadata(&self) -> Value {
        let mut required = Map::new();
        if !self.key_storage.is_empty() {
            required.insert("key_storage".into(), json!(self.key_storage));
        }
        if !self.user_authentication.is_empty() {
            required.insert(
                "user_authentication".into(),
                json!(self.user_authentication),
            );
        }
        Value::Object(required)
    }

    /// Checks the policy can be applied: anchors that parse, levels that are names.
    pub fn validate(&self) -> Result<(), String> {
        if self.trust_anchors.is_empty() {
            return Err("key attestations need the wallet providers' trust_anchors".into());
        }
        parse_anchors(&self.trust_anchors)?;
        let named = |l: &String| !l.is_empty() && l.len() <= 100;
        if !self
            .key_storage
            .iter()
            .chain(&self.user_authentication)
            .all(named)
        {
            return Err("key_storage and user_authentication levels are 1-100 characters".into());
        }
        Ok(())
    }
}

/// How one attestation is checked.
#[derive(Debug, Clone)]
pub struct AttestationCheck<'a> {
    /// What the credential configuration requires.
    pub policy: &'a KeyAttestationPolicy,
    /// The `c_nonce` the attestation must carry.
    pub nonce: &'a str,
    /// The issuer's clock, Unix seconds.
    pub now: i64,
    /// How old the attestation's `iat` may be, seconds.
    pub max_age: i64,
    /// Algorithms accepted for the attestation's signature.
    pub algs: &'a [JwsAlg],
    /// Most keys one attestation may attest (the batch size).
    pub max_keys: usize,
}

#[derive(Deserialize)]
struct AttestationClaims {
    iat: Option<i64>,
    exp: Option<i64>,
    #[serde(default)]
    attested_keys: Vec<Value>,
    #[serde(default)]
    key_storage: Option<Vec<String>>,
    #[serde(default)]
    user_authentication: Option<Vec<String>>,
    nonce: Option<String>,
}

/// Verifies a key attestation; the keys it attests. `in_jwt_proof` is set when it came in a
/// `jwt` proof's header, where it must also carry `exp` (Appendix D.1).
pub fn verify_key_attestation(
    jwt: &str,
    check: &AttestationCheck<'_>,
    in_jwt_proof: bool,
) -> Result<Vec<HolderKey>, VciError> {
    let refused = |why: &str| VciError::proof(format!("the key attestation {why}"));
    let jws = DecodedJws::decode(jwt, MAX_ATTESTATION_LEN)
        .map_err(|_| refused("is not a JWS with an accepted algorithm"))?;
    if !check.algs.contains(&jws.alg) {
        return Err(refused("is signed with an algorithm not accepted"));
    }
    if !jws.has_typ(KEY_ATTESTATION_TYP) {
        return Err(refused(&format!("must have typ {KEY_ATTESTATION_TYP}")));
    }
    let anchors = parse_anchors(&check.policy.trust_anchors).map_err(|e| refused(&e))?;
    verify_anchored(&jws, &anchors, check.now).map_err(|e| refused(&e))?;
    let claims: AttestationClaims = jws.claims().map_err(|_| refused("claims are malformed"))?;
    let iat = claims.iat.ok_or_else(|| refused("has no iat"))?;
    if iat > check.now + SKEW || iat < check.now - check.max_age {
        return Err(refused("iat is outside the accepted window"));
    }
    match claims.exp {
        Some(exp) if exp <= check.now => return Err(refused("has expired")),
        None if in_jwt_proof => return Err(refused("in a jwt proof must carry exp")),
        _ => {}
    }
    let given = claims.nonce.as_deref().unwrap_or_default();
    if !Digest32::of(given).ct_eq(&Digest32::of(check.nonce)) {
        return Err(VciError::new(
            VciErrorCode::InvalidNonce,
            "the key attestation's nonce is not the c_nonce issued",
        ));
    }
    meets(
        &claims.key_storage,
        &check.policy.key_storage,
        "key storage",
    )?;
    meets(
        &claims.user_authentication,
        &check.policy.user_authentication,
        "user authentication",
    )?;
    if claims.attested_keys.is_empty() || claims.attested_keys.len() > check.max_keys {
        return Err(refused(&format!(
            "must attest 1 to {} keys",
            check.max_keys
        )));
    }
    claims
        .attested_keys
        .iter()
        .map(|jwk| {
            let jwk = jwk
                .as_object()
                .filter(|k| !k.contains_key("d"))
                .ok_or_else(|| refused("attests something that is not a public JWK"))?;
            let key = PublicKey::from_jwk(jwk)
                .map_err(|_| refused("attests a key that is not supported"))?;
            Ok(HolderKey {
                jwk: key.jwk_members(),
                key,
            })
        })
        .collect()
}

/// Whether the attestation's levels (`stated`) include one of the `accepted`.
fn meets(stated: &Option<Vec<String>>, accepted: &[String], what: &str) -> Result<(), VciError> {
    if accepted.is_empty() {
        return Ok(());
    }
    let stated = stated.as_deref().unwrap_or_default();
    if stated.iter().any(|s| accepted.contains(s)) {
        Ok(())
    } else {
        Err(VciError::proof(format!(
            "the key attestation states no {what} level this credential requires ({})",
            accepted.join(", ")
        )))
    }
}

/// The `key_attestation` header of a `jwt` key proof, when it has one.
pub fn key_attestation_header(proof: &str) -> Result<Option<String>, VciError> {
    let header = proof.split('.').next().unwrap_or_default();
    let header: Map<String, Value> = sigil_core::b64url_decode(header)
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| VciError::proof("the proof's header is malformed"))?;
    match header.get("key_attestation") {
        None => Ok(None),
        Some(Value::String(jwt)) => Ok(Some(jwt.clone())),
        Some(_) => Err(VciError::proof("the proof's key_attestation must be a JWT")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{NOW, Provider, key};
    use sigil_keys::sign_with_header;
    use sigil_keys::x509::ca_certificate;

    fn provider() -> Provider {
        Provider::new()
    }

    fn attestation(p: &Provider, claims: &Value) -> String {
        p.sign(KEY_ATTESTATION_TYP, claims)
    }

    fn policy(p: &Provider) -> KeyAttestationPolicy {
        KeyAttestationPolicy {
            key_storage: vec!["iso_18045_high".into()],
            user_authentication: Vec::new(),
            trust_anchors: vec![p.anchor()],
        }
    }

    fn check(policy: &KeyAttestationPolicy) -> AttestationCheck<'_> {
        AttestationCheck {
            policy,
            nonce: "n-1",
            now: NOW,
            max_age: 300,
            algs: &[JwsAlg::ES256],
            max_keys: 2,
        }
    }

    #[test]
    fn an_attestation_from_a_trusted_provider_yields_its_keys() {
        let p = provider();
        let holder = key();
        let claims = json!({"iat": NOW, "exp": NOW + 60, "nonce": "n-1",
            "attested_keys": [holder.public_jwk()], "key_storage": ["iso_18045_high"]});
        let policy = policy(&p);
        let keys = verify_key_attestation(&attestation(&p, &claims), &check(&policy), true)
            .expect("trusted");
        assert_eq!(keys.len(), 1);
        assert_eq!(&keys[0].key, holder.public_key());
        assert_eq!(
            policy.metadata(),
            json!({"key_storage": ["iso_18045_high"]})
        );
    }

    #[test]
    fn attestations_that_fall_short_are_refused() {
        let p = provider();
        let policy = policy(&p);
        let holder = key().public_jwk();
        let good = json!({"iat": NOW, "exp": NOW + 60, "nonce": "n-1",
            "attested_keys": [holder], "key_storage": ["iso_18045_high"]});
        let with = |member: &str, value: Value| {
            let mut c = good.clone();
            c[member] = value;
            c
        };
        let without = |member: &str| {
            let mut c = good.clone();
            c.as_object_mut().expect("object").remove(member);
            c
        };
        let cases = [
            (without("exp"), "exp"),
            (with("exp", json!(NOW - 1)), "expired"),
            (without("iat"), "iat"),
            (with("iat", json!(NOW + 600)), "iat"),
            (with("nonce", json!("other")), "nonce"),
            (
                with("key_storage", json!(["iso_18045_basic"])),
                "key storage",
            ),
            (without("key_storage"), "key storage"),
            (with("attested_keys", json!([])), "1 to 2"),
            (
                with("attested_keys", json!([holder, holder, holder])),
                "1 to 2",
            ),
            (
                with("attested_keys", json!([{"kty": "EC", "d": "x"}])),
                "public JWK",
            ),
        ];
        for (claims, why) in cases {
            let err = verify_key_attestation(&attestation(&p, &claims), &check(&policy), true)
                .expect_err(why);
            assert!(err.description.contains(why), "{why}: {}", err.description);
        }
        // Another provider's attestation, and one with no chain at all.
        let stranger = provider();
        let err = verify_key_attestation(&attestation(&stranger, &good), &check(&policy), true)
            .expect_err("untrusted");
        assert!(
            err.description.contains("not trusted"),
            "{}",
            err.description
        );
        let mut unchained = provider();
        unchained.x5c.clear();
        assert!(
            verify_key_attestation(&attestation(&unchained, &good), &check(&policy), true).is_err()
        );
        // Outside a jwt proof, exp may be left out.
        assert!(
            verify_key_attestation(&attestation(&p, &without("exp")), &check(&policy), false)
                .is_ok()
        );
    }

    #[test]
    fn a_self_signed_attester_is_refused_even_as_an_anchor() {
        let attester = key();
        let cert = ca_certificate(&attester, "Self", sigil_core::UnixTime(NOW - 10), 365)
            .expect("certificate");
        let p = Provider {
            x5c: vec![sigil_core::b64_encode(&cert)],
            ca: cert,
            attester,
        };
        let claims = json!({"iat": NOW, "exp": NOW + 60, "nonce": "n-1",
            "attested_keys": [key().public_jwk()], "key_storage": ["iso_18045_high"]});
        let policy = policy(&p);
        assert!(verify_key_attestation(&attestation(&p, &claims), &check(&policy), true).is_err());
    }

    #[test]
    fn the_proof_header_carries_the_attestation() {
        let holder = key();
        let mut header = crate::test_support::header("openid4vci-proof+jwt", None);
        header.jwk = Some(holder.public_key().jwk_members());
        let proof = sign_with_header(&holder, &header, &json!({}));
        assert_eq!(key_attestation_header(&proof).expect("read"), None);
        assert!(key_attestation_header("!!.x.y").is_err());
    }
}
