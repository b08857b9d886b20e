//! The master key: one 256-bit secret from which the key-encryption key and the other
//! server secrets (CSRF tokens) are derived with HKDF-SHA256, each under its own label, so
//! one secret configures a deployment and no derived key can be turned into another.

use aws_lc_rs::hkdf::{HKDF_SHA256, KeyType, Salt};
use zeroize::Zeroizing;

use crate::kek::KeyEncryptionKey;

/// The deployment's root secret.
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

struct Len32;

impl KeyType for Len32 {
    fn len(&self) -> usize {
        32
    }
}

impl MasterKey {
    /// Wraps 32 secret bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        MasterKey(Zeroizing::new(bytes))
    }

    /// A fresh random master key.
    pub fn generate() -> Self {
        Self::from_bytes(sigil_core::random::bytes::<32>())
    }

    /// The raw bytes (to persist a generated key).
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A 32-byte key derived for `label`.
    pub fn derive(&self, label: &str) -> Zeroizing<[u8; 32]> {
        let prk = Salt::new(HKDF_SHA256, b"sigil master key v1").extract(self.0.as_ref());
        let info = [label.as_bytes()];
        let mut out = Zeroizing::new([0u8; 32]);
        // Expanding 32 bytes from SHA-256 HKDF is always within the output limit.
        prk.expand(&info, Len32)
            .and_then(|okm| okm.fill(out.as_mut()))
            .expect("HKDF expand of 32 bytes");
        out
    }

    /// The key that encrypts signing keys at rest.
    pub fn key_encryption_key(&self) -> KeyEncryptionKey {
        KeyEncryptionKey::from_bytes(&self.derive("signing-key-encryption"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivations_differ_by_label_and_are_stable() {
        let m = MasterKey::from_bytes([7; 32]);
        assert_eq!(m.derive("a"), MasterKey::from_bytes([7; 32]).derive("a"));
        assert_ne!(m.derive("a"), m.derive("b"));
        assert_ne!(*m.derive("a"), [7; 32]);
    }
}
