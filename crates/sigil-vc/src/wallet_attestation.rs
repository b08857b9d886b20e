//! Wallet attestations (OpenID4VCI 1.0 Appendix E, HAIP 1.0 §4.4.1): a wallet authenticates
//! to the token endpoint with OAuth 2.0 Attestation-Based Client Authentication
//! (draft-ietf-oauth-attestation-based-client-auth-07, the version OpenID4VCI 1.0 pins). Two
//! headers carry it:
//! - `OAuth-Client-Attestation`: a JWT (`typ: oauth-client-attestation+jwt`) its wallet
//!   provider signs, naming the wallet (`sub`, its client identifier) and the key of this
//!   wallet instance (`cnf.jwk`); the signer is trusted through an `x5c` chain to one of the
//!   issuer's wallet-provider trust anchors (HAIP: not self-signed, the anchor left out);
//! - `OAuth-Client-Attestation-PoP`: a JWT (`typ: oauth-client-attestation-pop+jwt`) the
//!   instance key signs for this authorization server (`aud`), fresh (`iat`) and single use
//!   (`jti`, which the caller records).
//!
//! Later drafts dropped `iss` from both JWTs and `@openid4vc/oauth2` adds `exp` to the
//! proof: both forms are accepted. The attestation's `iss` names its provider; the proof's
//! `iss`, when present, must be the wallet's `sub`.

use serde::Deserialize;
use serde_json::{Map, Value};
use sigil_keys::{DecodedJws, JwsAlg, PublicKey};

use crate::trust::verify_anchored;

/// The header that carries the wallet attestation.
pub const ATTESTATION_HEADER: &str = "OAuth-Client-Attestation";
/// The header that carries its proof of possession.
pub const POP_HEADER: &str = "OAuth-Client-Attestation-PoP";
/// The token endpoint authentication method (`token_endpoint_auth_methods_supported`).
pub const ATTEST_JWT_CLIENT_AUTH: &str = "attest_jwt_client_auth";
/// The `typ` of a wallet attestation.
pub const ATTESTATION_TYP: &str = "oauth-client-attestation+jwt";
/// The `typ` of its proof of possession.
pub const POP_TYP: &str = "oauth-client-attestation-pop+jwt";
/// Algorithms accepted for both JWTs.
pub const ATTESTATION_ALGS: [JwsAlg; 4] =
    [JwsAlg::ES256, JwsAlg::EdDSA, JwsAlg::PS256, JwsAlg::RS256];
/// Longest attestation accepted, bytes (it carries a certificate chain).
const MAX_ATTESTATION_LEN: usize = 64 * 1024;
/// Longest proof of possession accepted, bytes.
const MAX_POP_LEN: usize = 8 * 1024;
/// Clock skew allowed, seconds.
const SKEW: i64 = 60;

/// The two headers of a token request, as sent.
#[derive(Debug, Clone, Copy)]
pub struct PresentedAttestation<'a> {
    /// `OAuth-Client-Attestation`.
    pub attestation: &'a str,
    /// `OAuth-Client-Attestation-PoP`.
    pub pop: &'a str,
}

/// What the authorization server checks them against.
#[derive(Debug, Clone, Copy)]
pub struct WalletAttestationCheck<'a> {
    /// The wallet providers' trust anchors (DER).
    pub anchors: &'a [Vec<u8>],
    /// The authorization server's issuer identifier, the proof's `aud`.
    pub issuer: &'a str,
    /// The server's clock, Unix seconds.
    pub now: i64,
    /// How old the proof's `iat` may be, seconds.
    pub max_pop_age: i64,
}

/// A wallet instance the headers authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestedWallet {
    /// The wallet's client identifier (the attestation's `sub`).
    pub client_id: String,
    /// The wallet's name, when its provider gives one (`wallet_name`).
    pub wallet_name: Option<String>,
    /// The instance key (`cnf.jwk`).
    pub instance_key: PublicKey,
    /// The proof's `jti`, to be recorded against replay until `replay_until`.
    pub pop_jti: String,
    /// When the proof can no longer be accepted, so its `jti` may be forgotten.
    pub replay_until: i64,
}

#[derive(Deserialize)]
struct AttestationClaims {
    sub: Option<String>,
    exp: Option<i64>,
    iat: Option<i64>,
    nbf: Option<i64>,
    cnf: Option<Map<String, Value>>,
    wallet_name: Option<String>,
}

#[derive(Deserialize)]
struct PopClaims {
    iss: Option<String>,
    aud: Option<Value>,
    jti: Option<String>,
    iat: Option<i64>,
    exp: Option<i64>,
}

/// Verifies a wallet attestation and its proof of possession; the wallet they authenticate.
pub fn verify_wallet_attestation(
    presented: PresentedAttestation<'_>,
    check: &WalletAttestationCheck<'_>,
) -> Result<AttestedWallet, String> {
    let attestation = decode(presented.attestation, MAX_ATTESTATION_LEN, ATTESTATION_TYP)?;
    verify_anchored(&attestation, check.anchors, check.now)
        .map_err(|e| format!("the wallet attestation {e}"))?;
    let claims: AttestationClaims = attestation
        .claims()
        .map_err(|_| "the wallet attestation's claims are malformed")?;
    let client_id = claims
        .sub
        .filter(|s| !s.is_empty() && s.len() <= 255)
        .ok_or("the wallet attestation names no wallet (sub)")?;
    match claims.exp {
        Some(exp) if exp > check.now => {}
        Some(_) => return Err("the wallet attestation has expired".into()),
        None => return Err("the wallet attestation has no exp".into()),
    }
    if [claims.iat, claims.nbf]
        .into_iter()
        .flatten()
        .any(|t| t > check.now + SKEW)
    {
        return Err("the wallet attestation is not valid yet".into());
    }
    let jwk = claims
        .cnf
        .as_ref()
        .and_then(|c| c.get("jwk"))
        .and_then(Value::as_object)
        .filter(|jwk| !jwk.contains_key("d"))
        .ok_or("the wallet attestation binds no public key (cnf.jwk)")?;
    let instance_key = PublicKey::from_jwk(jwk)
        .map_err(|_| "the wallet attestation binds a key that is not supported")?;

    let pop = decode(presented.pop, MAX_POP_LEN, POP_TYP)?;
    if !instance_key.supports(pop.alg) {
        return Err("the attestation proof's alg does not fit the attested key".into());
    }
    pop.verify(&instance_key)
        .map_err(|_| "the attestation proof's signature does not verify")?;
    let proof: PopClaims = pop
        .claims()
        .map_err(|_| "the attestation proof's claims are malformed")?;
    let for_us = match &proof.aud {
        Some(Value::String(a)) => a == check.issuer,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(check.issuer)),
        _ => false,
    };
    if !for_us {
        return Err("the attestation proof's aud is not this authorization server".into());
    }
    if proof.iss.as_deref().is_some_and(|iss| iss != client_id) {
        return Err("the attestation proof's iss is not the attested wallet".into());
    }
    let iat = proof.iat.ok_or("the attestation proof has no iat")?;
    if iat > check.now + SKEW || iat < check.now - check.max_pop_age {
        return Err("the attestation proof's iat is outside the accepted window".into());
    }
    if proof.exp.is_some_and(|exp| exp <= check.now) {
        return Err("the attestation proof has expired".into());
    }
    let pop_jti = proof
        .jti
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or("the attestation proof needs a jti")?;
    Ok(AttestedWallet {
        client_id,
        wallet_name: claims.wallet_name,
        instance_key,
        pop_jti,
        replay_until: iat + check.max_pop_age + SKEW,
    })
}

/// Decodes one of the two JWTs and checks its `typ` and algorithm.
fn decode(jwt: &str, max_len: usize, typ: &str) -> Result<DecodedJws, String> {
    let jws = DecodedJws::decode(jwt, max_len)
        .map_err(|_| format!("the {typ} is not a JWS with an accepted algorithm"))?;
    if !ATTESTATION_ALGS.contains(&jws.alg) {
        return Err(format!(
            "the {typ} is signed with an algorithm not accepted"
        ));
    }
    if !jws.has_typ(typ) {
        return Err(format!("a JWT of typ {typ} is expected"));
    }
    Ok(jws)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{NOW, Provider, header, key};
    use serde_json::json;
    use sigil_keys::{SigningKey, sign_with_header};

    const AS: &str = "https://issuer.example";

    /// A provider (anchor DER, attester key, x5c).
    fn provider() -> (Vec<u8>, SigningKey, Vec<String>) {
        let p = Provider::new();
        (p.ca, p.attester, p.x5c)
    }

    fn attestation(attester: &SigningKey, x5c: &[String], claims: &Value) -> String {
        sign_with_header(
            attester,
            &header(ATTESTATION_TYP, Some(x5c.to_vec())),
            claims,
        )
    }

    fn pop(instance: &SigningKey, claims: &Value) -> String {
        sign_with_header(instance, &header(POP_TYP, None), claims)
    }

    fn check(anchors: &[Vec<u8>]) -> WalletAttestationCheck<'_> {
        WalletAttestationCheck {
            anchors,
            issuer: AS,
            now: NOW,
            max_pop_age: 300,
        }
    }

    #[test]
    fn a_provider_attested_wallet_with_a_fresh_proof_is_authenticated() {
        let (ca, attester, x5c) = provider();
        let instance = key();
        let att = attestation(
            &attester,
            &x5c,
            &json!({"iss": "https://provider.example", "sub": "wallet-app", "exp": NOW + 3600,
                "cnf": {"jwk": instance.public_jwk()}, "wallet_name": "Sigil test wallet"}),
        );
        // The proof names no iss, as drafts after -07 have it.
        let proof = pop(&instance, &json!({"aud": AS, "jti": "j-1", "iat": NOW}));
        let anchors = [ca];
        let presented = PresentedAttestation {
            attestation: &att,
            pop: &proof,
        };
        let wallet = verify_wallet_attestation(presented, &check(&anchors)).expect("trusted");
        assert_eq!(wallet.client_id, "wallet-app");
        assert_eq!(wallet.wallet_name.as_deref(), Some("Sigil test wallet"));
        assert_eq!(&wallet.instance_key, instance.public_key());
        assert_eq!(wallet.pop_jti, "j-1");
    }

    #[test]
    fn bad_attestations_and_proofs_are_refused() {
        let (ca, attester, x5c) = provider();
        let instance = key();
        let good = json!({"sub": "wallet-app", "exp": NOW + 3600,
            "cnf": {"jwk": instance.public_jwk()}});
        let good_pop = json!({"iss": "wallet-app", "aud": AS, "jti": "j", "iat": NOW});
        let anchors = [ca];
        let run = |att: &Value, p: &Value, signer: &SigningKey| {
            let att = attestation(&attester, &x5c, att);
            let proof = pop(signer, p);
            verify_wallet_attestation(
                PresentedAttestation {
                    attestation: &att,
                    pop: &proof,
                },
                &check(&anchors),
            )
        };
        assert!(run(&good, &good_pop, &instance).is_ok());
        let with = |base: &Value, member: &str, value: Value| {
            let mut v = base.clone();
            v[member] = value;
            v
        };
        let cases = [
            (
                with(&good, "exp", json!(NOW - 1)),
                good_pop.clone(),
                "expired",
            ),
            (with(&good, "sub", json!("")), good_pop.clone(), "sub"),
            (with(&good, "cnf", json!({})), good_pop.clone(), "cnf.jwk"),
            (
                good.clone(),
                with(&good_pop, "aud", json!("https://other.example")),
                "aud",
            ),
            (
                good.clone(),
                with(&good_pop, "iat", json!(NOW - 3600)),
                "iat",
            ),
            (
                good.clone(),
                with(&good_pop, "iss", json!("another-wallet")),
                "iss",
            ),
            (good.clone(), with(&good_pop, "jti", json!("")), "jti"),
            (
                good.clone(),
                with(&good_pop, "exp", json!(NOW - 1)),
                "expired",
            ),
        ];
        for (att, p, why) in cases {
            let err = run(&att, &p, &instance).expect_err(why);
            assert!(err.contains(why), "{why}: {err}");
        }
        let err = run(&good, &good_pop, &key()).expect_err("another key signs the proof");
        assert!(err.contains("signature"), "{err}");
        // Another provider, and the attestation where the proof goes.
        let (_, stranger, stranger_x5c) = provider();
        let att = attestation(&stranger, &stranger_x5c, &good);
        let proof = pop(&instance, &good_pop);
        let presented = PresentedAttestation {
            attestation: &att,
            pop: &proof,
        };
        assert!(verify_wallet_attestation(presented, &check(&anchors)).is_err());
        let swapped = PresentedAttestation {
            attestation: &proof,
            pop: &att,
        };
        assert!(verify_wallet_attestation(swapped, &check(&anchors)).is_err());
    }
}
