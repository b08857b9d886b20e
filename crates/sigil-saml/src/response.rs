//! Responses to service providers: a `samlp:Response` whose assertion is signed (and the
//! response too), with the audience, recipient, `InResponseTo` and a short validity window
//! set, NameID and attributes as the SP's mapping says; or an unsigned error response.

use sigil_keys::SigningKey;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::dsig::{UnsupportedKey, sign_enveloped};
use crate::encrypt::{EncryptError, encrypt_element};
use crate::xml::Element;
use crate::{SAML, SAMLP, status};

/// Bearer subject confirmation.
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
/// Attribute names as plain strings.
const BASIC: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic";
/// How long an assertion may be used, seconds.
pub const ASSERTION_LIFETIME: i64 = 300;
/// Clock skew allowed before `IssueInstant`, seconds.
const SKEW: i64 = 30;

/// An authentication context class for a password over TLS.
pub const AC_PASSWORD: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
/// An authentication context class when nothing more precise applies.
pub const AC_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified";

/// Everything a successful response says.
#[derive(Debug, Clone)]
pub struct Assertion<'a> {
    /// The IdP's entity id.
    pub issuer: &'a str,
    /// The ACS URL the response is posted to.
    pub destination: &'a str,
    /// The request's `ID` (none for IdP-initiated SSO).
    pub in_response_to: Option<&'a str>,
    /// The SP's entity id.
    pub audience: &'a str,
    /// The subject's NameID and its format.
    pub name_id: (&'a str, &'a str),
    /// The session's index (for logout).
    pub session_index: &'a str,
    /// When the user authenticated, Unix seconds.
    pub authn_instant: i64,
    /// The authentication context class.
    pub authn_context: &'a str,
    /// Attributes: name and values.
    pub attributes: &'a [(String, Vec<String>)],
    /// Now, Unix seconds.
    pub now: i64,
    /// The SP's encryption certificate (base64 DER), when it wants the assertion encrypted.
    pub encrypt_to: Option<&'a str>,
}

/// An xs:dateTime in UTC.
pub(crate) fn instant(seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// A fresh XML ID (an NCName: it starts with `_`).
fn new_id() -> String {
    format!("_{}", sigil_core::random::identifier())
}

fn status_element(code: &str) -> Element {
    Element::new("samlp:Status").child(Element::new("samlp:StatusCode").attr("Value", code))
}

fn response_element(
    issuer: &str,
    destination: &str,
    in_response_to: Option<&str>,
    id: &str,
    now: i64,
) -> Element {
    Element::new("samlp:Response")
        .ns("samlp", SAMLP)
        .attr("ID", id)
        .attr("Version", "2.0")
        .attr("IssueInstant", instant(now))
        .attr("Destination", destination)
        .attr_opt("InResponseTo", in_response_to)
        .child(Element::new("saml:Issuer").ns("saml", SAML).text(issuer))
}

/// Why a response could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ResponseError {
    /// The key cannot sign SAML.
    #[error(transparent)]
    Signing(#[from] UnsupportedKey),
    /// The assertion could not be encrypted to the SP.
    #[error(transparent)]
    Encryption(#[from] EncryptError),
}

/// A successful response, the assertion and then the response signed with `key`
/// (RSA-SHA256), the assertion encrypted between the two when the SP wants it, as XML.
pub fn signed_response(
    a: &Assertion<'_>,
    key: &SigningKey,
    certificate_der: &[u8],
) -> Result<String, ResponseError> {
    let assertion_id = new_id();
    let not_on_or_after = instant(a.now + ASSERTION_LIFETIME);
    let mut confirmation = Element::new("saml:SubjectConfirmationData")
        .attr("NotOnOrAfter", &not_on_or_after)
        .attr("Recipient", a.destination);
    confirmation = confirmation.attr_opt("InResponseTo", a.in_response_to);
    let mut attributes = Element::new("saml:AttributeStatement");
    for (name, values) in a.attributes {
        let mut attribute = Element::new("saml:Attribute")
            .attr("Name", name)
            .attr("NameFormat", BASIC);
        for value in values {
            attribute = attribute.child(Element::new("saml:AttributeValue").text(value));
        }
        attributes = attributes.child(attribute);
    }
    let mut assertion = Element::new("saml:Assertion")
        .ns("saml", SAML)
        .attr("ID", &assertion_id)
        .attr("Version", "2.0")
        .attr("IssueInstant", instant(a.now))
        .child(Element::new("saml:Issuer").text(a.issuer))
        .child(
            Element::new("saml:Subject")
                .child(
                    Element::new("saml:NameID")
                        .attr("Format", a.name_id.1)
                        .text(a.name_id.0),
                )
                .child(
                    Element::new("saml:SubjectConfirmation")
                        .attr("Method", BEARER)
                        .child(confirmation),
                ),
        )
        .child(
            Element::new("saml:Conditions")
                .attr("NotBefore", instant(a.now - SKEW))
                .attr("NotOnOrAfter", &not_on_or_after)
                .child(
                    Element::new("saml:AudienceRestriction")
                        .child(Element::new("saml:Audience").text(a.audience)),
                ),
        )
        .child(
            Element::new("saml:AuthnStatement")
                .attr("AuthnInstant", instant(a.authn_instant))
                .attr("SessionIndex", a.session_index)
                .child(
                    Element::new("saml:AuthnContext")
                        .child(Element::new("saml:AuthnContextClassRef").text(a.authn_context)),
                ),
        );
    if !a.attributes.is_empty() {
        assertion = assertion.child(attributes);
    }
    let assertion = sign_enveloped(assertion, &assertion_id, 1, key, certificate_der)
        .map_err(ResponseError::from)?;
    let assertion = match a.encrypt_to {
        Some(certificate) => Element::new("saml:EncryptedAssertion")
            .ns("saml", SAML)
            .child(encrypt_element(&assertion, certificate)?),
        None => assertion,
    };
    let response_id = new_id();
    let response = response_element(
        a.issuer,
        a.destination,
        a.in_response_to,
        &response_id,
        a.now,
    )
    .child(status_element(status::SUCCESS))
    .child(assertion);
    let response = sign_enveloped(response, &response_id, 1, key, certificate_der)?;
    Ok(response.to_canonical())
}

/// An error response, as XML: `code` is a top-level code ([`status::REQUESTER`],
/// [`status::RESPONDER`]) or a second-level one under the top-level code it belongs to.
pub fn error_response(
    issuer: &str,
    destination: &str,
    in_response_to: Option<&str>,
    code: &str,
    now: i64,
) -> String {
    let top = match code {
        status::REQUESTER | status::INVALID_NAME_ID_POLICY => status::REQUESTER,
        _ => status::RESPONDER,
    };
    let mut top_code = Element::new("samlp:StatusCode").attr("Value", top);
    if code != top {
        top_code = top_code.child(Element::new("samlp:StatusCode").attr("Value", code));
    }
    let st = Element::new("samlp:Status").child(top_code);
    response_element(issuer, destination, in_response_to, &new_id(), now)
        .child(st)
        .to_canonical()
}

/// A LogoutResponse with a fresh `ID`.
pub fn logout_response(
    issuer: &str,
    destination: &str,
    in_response_to: &str,
    code: &str,
    now: i64,
) -> Element {
    Element::new("samlp:LogoutResponse")
        .ns("samlp", SAMLP)
        .attr("ID", new_id())
        .attr("Version", "2.0")
        .attr("IssueInstant", instant(now))
        .attr("Destination", destination)
        .attr("InResponseTo", in_response_to)
        .child(Element::new("saml:Issuer").ns("saml", SAML).text(issuer))
        .child(status_element(code))
}

/// The HTTP-Redirect URL that carries `xml` as `parameter` (`SAMLRequest` or `SAMLResponse`)
/// to `location`, its query string signed with `key` (RSA-SHA256, SAML Bindings §3.4.4.1).
pub fn signed_redirect(
    location: &str,
    parameter: &str,
    xml: &str,
    relay_state: Option<&str>,
    key: &SigningKey,
) -> Result<String, UnsupportedKey> {
    use std::io::Write as _;

    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    if key.alg() != sigil_core::model::SigningAlg::RS256 {
        return Err(UnsupportedKey);
    }
    let mut deflater =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = deflater.write_all(xml.as_bytes());
    let deflated = deflater.finish().unwrap_or_default();
    let encode = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    let mut query = format!("{parameter}={}", encode(&STANDARD.encode(deflated)));
    if let Some(relay) = relay_state {
        query.push_str(&format!("&RelayState={}", encode(relay)));
    }
    query.push_str(&format!("&SigAlg={}", encode(crate::dsig::RSA_SHA256)));
    let signature = STANDARD.encode(key.sign(query.as_bytes()));
    query.push_str(&format!("&Signature={}", encode(&signature)));
    let separator = if location.contains('?') { '&' } else { '?' };
    Ok(format!("{location}{separator}{query}"))
}
