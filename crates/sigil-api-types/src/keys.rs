//! Signing keys. Private keys never leave Sigil; these are their public descriptions.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A signing key and where it is in its life: `pending` (published, not yet signing),
/// `active` (signing), `retired` (still published for tokens it signed) or `expired`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct KeyResource {
    /// Key id (`kid`).
    pub kid: String,
    /// Algorithm (`RS256`, `ES256`, `EdDSA`).
    pub alg: String,
    /// `pending`, `active`, `retired` or `expired`.
    pub state: String,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// When it signs from (RFC 3339).
    pub activates_at: String,
    /// When it stopped or stops signing (RFC 3339).
    pub retires_at: Option<String>,
    /// When it leaves the JWK Set (RFC 3339).
    pub publish_until: Option<String>,
}

/// A tenant's signing keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct KeyList {
    /// The keys, oldest first.
    pub items: Vec<KeyResource>,
}

/// A key rotation: new keys are published at once and sign after `activate_after_seconds`,
/// so relying parties that cache the JWK Set learn them first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyRotation {
    /// The algorithms to rotate; all of them when absent or empty.
    #[serde(default)]
    #[schema(max_items = 3)]
    pub algs: Vec<KeyAlg>,
    /// Seconds before the new keys sign (0 to 30 days); the configured propagation delay
    /// when absent.
    #[serde(default, deserialize_with = "crate::whole_number")]
    #[schema(maximum = 2592000)]
    pub activate_after_seconds: Option<u32>,
}

/// A signing algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum KeyAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// ECDSA P-256 with SHA-256.
    ES256,
    /// Ed25519.
    EdDSA,
}

impl From<KeyAlg> for sigil_core::model::SigningAlg {
    fn from(alg: KeyAlg) -> Self {
        match alg {
            KeyAlg::RS256 => Self::RS256,
            KeyAlg::ES256 => Self::ES256,
            KeyAlg::EdDSA => Self::EdDSA,
        }
    }
}
