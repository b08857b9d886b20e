//! Disclosures (RFC 9901 §4.2): `BASE64URL(JSON [salt, name, value])` for an object property,
//! `[salt, value]` for an array element, and their digests, taken over the exact base64url
//! text received (never a re-encoding).

use serde_json::Value;
use sigil_core::{Digest32, b64url_decode, b64url_encode};

use crate::SdJwtError;

/// One disclosure.
#[derive(Debug, Clone, PartialEq)]
pub struct Disclosure {
    /// The base64url text as received.
    pub encoded: String,
    /// The salt.
    pub salt: String,
    /// The claim name; `None` for an array element.
    pub name: Option<String>,
    /// The claim value.
    pub value: Value,
}

/// `BASE64URL(SHA-256(ASCII(text)))`, the digest the issuer signs for a disclosure (and the
/// KB-JWT's `sd_hash` over a presentation).
pub fn digest(text: &str) -> String {
    b64url_encode(Digest32::of(text.as_bytes()).0)
}

impl Disclosure {
    /// Decodes a disclosure, refusing anything but the two shapes §4.2 allows and the claim
    /// names §4.2.1 reserves.
    pub fn parse(encoded: &str) -> Result<Self, SdJwtError> {
        let bytes = b64url_decode(encoded).ok_or(SdJwtError::Disclosure("not base64url"))?;
        let parts: Vec<Value> = serde_json::from_slice(&bytes)
            .map_err(|_| SdJwtError::Disclosure("not a JSON array"))?;
        let salt = |v: &Value| {
            v.as_str()
                .map(str::to_owned)
                .ok_or(SdJwtError::Disclosure("the salt is not a string"))
        };
        let (salt, name, value) = match parts.as_slice() {
            [s, n, v] => {
                let name = n
                    .as_str()
                    .ok_or(SdJwtError::Disclosure("the claim name is not a string"))?;
                if name == "_sd" || name == "..." {
                    return Err(SdJwtError::Disclosure("the claim name is reserved"));
                }
                (salt(s)?, Some(name.to_owned()), v.clone())
            }
            [s, v] => (salt(s)?, None, v.clone()),
            _ => return Err(SdJwtError::Disclosure("not two or three elements")),
        };
        Ok(Disclosure {
            encoded: encoded.to_owned(),
            salt,
            name,
            value,
        })
    }

    /// This disclosure's digest.
    pub fn digest(&self) -> String {
        digest(&self.encoded)
    }
}
