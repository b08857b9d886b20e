//! AuthnRequests: decoded from the HTTP-Redirect binding (base64 of raw DEFLATE, inflated to a
//! bounded size) or the HTTP-POST binding (base64), read under [`crate::read`]'s limits, and
//! their signature checked against the SP's certificates: over HTTP-Redirect the one over the
//! query string's octets as sent (SAML Bindings §3.4.4.1, RSA-SHA256 only), over HTTP-POST the
//! enveloped XML signature of the request element itself ([`crate::verify`]).

use std::io::Read as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::dsig::RSA_SHA256;
use crate::read::{self, child, flag};
use crate::verify::{RSA_SHA1, Trust, Verified};
use crate::{SAML, SAMLP, SamlError};

/// Largest request accepted, inflated, bytes.
const MAX_REQUEST: u64 = 64 * 1024;

/// What an AuthnRequest asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthnRequest {
    /// `ID`, echoed as `InResponseTo`.
    pub id: String,
    /// The SP's entity id.
    pub issuer: String,
    /// `Destination`, which must be Sigil's SSO URL when present.
    pub destination: Option<String>,
    /// `AssertionConsumerServiceURL`.
    pub acs_url: Option<String>,
    /// `AssertionConsumerServiceIndex`.
    pub acs_index: Option<u16>,
    /// `ProtocolBinding` of the response (only HTTP-POST is served).
    pub protocol_binding: Option<String>,
    /// `ForceAuthn`: the user must authenticate again.
    pub force_authn: bool,
    /// `IsPassive`: the user must not be asked anything.
    pub is_passive: bool,
    /// `NameIDPolicy/@Format`.
    pub name_id_format: Option<String>,
}

/// The XML of an HTTP-Redirect `SAMLRequest`.
pub fn decode_redirect(value: &str) -> Result<String, SamlError> {
    let deflated = STANDARD
        .decode(value.trim())
        .map_err(|_| SamlError::Malformed("SAMLRequest is not base64".into()))?;
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(deflated.as_slice())
        .take(MAX_REQUEST + 1)
        .read_to_string(&mut xml)
        .map_err(|_| SamlError::Malformed("SAMLRequest is not DEFLATE-compressed UTF-8".into()))?;
    if xml.len() as u64 > MAX_REQUEST {
        return Err(SamlError::Malformed("SAMLRequest is too large".into()));
    }
    Ok(xml)
}

/// The XML of an HTTP-POST `SAMLRequest`.
pub fn decode_post(value: &str) -> Result<String, SamlError> {
    let compact: String = value.split_whitespace().collect();
    let bytes = STANDARD
        .decode(compact)
        .map_err(|_| SamlError::Malformed("SAMLRequest is not base64".into()))?;
    if bytes.len() as u64 > MAX_REQUEST {
        return Err(SamlError::Malformed("SAMLRequest is too large".into()));
    }
    String::from_utf8(bytes).map_err(|_| SamlError::Malformed("SAMLRequest is not UTF-8".into()))
}

/// The `ID` and `Issuer` of a SAML 2.0 request whose root element is `samlp:{name}`.
fn request_header(
    root: roxmltree::Node<'_, '_>,
    name: &str,
) -> Result<(String, String), SamlError> {
    if !read::is(root, SAMLP, name) {
        return Err(SamlError::Malformed(format!("not a samlp:{name}")));
    }
    if root.attribute("Version") != Some("2.0") {
        return Err(SamlError::Refused(
            "only SAML 2.0 requests are accepted".into(),
        ));
    }
    let id = root
        .attribute("ID")
        .filter(|id| !id.is_empty() && id.len() <= 256)
        .ok_or_else(|| SamlError::Malformed("the request has no ID".into()))?
        .to_owned();
    let issuer = child(root, SAML, "Issuer")
        .map(read::text)
        .filter(|i| !i.is_empty())
        .ok_or_else(|| SamlError::Malformed("the request names no Issuer".into()))?;
    Ok((id, issuer))
}

/// Reads an AuthnRequest.
pub fn parse_authn_request(xml: &str) -> Result<AuthnRequest, SamlError> {
    let doc = read::parse(xml)?;
    let root = doc.root_element();
    let (id, issuer) = request_header(root, "AuthnRequest")?;
    let acs_index = match root.attribute("AssertionConsumerServiceIndex") {
        Some(i) => Some(i.parse().map_err(|_| {
            SamlError::Malformed("AssertionConsumerServiceIndex is not a number".into())
        })?),
        None => None,
    };
    Ok(AuthnRequest {
        id,
        issuer,
        destination: root.attribute("Destination").map(str::to_owned),
        acs_url: root
            .attribute("AssertionConsumerServiceURL")
            .map(str::to_owned),
        acs_index,
        protocol_binding: root.attribute("ProtocolBinding").map(str::to_owned),
        force_authn: flag(root, "ForceAuthn")?,
        is_passive: flag(root, "IsPassive")?,
        name_id_format: child(root, SAMLP, "NameIDPolicy")
            .and_then(|p| p.attribute("Format"))
            .map(str::to_owned),
    })
}

/// What a LogoutRequest asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutRequest {
    /// `ID`, echoed as `InResponseTo`.
    pub id: String,
    /// The SP's entity id.
    pub issuer: String,
    /// `Destination`, which must be Sigil's SLO URL when present.
    pub destination: Option<String>,
    /// The subject's NameID.
    pub name_id: String,
    /// The sessions to end (`SessionIndex`es).
    pub session_indexes: Vec<String>,
}

/// Reads a LogoutRequest.
pub fn parse_logout_request(xml: &str) -> Result<LogoutRequest, SamlError> {
    let doc = read::parse(xml)?;
    let root = doc.root_element();
    let (id, issuer) = request_header(root, "LogoutRequest")?;
    let name_id = child(root, SAML, "NameID")
        .map(read::text)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| SamlError::Malformed("the request names no NameID".into()))?;
    Ok(LogoutRequest {
        id,
        issuer,
        destination: root.attribute("Destination").map(str::to_owned),
        name_id,
        session_indexes: read::children(root, SAMLP, "SessionIndex")
            .map(read::text)
            .collect(),
    })
}

/// Checks the XML signature an HTTP-POST message (`xml`, decoded) carries over its root
/// element against the sender's certificates, as [`crate::verify`] checks them: what it used,
/// or `None` when it carries none.
pub fn verify_post_signature(xml: &str, trust: Trust<'_>) -> Result<Option<Verified>, SamlError> {
    let doc = read::parse(xml)?;
    crate::consume::check_document(&doc)?;
    crate::verify::verify_enveloped(doc.root_element(), trust)
}

/// One parameter of a raw query string, still URL-encoded, exactly as sent.
fn raw_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

/// Checks the HTTP-Redirect signature of `query` (the raw query string, carrying a
/// `SAMLRequest` or a `SAMLResponse`) against the sender's certificates (base64 DER):
/// RSA-SHA256, or RSA-SHA1 under [`Trust::allow_legacy`]. What it used, or `None` when the
/// message carries no signature.
pub fn verify_redirect_signature(
    query: &str,
    trust: Trust<'_>,
) -> Result<Option<Verified>, SamlError> {
    let Some(signature) = raw_param(query, "Signature") else {
        return Ok(None);
    };
    let sig_alg = raw_param(query, "SigAlg")
        .ok_or_else(|| SamlError::Refused("a signed request names no SigAlg".into()))?;
    let decode = |v: &str| {
        url::form_urlencoded::parse(format!("v={v}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let method = decode(sig_alg);
    if method != RSA_SHA256 && !(trust.allow_legacy && method == RSA_SHA1) {
        return Err(SamlError::Refused(
            "only RSA-SHA256 request signatures are accepted".into(),
        ));
    }
    let (parameter, message) = ["SAMLRequest", "SAMLResponse"]
        .into_iter()
        .find_map(|p| raw_param(query, p).map(|m| (p, m)))
        .ok_or_else(|| SamlError::Malformed("no SAMLRequest or SAMLResponse".into()))?;
    let mut signed = format!("{parameter}={message}");
    if let Some(relay) = raw_param(query, "RelayState") {
        signed.push_str(&format!("&RelayState={relay}"));
    }
    signed.push_str(&format!("&SigAlg={sig_alg}"));
    let signature = STANDARD
        .decode(decode(signature))
        .map_err(|_| SamlError::Malformed("the Signature is not base64".into()))?;
    let valid = trust.certificates.iter().any(|certificate| {
        crate::verify::certificate_verifies(
            certificate,
            &method,
            trust.allow_legacy,
            signed.as_bytes(),
            &signature,
        )
    });
    if valid {
        Ok(Some(Verified {
            signature_method: method,
            digest_method: String::new(),
        }))
    } else {
        Err(SamlError::Refused(
            "the request's signature does not verify with the SP's certificates".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn redirect_value(xml: &str) -> String {
        let mut enc =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(xml.as_bytes()).expect("deflate");
        STANDARD.encode(enc.finish().expect("deflate"))
    }

    const REQUEST: &str = r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="id-1" Version="2.0" IssueInstant="2026-11-28T10:00:00Z" Destination="https://id.example/saml/sso" AssertionConsumerServiceURL="https://sp.example/acs" ForceAuthn="true"><saml:Issuer>https://sp.example</saml:Issuer><samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="true"/></samlp:AuthnRequest>"#;

    #[test]
    fn a_redirect_request_is_read() {
        let xml = decode_redirect(&redirect_value(REQUEST)).expect("decoded");
        let req = parse_authn_request(&xml).expect("parsed");
        assert_eq!(req.id, "id-1");
        assert_eq!(req.issuer, "https://sp.example");
        assert_eq!(req.acs_url.as_deref(), Some("https://sp.example/acs"));
        assert!(req.force_authn && !req.is_passive);
        assert_eq!(req.name_id_format.as_deref(), Some(crate::name_id::EMAIL));
    }

    #[test]
    fn hostile_or_broken_requests_are_refused() {
        let dtd = format!("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>{REQUEST}");
        assert!(parse_authn_request(&dtd).is_err(), "no DTDs");
        let bomb = "a".repeat(200_000);
        assert!(
            decode_redirect(&redirect_value(&bomb)).is_err(),
            "inflation is bounded"
        );
        assert!(decode_redirect("%%%").is_err());
        assert!(parse_authn_request("<x/>").is_err());
        let v1 = REQUEST.replace("Version=\"2.0\"", "Version=\"1.1\"");
        assert!(parse_authn_request(&v1).is_err());
        let no_issuer = REQUEST.replace("<saml:Issuer>https://sp.example</saml:Issuer>", "");
        assert!(parse_authn_request(&no_issuer).is_err());
        let deep = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
        assert!(parse_authn_request(&deep).is_err());
    }
}
