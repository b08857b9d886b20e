//! Sigil as a SAML service provider to an external identity provider: the IdP's metadata read
//! (entity id, single sign-on and logout services, signing certificates), Sigil's SP metadata
//! for that IdP, and the AuthnRequest Sigil sends it (over HTTP-Redirect, its query string
//! signed with [`crate::response::signed_redirect`]). What comes back is checked in
//! [`crate::consume`].

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::dsig::DS;
use crate::metadata::{document, key_descriptor, signing_key_descriptor};
use crate::read::{self, child, children};
use crate::response::instant;
use crate::xml::Element;
use crate::{BINDING_POST, BINDING_REDIRECT, MD, SAML, SAMLP, SamlError, name_id};

/// What an identity provider's metadata says that Sigil uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdpDescriptor {
    /// Its entity id, the `Issuer` of everything it sends.
    pub entity_id: String,
    /// Its single sign-on service over HTTP-Redirect.
    pub sso_url: String,
    /// Its single logout service over HTTP-Redirect, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo_url: Option<String>,
    /// Its signing certificates (base64 DER).
    pub certificates: Vec<String>,
}

fn http_url(location: &str, what: &str) -> Result<(), SamlError> {
    let url = url::Url::parse(location)
        .map_err(|_| SamlError::Refused(format!("the {what} {location:?} is not a URL")))?;
    if !matches!(url.scheme(), "https" | "http") || url.fragment().is_some() {
        return Err(SamlError::Refused(format!(
            "the {what} {location:?} is not an http(s) URL"
        )));
    }
    Ok(())
}

/// Reads an identity provider's metadata (an `EntityDescriptor`, or an `EntitiesDescriptor`
/// holding exactly one IdP).
pub fn parse_idp_metadata(text: &str) -> Result<IdpDescriptor, SamlError> {
    let doc = read::parse(text)?;
    let root = doc.root_element();
    let is_idp = |n: roxmltree::Node<'_, '_>| {
        read::is(n, MD, "EntityDescriptor") && child(n, MD, "IDPSSODescriptor").is_some()
    };
    let mut idps = root.descendants().filter(|n| is_idp(*n));
    let entity = match (idps.next(), idps.next()) {
        (Some(one), None) => one,
        (None, _) => {
            return Err(SamlError::Refused(
                "the metadata describes no identity provider (no md:IDPSSODescriptor)".into(),
            ));
        }
        _ => {
            return Err(SamlError::Refused(
                "the metadata must describe exactly one identity provider".into(),
            ));
        }
    };
    let entity_id = entity
        .attribute("entityID")
        .filter(|e| !e.is_empty() && e.len() <= 1024)
        .ok_or_else(|| SamlError::Refused("the EntityDescriptor has no entityID".into()))?
        .to_owned();
    let idp = child(entity, MD, "IDPSSODescriptor")
        .ok_or_else(|| SamlError::Refused("the metadata has no IDPSSODescriptor".into()))?;
    let redirect_service = |name: &str| {
        children(idp, MD, name)
            .find(|s| s.attribute("Binding") == Some(BINDING_REDIRECT))
            .and_then(|s| s.attribute("Location"))
            .map(str::to_owned)
    };
    let sso_url = redirect_service("SingleSignOnService").ok_or_else(|| {
        SamlError::Refused("the IdP has no HTTP-Redirect single sign-on service".into())
    })?;
    http_url(&sso_url, "single sign-on service")?;
    let slo_url = redirect_service("SingleLogoutService");
    if let Some(slo) = &slo_url {
        http_url(slo, "single logout service")?;
    }
    let certificates: Vec<String> = children(idp, MD, "KeyDescriptor")
        .filter(|k| k.attribute("use").is_none_or(|u| u == "signing"))
        .flat_map(|k| {
            k.descendants()
                .filter(|n| read::is(*n, DS, "X509Certificate"))
        })
        .map(|c| read::text(c).split_whitespace().collect::<String>())
        .filter(|c| STANDARD.decode(c).is_ok())
        .collect();
    if certificates.is_empty() {
        return Err(SamlError::Refused(
            "the IdP's metadata has no signing certificate".into(),
        ));
    }
    Ok(IdpDescriptor {
        entity_id,
        sso_url,
        slo_url,
        certificates,
    })
}

/// Sigil's metadata as the service provider of one identity provider.
#[derive(Debug, Clone)]
pub struct SpMetadataDocument<'a> {
    /// Sigil's entity id there.
    pub entity_id: &'a str,
    /// The assertion consumer service (HTTP-POST).
    pub acs_url: &'a str,
    /// The single logout service (HTTP-Redirect), where the IdP answers Sigil's logout
    /// requests.
    pub slo_url: &'a str,
    /// DER certificates of the keys that sign Sigil's requests.
    pub certificates: &'a [Vec<u8>],
}

impl SpMetadataDocument<'_> {
    /// The `md:EntityDescriptor`.
    pub fn to_xml(&self) -> String {
        let mut sp = Element::new("md:SPSSODescriptor")
            .attr("AuthnRequestsSigned", "true")
            .attr("WantAssertionsSigned", "true")
            .attr("protocolSupportEnumeration", SAMLP);
        for cert in self.certificates {
            sp = sp.child(signing_key_descriptor(cert));
        }
        // The same key takes encrypted assertions.
        for cert in self.certificates {
            sp = sp.child(key_descriptor("encryption", &STANDARD.encode(cert)));
        }
        sp = sp
            .child(
                Element::new("md:SingleLogoutService")
                    .attr("Binding", BINDING_REDIRECT)
                    .attr("Location", self.slo_url),
            )
            .child(Element::new("md:NameIDFormat").text(name_id::PERSISTENT))
            .child(
                Element::new("md:AssertionConsumerService")
                    .attr("Binding", BINDING_POST)
                    .attr("Location", self.acs_url)
                    .attr("index", "0")
                    .attr("isDefault", "true"),
            );
        document(
            &Element::new("md:EntityDescriptor")
                .ns("md", MD)
                .attr("entityID", self.entity_id)
                .child(sp),
        )
    }
}

/// An AuthnRequest from Sigil (`sp_entity_id`) to the IdP's `destination`, asking for the
/// answer at `acs_url` over HTTP-POST, as XML.
pub fn authn_request(
    id: &str,
    sp_entity_id: &str,
    destination: &str,
    acs_url: &str,
    now: i64,
) -> String {
    Element::new("samlp:AuthnRequest")
        .ns("samlp", SAMLP)
        .attr("ID", id)
        .attr("Version", "2.0")
        .attr("IssueInstant", instant(now))
        .attr("Destination", destination)
        .attr("AssertionConsumerServiceURL", acs_url)
        .attr("ProtocolBinding", BINDING_POST)
        .child(
            Element::new("saml:Issuer")
                .ns("saml", SAML)
                .text(sp_entity_id),
        )
        .child(
            Element::new("samlp:NameIDPolicy")
                .attr("Format", name_id::PERSISTENT)
                .attr("AllowCreate", "true"),
        )
        .to_canonical()
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDP: &str = r#"<?xml version="1.0"?>
<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
  <md:EntityDescriptor entityID="https://idp.example/metadata">
    <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
      <md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>QUJD</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
      <md:KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
        REVG
      </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
      <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/slo"/>
      <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example/sso-post"/>
      <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/>
    </md:IDPSSODescriptor>
  </md:EntityDescriptor>
</md:EntitiesDescriptor>"#;

    #[test]
    fn an_idp_is_read_from_its_metadata() {
        let idp = parse_idp_metadata(IDP).expect("read");
        assert_eq!(idp.entity_id, "https://idp.example/metadata");
        assert_eq!(idp.sso_url, "https://idp.example/sso");
        assert_eq!(idp.slo_url.as_deref(), Some("https://idp.example/slo"));
        assert_eq!(
            idp.certificates,
            vec!["REVG".to_owned()],
            "signing keys only"
        );
    }

    #[test]
    fn metadata_without_what_sign_in_needs_is_refused() {
        let no_redirect = IDP.replace(
            "Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"https://idp.example/sso\"",
            "Binding=\"x\" Location=\"https://idp.example/sso\"",
        );
        assert!(parse_idp_metadata(&no_redirect).is_err());
        let no_key = IDP.replace(
            "<md:KeyDescriptor><ds:KeyInfo>",
            "<md:KeyDescriptor use=\"encryption\"><ds:KeyInfo>",
        );
        assert!(parse_idp_metadata(&no_key).is_err());
        let sp_only = IDP.replace("IDPSSODescriptor", "SPSSODescriptor");
        assert!(parse_idp_metadata(&sp_only).is_err());
        let js = IDP.replace("https://idp.example/sso\"", "javascript:alert(1)\"");
        assert!(parse_idp_metadata(&js).is_err());
    }

    #[test]
    fn the_authn_request_is_what_sigils_idp_side_reads() {
        let xml = authn_request(
            "_r1",
            "https://sigil/sp",
            "https://idp/sso",
            "https://sigil/acs",
            0,
        );
        let parsed = crate::request::parse_authn_request(&xml).expect("read back");
        assert_eq!(parsed.id, "_r1");
        assert_eq!(parsed.issuer, "https://sigil/sp");
        assert_eq!(parsed.acs_url.as_deref(), Some("https://sigil/acs"));
        assert_eq!(parsed.name_id_format.as_deref(), Some(name_id::PERSISTENT));
    }
}
