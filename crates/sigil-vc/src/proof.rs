//! Holder key proofs of type `jwt` (OpenID4VCI 1.0 §8.2.1.1, Appendix F.1): a JWT the wallet
//! signs with the key the credential will be bound to, over the issuer's identifier and a
//! fresh `c_nonce`. The key travels in the header as a `jwk`, or as a `did:jwk` `kid`.

use serde::Deserialize;
use serde_json::{Map, Value};
use sigil_core::{Digest32, b64url_decode};
use sigil_keys::{DecodedJws, JwsAlg, PublicKey};

use crate::request::{VciError, VciErrorCode};

/// The `typ` of a key proof.
pub const PROOF_TYP: &str = "openid4vci-proof+jwt";
/// Longest proof accepted, bytes.
const MAX_PROOF_LEN: usize = 16 * 1024;
/// How far in the future a proof's `iat` may be (clock skew), seconds.
const SKEW: i64 = 60;

/// What a proof must say.
#[derive(Debug, Clone)]
pub struct ProofCheck<'a> {
    /// The Credential Issuer Identifier, the proof's `aud`.
    pub audience: &'a str,
    /// The `c_nonce` the issuer gave out, when it requires one.
    pub nonce: Option<&'a str>,
    /// The issuer's clock, Unix seconds.
    pub now: i64,
    /// How old the proof's `iat` may be, seconds.
    pub max_age: i64,
    /// The algorithms the issuer accepts (`proof_signing_alg_values_supported`).
    pub algs: &'a [JwsAlg],
}

/// The holder key a proof established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderKey {
    /// The key.
    pub key: PublicKey,
    /// Its public JWK, for the credential's `cnf`.
    pub jwk: Map<String, Value>,
}

#[derive(Deserialize)]
struct ProofClaims {
    aud: Option<Value>,
    iat: Option<i64>,
    nonce: Option<String>,
}

/// The `nonce` of a proof, read without verifying it: the issuer looks the `c_nonce` up
/// before it spends a signature verification.
pub fn unverified_nonce(jwt: &str) -> Option<String> {
    let jws = DecodedJws::decode(jwt, MAX_PROOF_LEN).ok()?;
    jws.claims::<ProofClaims>().ok()?.nonce
}

/// Verifies a key proof and returns the holder key it proves possession of.
pub fn verify_jwt_proof(jwt: &str, check: &ProofCheck<'_>) -> Result<HolderKey, VciError> {
    let jws = DecodedJws::decode(jwt, MAX_PROOF_LEN)
        .map_err(|_| VciError::proof("the proof is not a JWS with an accepted algorithm"))?;
    if !check.algs.contains(&jws.alg) {
        return Err(VciError::proof(format!(
            "proofs signed with {} are not accepted",
            jws.alg.as_str()
        )));
    }
    if !jws.has_typ(PROOF_TYP) {
        return Err(VciError::proof(format!(
            "the proof's typ must be {PROOF_TYP}"
        )));
    }
    let jwk = holder_jwk(&jws)?;
    let key = PublicKey::from_jwk(&jwk)
        .map_err(|_| VciError::proof("the proof's key is not a supported public key"))?;
    if !key.supports(jws.alg) {
        return Err(VciError::proof("the proof's alg does not fit its key"));
    }
    jws.verify(&key)
        .map_err(|_| VciError::proof("the proof's signature does not verify"))?;
    let claims: ProofClaims = jws
        .claims()
        .map_err(|_| VciError::proof("the proof's claims are malformed"))?;
    let aud_matches = match &claims.aud {
        Some(Value::String(a)) => a == check.audience,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(check.audience)),
        _ => false,
    };
    if !aud_matches {
        return Err(VciError::proof(
            "the proof's aud is not this credential issuer",
        ));
    }
    let iat = claims
        .iat
        .ok_or_else(|| VciError::proof("the proof has no iat"))?;
    if iat > check.now + SKEW || iat < check.now - check.max_age {
        return Err(VciError::proof(
            "the proof's iat is outside the accepted window",
        ));
    }
    if let Some(expected) = check.nonce {
        let given = claims.nonce.as_deref().unwrap_or_default();
        if !Digest32::of(given).ct_eq(&Digest32::of(expected)) {
            return Err(VciError::new(
                VciErrorCode::InvalidNonce,
                "the proof's nonce is not the c_nonce issued",
            ));
        }
    }
    Ok(HolderKey {
        jwk: key.jwk_members(),
        key,
    })
}

/// The public JWK of a proof: the header's `jwk`, or a `did:jwk` in `kid`; never both, and
/// never a private key.
fn holder_jwk(jws: &DecodedJws) -> Result<Map<String, Value>, VciError> {
    let jwk = match (&jws.header.jwk, &jws.header.kid) {
        (Some(_), Some(_)) => {
            return Err(VciError::proof(
                "a proof carries either jwk or kid, not both",
            ));
        }
        (Some(jwk), None) => jwk.clone(),
        (None, Some(kid)) => did_jwk(kid)
            .ok_or_else(|| VciError::proof("the proof's kid must be a did:jwk DID URL"))?,
        (None, None) => return Err(VciError::proof("the proof names no key (jwk or kid)")),
    };
    if jwk.contains_key("d") {
        return Err(VciError::proof("the proof's jwk holds a private key"));
    }
    Ok(jwk)
}

/// The key of a `did:jwk` DID URL (`did:jwk:<base64url JWK>#0`).
pub fn did_jwk(kid: &str) -> Option<Map<String, Value>> {
    let encoded = kid.strip_prefix("did:jwk:")?;
    let encoded = encoded.split_once('#').map_or(encoded, |(did, _)| did);
    serde_json::from_slice(&b64url_decode(encoded)?).ok()
}
