//! Single logout messages Sigil sends and the answers it reads, in either role: a
//! LogoutRequest for someone it signed in (as IdP, to a service provider) or was signed in
//! through (as SP, to the identity provider), and the LogoutResponse that comes back, in
//! whichever binding ([`crate::outgoing`]) the other party takes.

use serde::{Deserialize, Serialize};

use crate::read::{self, child};
use crate::response::instant;
use crate::xml::Element;
use crate::{SAML, SAMLP, SamlError};

/// Who is signed out, as the IdP that signed them in named them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlSubject {
    /// The NameID.
    pub name_id: String,
    /// Its format, if the IdP named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// The IdP's session index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_index: Option<String>,
}

/// A LogoutRequest from Sigil (`issuer`: its entity id as SP or as IdP) to the single logout
/// service `destination` of the other party, for `subject`.
pub fn logout_request(
    id: &str,
    issuer: &str,
    destination: &str,
    subject: &SamlSubject,
    now: i64,
) -> Element {
    let mut request = Element::new("samlp:LogoutRequest")
        .ns("samlp", SAMLP)
        .ns("saml", SAML)
        .attr("ID", id)
        .attr("Version", "2.0")
        .attr("IssueInstant", instant(now))
        .attr("Destination", destination)
        .child(Element::new("saml:Issuer").text(issuer))
        .child(
            Element::new("saml:NameID")
                .attr_opt("Format", subject.format.as_deref())
                .text(&subject.name_id),
        );
    if let Some(index) = &subject.session_index {
        request = request.child(Element::new("samlp:SessionIndex").text(index));
    }
    request
}

/// What a LogoutResponse says: which request it answers and its top-level status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutOutcome {
    /// `InResponseTo`.
    pub in_response_to: Option<String>,
    /// `Issuer`.
    pub issuer: Option<String>,
    /// The top-level status code.
    pub status: String,
}

/// Reads a LogoutResponse (its signature, over the HTTP-Redirect query, is checked apart).
pub fn parse_logout_response(xml: &str) -> Result<LogoutOutcome, SamlError> {
    let doc = read::parse(xml)?;
    let root = doc.root_element();
    if !read::is(root, SAMLP, "LogoutResponse") || root.attribute("Version") != Some("2.0") {
        return Err(SamlError::Malformed(
            "not a SAML 2.0 samlp:LogoutResponse".into(),
        ));
    }
    let status = child(root, SAMLP, "Status")
        .and_then(|s| child(s, SAMLP, "StatusCode"))
        .and_then(|c| c.attribute("Value"))
        .unwrap_or("")
        .to_owned();
    Ok(LogoutOutcome {
        in_response_to: root.attribute("InResponseTo").map(str::to_owned),
        issuer: child(root, SAML, "Issuer").map(read::text),
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::name_id;

    #[test]
    fn a_logout_request_is_what_sigils_idp_side_reads_and_a_response_is_read() {
        let subject = SamlSubject {
            name_id: "ann-7".into(),
            format: Some(name_id::PERSISTENT.into()),
            session_index: Some("_s1".into()),
        };
        let xml = logout_request("_l1", "https://sigil/sp", "https://idp/slo", &subject, 0)
            .to_canonical();
        let parsed = crate::request::parse_logout_request(&xml).expect("read back");
        assert_eq!(parsed.name_id, "ann-7");
        assert_eq!(parsed.session_indexes, vec!["_s1".to_owned()]);
        assert_eq!(parsed.destination.as_deref(), Some("https://idp/slo"));
        let response = crate::response::logout_response(
            "https://idp/metadata",
            "https://sigil/slo",
            "_l1",
            crate::status::SUCCESS,
            0,
        )
        .to_canonical();
        let outcome = parse_logout_response(&response).expect("read");
        assert_eq!(outcome.in_response_to.as_deref(), Some("_l1"));
        assert_eq!(outcome.status, crate::status::SUCCESS);
        assert!(
            parse_logout_response(&xml).is_err(),
            "a request is no response"
        );
    }
}
