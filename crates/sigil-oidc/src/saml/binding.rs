//! How a service provider's message (a request, or the answer to Sigil's LogoutRequest)
//! reached Sigil's IdP, over HTTP-Redirect or HTTP-POST: the message decoded from its binding,
//! and its signature checked the way that binding carries it. Shared by single sign-on and
//! single logout.

use sigil_saml::SamlError;
use sigil_saml::request::{
    decode_post, decode_redirect, verify_post_signature, verify_redirect_signature,
};
use sigil_saml::verify::{Trust, Verified};

/// How an SP's message (an AuthnRequest, a LogoutRequest or a LogoutResponse) arrived.
#[derive(Debug, Clone, Copy)]
pub enum Binding<'a> {
    /// HTTP-Redirect: the raw query string (its signature is over it as sent).
    Redirect {
        /// The query string, still URL-encoded.
        raw_query: &'a str,
        /// `SAMLRequest` or `SAMLResponse`, decoded from the query.
        message: &'a str,
        /// `RelayState`.
        relay_state: Option<&'a str>,
    },
    /// HTTP-POST: the form's fields.
    Post {
        /// `SAMLRequest` or `SAMLResponse`.
        message: &'a str,
        /// `RelayState`.
        relay_state: Option<&'a str>,
    },
}

impl<'a> Binding<'a> {
    /// The message's XML, and its `RelayState`.
    pub fn decode(&self) -> (Result<String, SamlError>, Option<&'a str>) {
        match *self {
            Binding::Redirect {
                message,
                relay_state,
                ..
            } => (decode_redirect(message), relay_state),
            Binding::Post {
                message,
                relay_state,
            } => (decode_post(message), relay_state),
        }
    }

    /// Whether the message (its decoded `xml`) from `sender` is signed by one of the
    /// certificates `trust` names: over the query string (HTTP-Redirect) or with an enveloped
    /// XML signature (HTTP-POST). An error when a signature is there and does not verify.
    pub fn verify(&self, xml: &str, trust: Trust<'_>, sender: &str) -> Result<bool, SamlError> {
        let verified = match *self {
            Binding::Redirect { raw_query, .. } => verify_redirect_signature(raw_query, trust),
            Binding::Post { .. } => verify_post_signature(xml, trust),
        }?;
        Ok(signed(verified.as_ref(), sender))
    }
}

/// Whether a message was signed, logging a SHA-1 signature a partner is allowed to use.
pub(crate) fn signed(verified: Option<&Verified>, sender: &str) -> bool {
    if let Some(v) = verified
        && v.is_legacy()
    {
        tracing::warn!(
            partner = sender,
            method = %v.signature_method,
            "accepted a SAML message signed with SHA-1 (this partner is allowed legacy algorithms)"
        );
    }
    verified.is_some()
}
