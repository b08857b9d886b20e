//! A `samlp:Response` from an external identity provider, checked before anything in it is
//! believed (SAML Core §3.2.2, Profiles §4.1.4.3): read under [`crate::read`]'s limits with
//! no comments or processing instructions anywhere and no two elements sharing an ID; the
//! answer to exactly the request Sigil sent (`InResponseTo`), at exactly this assertion consumer
//! service (`Destination`, `Recipient`); exactly one assertion (plain, or encrypted to Sigil and
//! decrypted, see [`crate::decrypt`]), issued by the IdP, signed itself or inside a signed
//! response (each signature present verified, see
//! [`crate::verify`]); audience, bearer confirmation and time window checked with a small clock
//! skew. Only the verified assertion element is read.

use aws_lc_rs::rsa::PrivateDecryptingKey;
use roxmltree::Node;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::decrypt::decrypt_assertion;
use crate::read::{self, child, children};
use crate::verify::{Trust, verify_enveloped};
use crate::{SAML, SAMLP, SamlError, status};

/// Clock skew tolerated either way, seconds.
pub const SKEW: i64 = 60;
/// Bearer subject confirmation.
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/// What the response must answer.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The `ID` of Sigil's AuthnRequest.
    pub request_id: &'a str,
    /// Sigil's entity id at this IdP (the audience).
    pub sp_entity_id: &'a str,
    /// Sigil's assertion consumer service for this IdP.
    pub acs_url: &'a str,
    /// The IdP's entity id.
    pub idp_entity_id: &'a str,
    /// The IdP's keys.
    pub trust: Trust<'a>,
    /// Sigil's keys that assertions encrypted to it decrypt with, the current one first (the
    /// others for IdPs still encrypting to a key Sigil rotated away from); none: encrypted
    /// assertions are refused.
    pub decryption_keys: &'a [PrivateDecryptingKey],
    /// Now, Unix seconds.
    pub now: i64,
}

/// What a checked assertion says about the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumedAssertion {
    /// The assertion's `ID` (for the replay cache).
    pub id: String,
    /// Until when the assertion may be used, Unix seconds (how long to remember its ID).
    pub not_on_or_after: i64,
    /// The subject's NameID.
    pub name_id: String,
    /// Its format, if named.
    pub name_id_format: Option<String>,
    /// The IdP's session index (for logout).
    pub session_index: Option<String>,
    /// How the person authenticated at the IdP.
    pub authn_context: Option<String>,
    /// Attributes by `Name` (and by `FriendlyName` too, when given), with their values.
    pub attributes: Vec<(String, Vec<String>)>,
    /// Whether a signature used SHA-1 (allowed for this IdP; worth a log line).
    pub legacy_algorithm: bool,
}

fn refused(why: impl Into<String>) -> SamlError {
    SamlError::Refused(why.into())
}

/// An xs:dateTime attribute as Unix seconds.
fn time_attribute(node: Node<'_, '_>, name: &str) -> Result<Option<i64>, SamlError> {
    node.attribute(name)
        .map(|v| {
            OffsetDateTime::parse(v, &Rfc3339)
                .map(OffsetDateTime::unix_timestamp)
                .map_err(|_| SamlError::Malformed(format!("{name}={v:?} is not a UTC dateTime")))
        })
        .transpose()
}

/// Refuses documents with comments, processing instructions, or two elements with one ID
/// (what signature-wrapping and comment-truncation attacks need), before a signature in them
/// is looked at.
pub(crate) fn check_document(doc: &roxmltree::Document<'_>) -> Result<(), SamlError> {
    if doc.descendants().any(|n| n.is_comment() || n.is_pi()) {
        return Err(refused(
            "comments and processing instructions are not accepted in a response",
        ));
    }
    let mut ids = std::collections::HashSet::new();
    for element in doc.descendants().filter(Node::is_element) {
        for attribute in element.attributes() {
            if matches!(attribute.name(), "ID" | "Id" | "AssertionID")
                && !ids.insert(attribute.value())
            {
                return Err(refused("two elements share one ID"));
            }
        }
    }
    Ok(())
}

/// Checks `xml` (the decoded `SAMLResponse`) and reads its assertion.
pub fn consume_response(
    xml: &str,
    expected: &Expected<'_>,
) -> Result<ConsumedAssertion, SamlError> {
    let doc = read::parse(xml)?;
    check_document(&doc)?;
    let response = doc.root_element();
    if !read::is(response, SAMLP, "Response") || response.attribute("Version") != Some("2.0") {
        return Err(SamlError::Malformed("not a SAML 2.0 samlp:Response".into()));
    }
    if response
        .attribute("Destination")
        .is_some_and(|d| d != expected.acs_url)
    {
        return Err(refused("the response's Destination is not this service"));
    }
    if response.attribute("InResponseTo") != Some(expected.request_id) {
        return Err(refused(
            "the response does not answer the request Sigil sent",
        ));
    }
    if child(response, SAML, "Issuer").is_some_and(|i| read::text(i) != expected.idp_entity_id) {
        return Err(refused(
            "the response's Issuer is not the identity provider",
        ));
    }
    check_status(response)?;
    let response_signature = verify_enveloped(response, expected.trust)?;
    let plain: Vec<Node<'_, '_>> = children(response, SAML, "Assertion").collect();
    let encrypted: Vec<Node<'_, '_>> = children(response, SAML, "EncryptedAssertion").collect();
    match (plain.as_slice(), encrypted.as_slice()) {
        ([assertion], []) => accept_assertion(*assertion, response_signature, expected),
        ([], [sealed]) => {
            let mut failure = refused("encrypted assertions are not accepted");
            let mut opened = None;
            for key in expected.decryption_keys {
                match decrypt_assertion(*sealed, key) {
                    Ok(xml) => {
                        opened = Some(xml);
                        break;
                    }
                    Err(e) => failure = e,
                }
            }
            let xml = opened.ok_or(failure)?;
            let doc = read::parse(&xml)?;
            check_document(&doc)?;
            let assertion = doc.root_element();
            if !read::is(assertion, SAML, "Assertion") {
                return Err(refused("the encrypted element is not an assertion"));
            }
            accept_assertion(assertion, response_signature, expected)
        }
        _ => Err(refused("a response must carry exactly one assertion")),
    }
}

/// Reads `assertion` once its own signature, if any, verifies and it or the response is
/// signed.
fn accept_assertion(
    assertion: Node<'_, '_>,
    response_signature: Option<crate::verify::Verified>,
    expected: &Expected<'_>,
) -> Result<ConsumedAssertion, SamlError> {
    let assertion_signature = verify_enveloped(assertion, expected.trust)?;
    if response_signature.is_none() && assertion_signature.is_none() {
        return Err(refused("neither the response nor its assertion is signed"));
    }
    let legacy_algorithm = [&response_signature, &assertion_signature]
        .into_iter()
        .flatten()
        .any(|v| v.is_legacy());
    let mut consumed = read_assertion(assertion, expected)?;
    consumed.legacy_algorithm = legacy_algorithm;
    Ok(consumed)
}

fn check_status(response: Node<'_, '_>) -> Result<(), SamlError> {
    let code = child(response, SAMLP, "Status").and_then(|s| child(s, SAMLP, "StatusCode"));
    let value = code.and_then(|c| c.attribute("Value")).unwrap_or("");
    if value == status::SUCCESS {
        return Ok(());
    }
    let detail = code
        .and_then(|c| child(c, SAMLP, "StatusCode"))
        .and_then(|c| c.attribute("Value"))
        .map(|v| format!(" ({v})"))
        .unwrap_or_default();
    Err(refused(format!(
        "the identity provider answered {value}{detail}"
    )))
}

fn read_assertion(
    assertion: Node<'_, '_>,
    expected: &Expected<'_>,
) -> Result<ConsumedAssertion, SamlError> {
    let now = expected.now;
    if assertion.attribute("Version") != Some("2.0") {
        return Err(SamlError::Malformed("not a SAML 2.0 assertion".into()));
    }
    let id = assertion.attribute("ID").unwrap_or_default().to_owned();
    if child(assertion, SAML, "Issuer").map(read::text).as_deref() != Some(expected.idp_entity_id) {
        return Err(refused(
            "the assertion's Issuer is not the identity provider",
        ));
    }
    let subject =
        child(assertion, SAML, "Subject").ok_or_else(|| refused("the assertion has no Subject"))?;
    let name_id = child(subject, SAML, "NameID")
        .ok_or_else(|| refused("the assertion's Subject has no (plain) NameID"))?;
    let not_on_or_after = bearer_confirmation(subject, expected)?;
    check_conditions(assertion, expected)?;
    let authn = child(assertion, SAML, "AuthnStatement")
        .ok_or_else(|| refused("the assertion has no AuthnStatement"))?;
    if time_attribute(authn, "SessionNotOnOrAfter")?.is_some_and(|t| t <= now - SKEW) {
        return Err(refused("the IdP's session has already ended"));
    }
    let authn_context = child(authn, SAML, "AuthnContext")
        .and_then(|c| child(c, SAML, "AuthnContextClassRef"))
        .map(read::text);
    let name = read::text(name_id);
    if name.is_empty() || name.len() > 1024 {
        return Err(refused("the NameID is empty or too long"));
    }
    Ok(ConsumedAssertion {
        id,
        not_on_or_after,
        name_id: name,
        name_id_format: name_id.attribute("Format").map(str::to_owned),
        session_index: authn.attribute("SessionIndex").map(str::to_owned),
        authn_context,
        attributes: attributes(assertion),
        legacy_algorithm: false,
    })
}

/// The bearer `SubjectConfirmation` meant for this request at this service: its
/// `NotOnOrAfter`.
fn bearer_confirmation(subject: Node<'_, '_>, expected: &Expected<'_>) -> Result<i64, SamlError> {
    let mut last_reason = "the assertion has no bearer SubjectConfirmation";
    for confirmation in children(subject, SAML, "SubjectConfirmation")
        .filter(|c| c.attribute("Method") == Some(BEARER))
    {
        let Some(data) = child(confirmation, SAML, "SubjectConfirmationData") else {
            last_reason = "a bearer confirmation has no SubjectConfirmationData";
            continue;
        };
        let not_on_or_after = time_attribute(data, "NotOnOrAfter")?;
        let verdict = if data.attribute("Recipient") != Some(expected.acs_url) {
            Err("the bearer confirmation's Recipient is not this service")
        } else if data.attribute("InResponseTo") != Some(expected.request_id) {
            Err("the bearer confirmation answers another request")
        } else if data.has_attribute("NotBefore") {
            Err("a bearer confirmation must not have NotBefore")
        } else {
            match not_on_or_after {
                Some(t) if t > expected.now - SKEW => Ok(t),
                Some(_) => Err("the assertion has expired"),
                None => Err("the bearer confirmation has no NotOnOrAfter"),
            }
        };
        match verdict {
            Ok(t) => return Ok(t),
            Err(reason) => last_reason = reason,
        }
    }
    Err(refused(last_reason))
}

fn check_conditions(assertion: Node<'_, '_>, expected: &Expected<'_>) -> Result<(), SamlError> {
    let conditions = child(assertion, SAML, "Conditions")
        .ok_or_else(|| refused("the assertion has no Conditions"))?;
    if time_attribute(conditions, "NotBefore")?.is_some_and(|t| t > expected.now + SKEW) {
        return Err(refused("the assertion is not valid yet"));
    }
    if time_attribute(conditions, "NotOnOrAfter")?.is_some_and(|t| t <= expected.now - SKEW) {
        return Err(refused("the assertion has expired"));
    }
    let restrictions: Vec<_> = children(conditions, SAML, "AudienceRestriction").collect();
    let for_us = |r: &Node<'_, '_>| {
        children(*r, SAML, "Audience").any(|a| read::text(a) == expected.sp_entity_id)
    };
    if restrictions.is_empty() || !restrictions.iter().all(for_us) {
        return Err(refused(
            "the assertion is not meant for this service (Audience)",
        ));
    }
    Ok(())
}

fn attributes(assertion: Node<'_, '_>) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for attribute in
        children(assertion, SAML, "AttributeStatement").flat_map(|s| children(s, SAML, "Attribute"))
    {
        let values: Vec<String> = children(attribute, SAML, "AttributeValue")
            .map(read::text)
            .collect();
        for name in [
            attribute.attribute("Name"),
            attribute.attribute("FriendlyName"),
        ]
        .into_iter()
        .flatten()
        {
            out.push((name.to_owned(), values.clone()));
        }
    }
    out
}
