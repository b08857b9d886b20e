//! SD-JWT (RFC 9901): a JWT whose issuer signed digests of claims instead of the claims, with
//! the claims themselves carried beside it as disclosures, so that a holder reveals only the
//! ones a verifier needs; and the key-binding JWT by which the holder proves the presentation
//! is theirs. This crate parses and processes them (§7) without HTTP or storage, and encodes
//! and decodes Token Status Lists ([`status_list`]), how such credentials are revoked;
//! issuance and the OpenID4VC endpoints build on it. Hand-written: no maintained Rust crate implements
//! RFC 9901 processing on top of the JOSE code Sigil already uses.

mod disclosure;
mod issue;
mod process;
pub mod status_list;

pub use disclosure::{Disclosure, digest};
pub use issue::{Issued, issue, issue_with_header, key_binding_jwt};
pub use process::{KeyBinding, Presentation, Verified, verify};

/// Why an SD-JWT is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdJwtError {
    /// Not `<JWT>~<disclosure>~…~[<KB-JWT>]`.
    #[error("malformed SD-JWT: {0}")]
    Malformed(&'static str),
    /// A disclosure is not a base64url JSON array of the right shape.
    #[error("malformed disclosure: {0}")]
    Disclosure(&'static str),
    /// The issuer's signature does not verify.
    #[error("the issuer signature does not verify")]
    IssuerSignature,
    /// `_sd_alg` names a hash other than sha-256.
    #[error("unsupported _sd_alg")]
    HashAlgorithm,
    /// A disclosure is not referenced by any digest, or twice, or a digest twice (§7.1).
    #[error("disclosure and digest do not match one to one: {0}")]
    Unreferenced(&'static str),
    /// A disclosed claim name is already in its object, or is reserved.
    #[error("a disclosed claim clashes: {0}")]
    Clash(String),
    /// The key-binding JWT is missing, malformed, or does not hold (signature, `typ`, `aud`,
    /// `nonce`, `iat`, `sd_hash`).
    #[error("key binding fails: {0}")]
    KeyBinding(&'static str),
}
