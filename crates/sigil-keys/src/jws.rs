//! Compact JWS (RFC 7515) signing and decoding, with the JOSE rules RFC 8725 asks for:
//! an explicit algorithm allow-list, no `none`, no unknown critical extensions, and
//! typed tokens (`typ`) so one kind of token is never accepted as another.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sigil_core::{b64url_decode, b64url_encode_into};

use crate::jwk::PublicKey;
use crate::signing_key::SigningKey;

/// Signature algorithms Sigil verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JwsAlg {
    /// RSASSA-PKCS1-v1_5 SHA-256.
    RS256,
    /// RSASSA-PSS SHA-256.
    PS256,
    /// ECDSA P-256 SHA-256.
    ES256,
    /// Ed25519 (the `EdDSA` name of RFC 8037, still what deployed clients send).
    EdDSA,
}

impl JwsAlg {
    /// Every algorithm accepted for verification.
    pub const ALL: [JwsAlg; 4] = [JwsAlg::RS256, JwsAlg::PS256, JwsAlg::ES256, JwsAlg::EdDSA];

    /// Parses an `alg` header value; anything else (including `none` and HMAC) is `None`.
    pub fn parse(text: &str) -> Option<Self> {
        JwsAlg::ALL.into_iter().find(|a| a.as_str() == text)
    }

    /// The `alg` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            JwsAlg::RS256 => "RS256",
            JwsAlg::PS256 => "PS256",
            JwsAlg::ES256 => "ES256",
            JwsAlg::EdDSA => "EdDSA",
        }
    }
}

/// Why a JWS is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    /// Not three base64url parts with a JSON header.
    #[error("malformed JWS")]
    Malformed,
    /// `alg` is missing, `none`, or not on the allow-list.
    #[error("unsupported or forbidden alg")]
    Algorithm,
    /// The header marks extensions critical, which Sigil does not implement.
    #[error("critical header extensions are not supported")]
    Critical,
    /// No key matches, or the signature does not verify.
    #[error("signature verification failed")]
    Signature,
    /// The payload is not the expected JSON.
    #[error("malformed claims")]
    Claims,
}

/// The protected header fields Sigil reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwsHeader {
    /// Algorithm.
    pub alg: String,
    /// Key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Token type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    /// Critical extensions; any value makes the token unacceptable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crit: Option<serde_json::Value>,
    /// The signer's public key, in tokens that carry it (OpenID4VCI key proofs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwk: Option<serde_json::Map<String, serde_json::Value>>,
    /// The signer's certificate chain (base64 DER), in tokens that carry it (OpenID4VP
    /// request objects).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x5c: Option<Vec<String>>,
}

/// A decoded, not yet verified, compact JWS.
#[derive(Debug, Clone)]
pub struct DecodedJws {
    /// Header.
    pub header: JwsHeader,
    /// The header's algorithm, already on the allow-list.
    pub alg: JwsAlg,
    /// Payload bytes.
    pub payload: Vec<u8>,
    signing_input: String,
    signature: Vec<u8>,
}

impl DecodedJws {
    /// Splits and decodes `token`. Refuses anything over `max_len` bytes, anything that is
    /// not exactly three parts, `alg: none`, algorithms off the list and `crit`.
    pub fn decode(token: &str, max_len: usize) -> Result<Self, JwsError> {
        if token.len() > max_len {
            return Err(JwsError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwsError::Malformed);
        };
        let header_bytes = b64url_decode(h).ok_or(JwsError::Malformed)?;
        let header: JwsHeader =
            serde_json::from_slice(&header_bytes).map_err(|_| JwsError::Malformed)?;
        let alg = JwsAlg::parse(&header.alg).ok_or(JwsError::Algorithm)?;
        if header.crit.is_some() {
            return Err(JwsError::Critical);
        }
        Ok(DecodedJws {
            alg,
            payload: b64url_decode(p).ok_or(JwsError::Malformed)?,
            signature: b64url_decode(s).ok_or(JwsError::Malformed)?,
            signing_input: token[..h.len() + 1 + p.len()].to_owned(),
            header,
        })
    }

    /// Verifies the signature with `key`.
    pub fn verify(&self, key: &PublicKey) -> Result<(), JwsError> {
        if key.verify(self.alg, self.signing_input.as_bytes(), &self.signature) {
            Ok(())
        } else {
            Err(JwsError::Signature)
        }
    }

    /// The payload as typed JSON claims.
    pub fn claims<T: DeserializeOwned>(&self) -> Result<T, JwsError> {
        serde_json::from_slice(&self.payload).map_err(|_| JwsError::Claims)
    }

    /// The header `typ`, compared case-insensitively and with an optional `application/`
    /// prefix as RFC 7515 §4.1.9 allows.
    pub fn has_typ(&self, expected: &str) -> bool {
        self.header.typ.as_deref().is_some_and(|t| {
            let t = t.strip_prefix("application/").unwrap_or(t);
            t.eq_ignore_ascii_case(expected)
        })
    }
}

/// Signs `claims` as a compact JWS with header `{alg, kid, typ}`.
pub fn sign_compact(key: &SigningKey, typ: &str, claims: &impl Serialize) -> String {
    sign_with_header(key, &key_header(key, typ, None), claims)
}

/// The header `{alg, kid, typ}` of a token `key` signs, with `x5c` when a certificate chain
/// vouches for the key.
pub fn key_header(key: &SigningKey, typ: &str, x5c: Option<&[String]>) -> JwsHeader {
    JwsHeader {
        alg: key.alg().as_str().to_owned(),
        kid: Some(key.kid().to_owned()),
        typ: Some(typ.to_owned()),
        crit: None,
        jwk: None,
        x5c: x5c.map(<[String]>::to_vec),
    }
}

/// Signs `claims` as a compact JWS with header `{alg, typ, jwk}`: the public key travels in
/// the token (a holder's key proof), so there is no `kid`.
pub fn sign_compact_with_jwk(key: &SigningKey, typ: &str, claims: &impl Serialize) -> String {
    let header = JwsHeader {
        alg: key.alg().as_str().to_owned(),
        kid: None,
        typ: Some(typ.to_owned()),
        crit: None,
        jwk: Some(key.public_key().jwk_members()),
        x5c: None,
    };
    sign_with_header(key, &header, claims)
}

/// Signs `claims` as a compact JWS with `header` (whose `alg` must be the key's).
pub fn sign_with_header(key: &SigningKey, header: &JwsHeader, claims: &impl Serialize) -> String {
    // Serialising plain structs of strings and numbers cannot fail.
    let header = serde_json::to_vec(header).expect("header serialises");
    let payload = serde_json::to_vec(claims).expect("claims serialise");
    let mut token = String::with_capacity(header.len() * 4 / 3 + payload.len() * 4 / 3 + 100);
    b64url_encode_into(header, &mut token);
    token.push('.');
    b64url_encode_into(payload, &mut token);
    let signature = key.sign(token.as_bytes());
    token.push('.');
    b64url_encode_into(signature, &mut token);
    token
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn decoding_never_panics(token in ".{0,400}") {
            if let Ok(jws) = DecodedJws::decode(&token, 4096) {
                proptest::prop_assert!(JwsAlg::parse(&jws.header.alg).is_some());
            }
        }
    }
}
