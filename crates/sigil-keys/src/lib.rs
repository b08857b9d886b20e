//! Signing keys and the JOSE pieces Sigil needs: key generation (ES256, RS256, EdDSA),
//! public JWKs and thumbprints, compact JWS signing and verification, encryption of private
//! keys at rest, and the rotation schedule.
//!
//! Signing and verification are written here on top of `aws-lc-rs` rather than through a
//! JWT crate: a token endpoint's cost is dominated by the signature, and the JWT crates
//! re-parse the private key for every signature (1.6–2.1× slower on this project's machines);
//! here each key is parsed once when loaded. The JOSE rules themselves (algorithm allow-list,
//! no `none`, no `crit`, `kid` only from our own set) are small and tested against the RFC
//! vectors.

pub mod jwe;
pub mod jwk;
pub mod jws;
pub mod kek;
pub mod keyring;
pub mod master;
pub mod rotation;
pub mod signing_key;
pub mod x509;

pub use jwk::{PublicKey, VerifyingJwk, thumbprint};
pub use jws::{
    DecodedJws, JwsAlg, JwsError, JwsHeader, key_header, sign_compact, sign_compact_with_jwk,
    sign_with_header,
};
pub use kek::KeyEncryptionKey;
pub use keyring::KeyRing;
pub use master::MasterKey;
pub use rotation::{RotationPlan, plan_rotation};
pub use signing_key::SigningKey;

/// Errors from key handling.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A private key could not be decrypted (wrong key-encryption key, or tampered data).
    #[error("a signing key could not be decrypted: wrong key-encryption key or corrupted store")]
    Decrypt,
    /// A key's bytes do not form a valid key of its algorithm.
    #[error("invalid key material: {0}")]
    Invalid(&'static str),
    /// The crypto library failed to generate or use a key.
    #[error("cryptographic operation failed")]
    Crypto,
}
