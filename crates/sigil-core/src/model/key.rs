//! Signing keys as stored: private key encrypted at rest, public JWK in the clear, and the
//! timestamps that drive rotation.

use serde::{Deserialize, Serialize};

use crate::{TenantId, UnixTime};

/// JWS algorithms Sigil signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SigningAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (the OpenID Connect default).
    RS256,
    /// ECDSA P-256 with SHA-256.
    ES256,
    /// Ed25519.
    EdDSA,
}

impl SigningAlg {
    /// Every algorithm Sigil keeps a key for.
    pub const ALL: [SigningAlg; 3] = [SigningAlg::RS256, SigningAlg::ES256, SigningAlg::EdDSA];

    /// The JOSE `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::RS256 => "RS256",
            SigningAlg::ES256 => "ES256",
            SigningAlg::EdDSA => "EdDSA",
        }
    }

    /// Parses a JOSE `alg` name (exact case).
    pub fn parse(text: &str) -> Option<Self> {
        SigningAlg::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// A signing key as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// Owning tenant.
    pub tenant: TenantId,
    /// Key id (`kid`), the RFC 7638 thumbprint of the public key.
    pub kid: String,
    /// Algorithm the key signs with.
    pub alg: SigningAlg,
    /// PKCS#8 private key, encrypted with the key-encryption key.
    pub encrypted_private_key: Vec<u8>,
    /// The public JWK (with `kid`, `alg`, `use`).
    pub public_jwk: serde_json::Value,
    /// When it was created (and first published).
    pub created_at: UnixTime,
    /// From when it signs; later than creation so verifiers can fetch it first.
    pub activates_at: UnixTime,
    /// When a newer key took over signing.
    pub retires_at: Option<UnixTime>,
    /// Until when it stays published (the last token it signed has expired by then).
    pub publish_until: Option<UnixTime>,
}

impl StoredKey {
    /// Whether the key belongs in the JWKS at `now`.
    pub fn is_published(&self, now: UnixTime) -> bool {
        self.publish_until.is_none_or(|t| now < t)
    }

    /// Whether the key may sign at `now`.
    pub fn can_sign(&self, now: UnixTime) -> bool {
        self.activates_at <= now && self.retires_at.is_none_or(|t| now < t)
    }

    /// A short state word for listings.
    pub fn state(&self, now: UnixTime) -> &'static str {
        if self.can_sign(now) {
            "active"
        } else if now < self.activates_at {
            "pending"
        } else if self.is_published(now) {
            "retired"
        } else {
            "expired"
        }
    }
}
