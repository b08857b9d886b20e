//! SAML 2.0 for Sigil (Web Browser SSO profile), without HTTP or storage.
//!
//! As an identity provider: the IdP's metadata, service providers' metadata and
//! AuthnRequests read safely ([`read`]: no DTDs, size and depth limits, only what the profile
//! needs), and responses with signed assertions written in canonical form ([`xml`], [`dsig`],
//! [`response`]). AuthnRequests are accepted signed only over the HTTP-Redirect binding (a
//! signature over the query string, checked against the SP's certificate), or unsigned when
//! the SP does not sign them.
//!
//! As a service provider to external identity providers ([`sp`]): their metadata read, Sigil's
//! SP metadata and AuthnRequests written, and their responses checked ([`consume`]) with
//! enveloped XML signatures verified over exclusive canonical XML ([`verify`], [`c14n`]).

pub mod c14n;
pub mod consume;
pub mod decrypt;
pub mod dsig;
pub mod encrypt;
pub mod logout;
pub mod metadata;
pub mod outgoing;
pub mod read;
pub mod request;
pub mod response;
pub mod sp;
pub mod verify;
pub mod xml;

/// The assertion namespace.
pub const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// The protocol namespace.
pub const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// The metadata namespace.
pub const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
/// The HTTP-Redirect binding.
pub const BINDING_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
/// The HTTP-POST binding.
pub const BINDING_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

/// NameID formats Sigil issues.
pub mod name_id {
    /// Pairwise and stable per SP.
    pub const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
    /// A new value every time.
    pub const TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
    /// The user's e-mail address.
    pub const EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
    /// Whatever the IdP chooses (Sigil: persistent).
    pub const UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
}

/// Status codes.
pub mod status {
    /// Success.
    pub const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
    /// The request was wrong.
    pub const REQUESTER: &str = "urn:oasis:names:tc:SAML:2.0:status:Requester";
    /// The IdP could not answer it.
    pub const RESPONDER: &str = "urn:oasis:names:tc:SAML:2.0:status:Responder";
    /// `IsPassive` and nobody is signed in.
    pub const NO_PASSIVE: &str = "urn:oasis:names:tc:SAML:2.0:status:NoPassive";
    /// The NameID format asked for is not available.
    pub const INVALID_NAME_ID_POLICY: &str =
        "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy";
    /// The user could not be authenticated (refused by policy).
    pub const AUTHN_FAILED: &str = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed";
}

/// Why a SAML message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SamlError {
    /// Not well-formed, too large, too deep, or with a DTD.
    #[error("malformed SAML message: {0}")]
    Malformed(String),
    /// Well-formed but not acceptable (a wrong destination, an unknown ACS, a bad signature).
    #[error("{0}")]
    Refused(String),
}
