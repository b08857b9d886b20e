//! SHA-256 digests of high-entropy secrets (client secrets, codes, refresh tokens, session
//! ids) and base64url helpers.
//!
//! A 256-bit random secret needs no slow KDF: its digest is stored, the secret never is,
//! and a presented secret is digested and compared in constant time.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use subtle::ConstantTimeEq;

/// Unpadded base64url (RFC 4648 §5), as JOSE and OAuth use it.
pub fn b64url_encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// [`b64url_encode`], appended to `out` (no intermediate string).
pub fn b64url_encode_into(bytes: impl AsRef<[u8]>, out: &mut String) {
    URL_SAFE_NO_PAD.encode_string(bytes, out);
}

/// Padded standard base64 (RFC 4648 §4), as X.509 certificates in `x5c` are written.
pub fn b64_encode(bytes: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes padded standard base64.
pub fn b64_decode(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

/// Decodes unpadded base64url; `None` on any invalid character or padding.
pub fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// A SHA-256 digest; compared in constant time, printed as base64url.
#[derive(Clone, Copy, Hash, PartialEq, Eq)]
pub struct Digest32(pub [u8; 32]);

impl Digest32 {
    /// Digest of arbitrary bytes.
    pub fn of(data: impl AsRef<[u8]>) -> Self {
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data.as_ref());
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        Digest32(out)
    }

    /// Constant-time equality, for comparing a presented secret's digest to a stored one.
    pub fn ct_eq(&self, other: &Digest32) -> bool {
        self.0.ct_eq(&other.0).into()
    }

    /// base64url text form (43 characters).
    pub fn to_b64url(&self) -> String {
        b64url_encode(self.0)
    }

    /// Parses the base64url text form.
    pub fn from_b64url(text: &str) -> Option<Self> {
        let bytes = b64url_decode(text)?;
        Some(Digest32(bytes.try_into().ok()?))
    }
}

impl fmt::Debug for Digest32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest32({})", &self.to_b64url()[..8])
    }
}

impl Serialize for Digest32 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_b64url())
    }
}

impl<'de> Deserialize<'de> for Digest32 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Digest32::from_b64url(&text).ok_or_else(|| serde::de::Error::custom("invalid digest"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_round_trips_and_compares() {
        let a = Digest32::of("secret");
        let b = Digest32::from_b64url(&a.to_b64url()).expect("round trip");
        assert!(a.ct_eq(&b));
        assert!(!a.ct_eq(&Digest32::of("Secret")));
        // Known SHA-256("abc").
        assert_eq!(
            Digest32::of("abc").to_b64url(),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
    }

    #[test]
    fn b64url_rejects_padding_and_bad_characters() {
        assert_eq!(b64url_decode("YQ"), Some(b"a".to_vec()));
        assert_eq!(b64url_decode("YQ=="), None);
        assert_eq!(b64url_decode("Y+Q"), None);
    }
}
