//! Verifiable digital credentials, the parts free of HTTP and storage: the credential types an
//! administrator defines and how user attributes fill them ([`types`]), OpenID4VCI 1.0 issuer
//! metadata ([`metadata`]), credential offers ([`offer`]), authorization details
//! ([`authorization`]), holder key proofs ([`proof`]) and key attestations
//! ([`key_attestation`]), wallet attestations ([`wallet_attestation`]), credential requests
//! and their errors ([`request`]) and their encryption ([`encryption`]), SD-JWT VCs
//! ([`sd_jwt_vc`]); issuer keys named by DIDs ([`did`]) or vouched for by certificates
//! ([`trust`]); the verifier's side of OpenID4VP: DCQL queries
//! ([`dcql`]), request objects and presentation checks ([`verifier`]); and the holder's: key
//! proofs, request checks and selective presentations ([`holder`]). W3C credentials (Data
//! Model 2.0 secured with JOSE), their presentations and Bitstring Status Lists are in
//! [`w3c`].
//! The service that stores offers and issued credentials lives in `sigil-oidc`, next to the
//! authorization server whose tokens the credential endpoint accepts.

pub mod authorization;
pub mod dcql;
pub mod did;
pub mod encryption;
pub mod holder;
pub mod key_attestation;
pub mod metadata;
pub mod offer;
pub mod proof;
pub mod request;
pub mod sd_jwt_vc;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;
pub mod trust;
pub mod types;
pub mod verifier;
pub mod w3c;
pub mod wallet_attestation;

pub use request::VciError;
