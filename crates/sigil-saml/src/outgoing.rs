//! How Sigil's own messages (LogoutRequests and LogoutResponses) leave for the other party, in
//! the binding its metadata names: HTTP-Redirect (deflated into the URL, the query string
//! signed, SAML Bindings §3.4) or HTTP-POST (an enveloped XML signature over the message,
//! base64 in a form the browser posts, §3.5). The browser carries both; no script runs, so a
//! POST form is a page with a button.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use sigil_keys::SigningKey;

use crate::BINDING_POST;
use crate::dsig::{UnsupportedKey, sign_enveloped};
use crate::response::signed_redirect;
use crate::xml::Element;

/// A form the browser posts to the other party (HTTP-POST binding).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostForm {
    /// Where it is posted.
    pub action: String,
    /// `SAMLRequest` or `SAMLResponse`.
    pub parameter: String,
    /// The signed message, base64.
    pub value: String,
    /// `RelayState`, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay_state: Option<String>,
}

/// A message on its way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// The URL to send the browser to.
    Redirect(String),
    /// The form the browser is to post.
    Post(PostForm),
}

/// Signs `message` (whose `ID` attribute names it; its `Issuer` is its first child) as
/// `parameter` for `location` over `binding`: an enveloped signature by `key`, with its
/// certificate, for HTTP-POST; the query string signed otherwise.
pub fn outgoing(
    binding: &str,
    location: &str,
    parameter: &str,
    message: Element,
    relay_state: Option<&str>,
    key: &SigningKey,
    certificate_der: &[u8],
) -> Result<Outgoing, UnsupportedKey> {
    if binding != BINDING_POST {
        let xml = message.to_canonical();
        return signed_redirect(location, parameter, &xml, relay_state, key)
            .map(Outgoing::Redirect);
    }
    let id = message.attribute("ID").unwrap_or_default().to_owned();
    let signed = sign_enveloped(message, &id, 1, key, certificate_der)?;
    Ok(Outgoing::Post(PostForm {
        action: location.to_owned(),
        parameter: parameter.to_owned(),
        value: STANDARD.encode(signed.to_canonical()),
        relay_state: relay_state.map(str::to_owned),
    }))
}

#[cfg(test)]
mod tests {
    use sigil_core::UnixTime;
    use sigil_core::model::SigningAlg;
    use sigil_keys::x509::self_signed_certificate;

    use super::*;
    use crate::logout::{SamlSubject, logout_request, parse_logout_response};
    use crate::request::{decode_post, parse_logout_request, verify_post_signature};
    use crate::response::logout_response;
    use crate::{BINDING_REDIRECT, status};

    #[test]
    fn a_posted_message_carries_a_signature_the_receiver_verifies() {
        let (key, _) = SigningKey::generate(SigningAlg::RS256).expect("key");
        let cert = self_signed_certificate(&key, "idp", &[], UnixTime(1_700_000_000), 30)
            .expect("certificate");
        let certs = [STANDARD.encode(&cert)];
        let trust = crate::verify::Trust {
            certificates: &certs,
            allow_legacy: false,
        };
        let verified = |xml: &str| verify_post_signature(xml, trust).map(|v| v.is_some());
        let subject = SamlSubject {
            name_id: "ada@example.com".into(),
            format: None,
            session_index: Some("s-1".into()),
        };
        let request = logout_request("_r1", "https://idp", "https://sp/slo", &subject, 0);
        let sent = outgoing(
            BINDING_POST,
            "https://sp/slo",
            "SAMLRequest",
            request,
            Some("rs"),
            &key,
            &cert,
        )
        .expect("signed");
        let Outgoing::Post(form) = sent else {
            panic!("not a form: {sent:?}");
        };
        assert_eq!(
            (form.action.as_str(), form.parameter.as_str()),
            ("https://sp/slo", "SAMLRequest")
        );
        assert_eq!(form.relay_state.as_deref(), Some("rs"));
        let xml = decode_post(&form.value).expect("base64 XML");
        assert_eq!(verified(&xml), Ok(true));
        assert_eq!(
            parse_logout_request(&xml).expect("read").session_indexes,
            ["s-1"]
        );

        let response = logout_response("https://idp", "https://sp/slo", "_x", status::SUCCESS, 0);
        let Ok(Outgoing::Post(form)) = outgoing(
            BINDING_POST,
            "https://sp/slo",
            "SAMLResponse",
            response,
            None,
            &key,
            &cert,
        ) else {
            panic!("not a form");
        };
        let xml = decode_post(&form.value).expect("base64 XML");
        assert_eq!(verified(&xml), Ok(true));
        assert_eq!(
            parse_logout_response(&xml).expect("read").status,
            status::SUCCESS
        );
        let tampered = xml.replace(status::SUCCESS, status::REQUESTER);
        assert!(verified(&tampered).is_err());

        let again = logout_request("_r2", "https://idp", "https://sp/slo", &subject, 0);
        let redirect = outgoing(
            BINDING_REDIRECT,
            "https://sp/slo",
            "SAMLRequest",
            again,
            None,
            &key,
            &cert,
        );
        assert!(matches!(redirect, Ok(Outgoing::Redirect(url)) if url.contains("&Signature=")));
    }
}
