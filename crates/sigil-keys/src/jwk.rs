//! Public keys as JWKs (RFC 7517/7518/8037), RFC 7638 thumbprints, and verification with them.

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ED25519, RSA_PKCS1_2048_8192_SHA256, RSA_PSS_2048_8192_SHA256,
    RsaPublicKeyComponents, UnparsedPublicKey,
};
use serde_json::{Map, Value, json};
use sigil_core::{Digest32, b64url_decode, b64url_encode};

use crate::KeyError;
use crate::jws::JwsAlg;

/// A public key Sigil can verify signatures with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// RSA, modulus and exponent as big-endian bytes without leading zeros.
    Rsa {
        /// Modulus.
        n: Vec<u8>,
        /// Public exponent.
        e: Vec<u8>,
    },
    /// NIST P-256 point.
    P256 {
        /// X coordinate.
        x: [u8; 32],
        /// Y coordinate.
        y: [u8; 32],
    },
    /// Ed25519 public key.
    Ed25519 {
        /// The 32-byte key.
        x: [u8; 32],
    },
}

fn member<'a>(jwk: &'a Map<String, Value>, name: &'static str) -> Result<&'a str, KeyError> {
    jwk.get(name)
        .and_then(Value::as_str)
        .ok_or(KeyError::Invalid(
            "a required JWK member is missing or not a string",
        ))
}

fn b64_member(jwk: &Map<String, Value>, name: &'static str) -> Result<Vec<u8>, KeyError> {
    b64url_decode(member(jwk, name)?).ok_or(KeyError::Invalid("a JWK member is not base64url"))
}

fn fixed32(bytes: Vec<u8>) -> Result<[u8; 32], KeyError> {
    bytes
        .try_into()
        .map_err(|_| KeyError::Invalid("a key coordinate has the wrong length"))
}

fn strip_leading_zeros(mut bytes: Vec<u8>) -> Vec<u8> {
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    bytes.drain(..zeros);
    bytes
}

impl PublicKey {
    /// Reads the public part of a JWK object.
    pub fn from_jwk(jwk: &Map<String, Value>) -> Result<Self, KeyError> {
        match member(jwk, "kty")? {
            "RSA" => {
                let n = strip_leading_zeros(b64_member(jwk, "n")?);
                let e = strip_leading_zeros(b64_member(jwk, "e")?);
                if n.len() < 256 {
                    return Err(KeyError::Invalid("RSA keys must have at least 2048 bits"));
                }
                if e.is_empty() || e.len() > 5 {
                    return Err(KeyError::Invalid("RSA exponent out of range"));
                }
                Ok(PublicKey::Rsa { n, e })
            }
            "EC" => {
                if member(jwk, "crv")? != "P-256" {
                    return Err(KeyError::Invalid("only the P-256 curve is supported"));
                }
                Ok(PublicKey::P256 {
                    x: fixed32(b64_member(jwk, "x")?)?,
                    y: fixed32(b64_member(jwk, "y")?)?,
                })
            }
            "OKP" => {
                if member(jwk, "crv")? != "Ed25519" {
                    return Err(KeyError::Invalid("only the Ed25519 curve is supported"));
                }
                Ok(PublicKey::Ed25519 {
                    x: fixed32(b64_member(jwk, "x")?)?,
                })
            }
            _ => Err(KeyError::Invalid("unsupported key type")),
        }
    }

    /// The required JWK members (RFC 7638 §3.2), which are also the whole public JWK.
    pub fn jwk_members(&self) -> Map<String, Value> {
        let value = match self {
            PublicKey::Rsa { n, e } => {
                json!({"e": b64url_encode(e), "kty": "RSA", "n": b64url_encode(n)})
            }
            PublicKey::P256 { x, y } => {
                json!({"crv": "P-256", "kty": "EC", "x": b64url_encode(x), "y": b64url_encode(y)})
            }
            PublicKey::Ed25519 { x } => {
                json!({"crv": "Ed25519", "kty": "OKP", "x": b64url_encode(x)})
            }
        };
        match value {
            Value::Object(map) => map,
            _ => unreachable!("json! object literal"),
        }
    }

    /// Whether this key can verify signatures of `alg`.
    pub fn supports(&self, alg: JwsAlg) -> bool {
        matches!(
            (self, alg),
            (PublicKey::Rsa { .. }, JwsAlg::RS256 | JwsAlg::PS256)
                | (PublicKey::P256 { .. }, JwsAlg::ES256)
                | (PublicKey::Ed25519 { .. }, JwsAlg::EdDSA)
        )
    }

    /// Verifies `signature` over `message` with `alg`; false on any mismatch.
    pub fn verify(&self, alg: JwsAlg, message: &[u8], signature: &[u8]) -> bool {
        match (self, alg) {
            (PublicKey::Rsa { n, e }, JwsAlg::RS256 | JwsAlg::PS256) => {
                let params = if alg == JwsAlg::RS256 {
                    &RSA_PKCS1_2048_8192_SHA256
                } else {
                    &RSA_PSS_2048_8192_SHA256
                };
                RsaPublicKeyComponents { n, e }
                    .verify(params, message, signature)
                    .is_ok()
            }
            (PublicKey::P256 { x, y }, JwsAlg::ES256) => {
                let mut point = [0u8; 65];
                point[0] = 4;
                point[1..33].copy_from_slice(x);
                point[33..].copy_from_slice(y);
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                    .verify(message, signature)
                    .is_ok()
            }
            (PublicKey::Ed25519 { x }, JwsAlg::EdDSA) => UnparsedPublicKey::new(&ED25519, x)
                .verify(message, signature)
                .is_ok(),
            _ => false,
        }
    }
}

/// RFC 7638 JWK thumbprint (SHA-256, base64url) of a public key.
pub fn thumbprint(key: &PublicKey) -> String {
    // serde_json's Map is ordered by key, which is exactly the lexicographic order RFC 7638
    // requires, and it writes no whitespace.
    let canonical = Value::Object(key.jwk_members()).to_string();
    Digest32::of(canonical).to_b64url()
}

/// A JWK from someone else's key set (a client's `jwks`), ready to verify with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyingJwk {
    /// `kid`, if given.
    pub kid: Option<String>,
    /// `alg`, if given: the only algorithm the key may be used with.
    pub alg: Option<JwsAlg>,
    /// The key.
    pub key: PublicKey,
}

impl VerifyingJwk {
    /// Parses the verification keys of a JWK Set, skipping keys that are for encryption,
    /// of unsupported types, or malformed (a set may legitimately hold keys we cannot use).
    pub fn parse_set(jwks: &Value) -> Vec<VerifyingJwk> {
        let Some(keys) = jwks.get("keys").and_then(Value::as_array) else {
            return Vec::new();
        };
        keys.iter()
            .filter_map(Value::as_object)
            .filter(|k| {
                k.get("use")
                    .and_then(Value::as_str)
                    .is_none_or(|u| u == "sig")
            })
            .filter_map(|k| {
                let alg = match k.get("alg").and_then(Value::as_str) {
                    Some(a) => Some(JwsAlg::parse(a)?),
                    None => None,
                };
                Some(VerifyingJwk {
                    kid: k.get("kid").and_then(Value::as_str).map(str::to_owned),
                    alg,
                    key: PublicKey::from_jwk(k).ok()?,
                })
            })
            .collect()
    }

    /// Whether this key may verify a JWS with header `kid` and `alg`.
    pub fn accepts(&self, kid: Option<&str>, alg: JwsAlg) -> bool {
        let kid_ok = match (kid, &self.kid) {
            (Some(want), Some(have)) => want == have,
            (Some(_), None) => false,
            (None, _) => true,
        };
        kid_ok && self.alg.is_none_or(|a| a == alg) && self.key.supports(alg)
    }
}
