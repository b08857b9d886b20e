//! Metadata: the IdP's own (what a service provider imports to trust Sigil) and a service
//! provider's (what an administrator imports to register it): its entity id, assertion
//! consumer services, signing certificates and wishes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::dsig::DS;
use crate::read::{self, child, children, flag};
use crate::xml::Element;
use crate::{BINDING_POST, BINDING_REDIRECT, MD, SamlError, name_id};

/// What Sigil's IdP metadata says.
#[derive(Debug, Clone)]
pub struct IdpMetadata {
    /// The IdP's entity id.
    pub entity_id: String,
    /// The single sign-on service (both bindings).
    pub sso_url: String,
    /// The single logout service (both bindings).
    pub slo_url: String,
    /// DER certificates of the RSA signing keys.
    pub certificates: Vec<Vec<u8>>,
    /// DER certificate of the P-256 key that signs for SPs that accept ECDSA, if there is one.
    pub ecdsa_certificate: Option<Vec<u8>>,
}

impl IdpMetadata {
    /// The `md:EntityDescriptor`.
    pub fn to_xml(&self) -> String {
        document(&self.descriptor())
    }

    /// The `md:EntityDescriptor` signed with `key` (enveloped, RSA-SHA256, the signature
    /// first as the schema orders it), valid until `valid_until` (Unix seconds): what an SP
    /// that pins Sigil's certificate checks before trusting the rest.
    pub fn to_signed_xml(
        &self,
        key: &sigil_keys::SigningKey,
        certificate_der: &[u8],
        valid_until: i64,
    ) -> Result<String, crate::dsig::UnsupportedKey> {
        let id = format!("_{}", sigil_core::random::identifier());
        let descriptor = self
            .descriptor()
            .attr("ID", &id)
            .attr("validUntil", crate::response::instant(valid_until));
        let signed = crate::dsig::sign_enveloped(descriptor, &id, 0, key, certificate_der)?;
        Ok(document(&signed))
    }

    fn descriptor(&self) -> Element {
        let mut methods = vec![crate::dsig::RSA_SHA256];
        methods.extend(
            self.ecdsa_certificate
                .as_ref()
                .map(|_| crate::dsig::ECDSA_SHA256),
        );
        let mut idp = Element::new("md:IDPSSODescriptor")
            .attr("WantAuthnRequestsSigned", "false")
            .attr("protocolSupportEnumeration", crate::SAMLP)
            .child(signing_methods(&methods));
        for cert in self.certificates.iter().chain(&self.ecdsa_certificate) {
            idp = idp.child(signing_key_descriptor(cert));
        }
        for binding in [BINDING_REDIRECT, BINDING_POST] {
            idp = idp.child(
                Element::new("md:SingleLogoutService")
                    .attr("Binding", binding)
                    .attr("Location", &self.slo_url),
            );
        }
        for format in [
            name_id::PERSISTENT,
            name_id::EMAIL,
            name_id::TRANSIENT,
            name_id::UNSPECIFIED,
        ] {
            idp = idp.child(Element::new("md:NameIDFormat").text(format));
        }
        for binding in [BINDING_REDIRECT, BINDING_POST] {
            idp = idp.child(
                Element::new("md:SingleSignOnService")
                    .attr("Binding", binding)
                    .attr("Location", &self.sso_url),
            );
        }
        Element::new("md:EntityDescriptor")
            .ns("md", MD)
            .attr("entityID", &self.entity_id)
            .child(idp)
    }
}

/// The SAML metadata algorithm-support namespace.
pub const ALG: &str = "urn:oasis:names:tc:SAML:metadata:algsupport";

/// `md:Extensions` naming signature methods (`alg:SigningMethod`).
pub(crate) fn signing_methods(methods: &[impl AsRef<str>]) -> Element {
    let mut extensions = Element::new("md:Extensions");
    for method in methods {
        extensions = extensions.child(
            Element::new("alg:SigningMethod")
                .ns("alg", ALG)
                .attr("Algorithm", method.as_ref()),
        );
    }
    extensions
}

/// A `md:KeyDescriptor` for a signing certificate (DER).
pub(crate) fn signing_key_descriptor(certificate_der: &[u8]) -> Element {
    key_descriptor("signing", &STANDARD.encode(certificate_der))
}

/// A `md:KeyDescriptor` for a certificate (base64 DER) used for `purpose` (`signing` or
/// `encryption`).
pub(crate) fn key_descriptor(purpose: &str, certificate: &str) -> Element {
    Element::new("md:KeyDescriptor").attr("use", purpose).child(
        Element::new("ds:KeyInfo").ns("ds", DS).child(
            Element::new("ds:X509Data").child(Element::new("ds:X509Certificate").text(certificate)),
        ),
    )
}

/// A metadata document: the XML declaration and the root element.
pub(crate) fn document(root: &Element) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
        root.to_canonical()
    )
}

/// One assertion consumer service of a service provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumerService {
    /// Its binding (only HTTP-POST is served).
    pub binding: String,
    /// Where responses go.
    pub location: String,
    /// Its index.
    pub index: u16,
    /// Whether it is the default.
    #[serde(default)]
    pub is_default: bool,
}

/// One single logout service of a service provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutService {
    /// Its binding (HTTP-Redirect, or HTTP-POST when the SP has no HTTP-Redirect service).
    pub binding: String,
    /// Where logout requests go.
    pub location: String,
    /// Where logout responses go, when not to `location`.
    #[serde(default)]
    pub response_location: Option<String>,
}

impl LogoutService {
    /// Where logout responses go.
    pub fn response_url(&self) -> &str {
        self.response_location.as_deref().unwrap_or(&self.location)
    }
}

/// What a service provider's metadata says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpMetadata {
    /// The SP's entity id (the audience of its assertions).
    pub entity_id: String,
    /// Where its responses may go.
    pub consumer_services: Vec<ConsumerService>,
    /// DER certificates it signs requests with.
    #[serde(default)]
    pub signing_certificates: Vec<String>,
    /// DER certificates assertions can be encrypted to (`use="encryption"` or no `use`).
    #[serde(default)]
    pub encryption_certificates: Vec<String>,
    /// Whether it signs its AuthnRequests (then unsigned ones are refused).
    #[serde(default)]
    pub authn_requests_signed: bool,
    /// NameID formats it accepts, most preferred first.
    #[serde(default)]
    pub name_id_formats: Vec<String>,
    /// Where it takes logout messages.
    #[serde(default)]
    pub logout_services: Vec<LogoutService>,
    /// The signature methods it says it accepts (SAML metadata algorithm support,
    /// `alg:SigningMethod`); none named means RSA-SHA256 only, as for any SP.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signing_methods: Vec<String>,
}

impl SpMetadata {
    /// Whether it says it accepts ECDSA-SHA256 signatures.
    pub fn accepts_ecdsa(&self) -> bool {
        self.signing_methods
            .iter()
            .any(|m| m == crate::dsig::ECDSA_SHA256)
    }

    /// The metadata document this describes (for an SP registered by hand: reading it back
    /// checks it as imported metadata is checked).
    pub fn to_xml(&self) -> String {
        let mut sp = Element::new("md:SPSSODescriptor")
            .attr(
                "AuthnRequestsSigned",
                if self.authn_requests_signed {
                    "true"
                } else {
                    "false"
                },
            )
            .attr("protocolSupportEnumeration", crate::SAMLP);
        if !self.signing_methods.is_empty() {
            sp = sp.child(signing_methods(&self.signing_methods));
        }
        for der in &self.signing_certificates {
            sp = sp.child(key_descriptor("signing", der));
        }
        for der in &self.encryption_certificates {
            sp = sp.child(key_descriptor("encryption", der));
        }
        for service in &self.logout_services {
            sp = sp.child(
                Element::new("md:SingleLogoutService")
                    .attr("Binding", &service.binding)
                    .attr("Location", &service.location)
                    .attr_opt("ResponseLocation", service.response_location.as_deref()),
            );
        }
        for format in &self.name_id_formats {
            sp = sp.child(Element::new("md:NameIDFormat").text(format));
        }
        for acs in &self.consumer_services {
            sp = sp.child(
                Element::new("md:AssertionConsumerService")
                    .attr("Binding", &acs.binding)
                    .attr("Location", &acs.location)
                    .attr("index", acs.index.to_string())
                    .attr("isDefault", if acs.is_default { "true" } else { "false" }),
            );
        }
        document(
            &Element::new("md:EntityDescriptor")
                .ns("md", MD)
                .attr("entityID", &self.entity_id)
                .child(sp),
        )
    }

    /// The consumer service a request names by URL or index, or the default one; only
    /// HTTP-POST services are used.
    pub fn consumer_service(
        &self,
        url: Option<&str>,
        index: Option<u16>,
    ) -> Result<&ConsumerService, SamlError> {
        let post = || {
            self.consumer_services
                .iter()
                .filter(|s| s.binding == BINDING_POST)
        };
        let found = match (url, index) {
            (Some(url), _) => post().find(|s| s.location == url),
            (None, Some(i)) => post().find(|s| s.index == i),
            (None, None) => post()
                .find(|s| s.is_default)
                .or_else(|| post().min_by_key(|s| s.index)),
        };
        found.ok_or_else(|| {
            SamlError::Refused("the assertion consumer service is not in the SP's metadata".into())
        })
    }

    /// The single logout service Sigil uses: HTTP-Redirect when the SP has one, else
    /// HTTP-POST.
    pub fn logout_service(&self) -> Option<&LogoutService> {
        let over = |binding: &str| self.logout_services.iter().find(|s| s.binding == binding);
        over(BINDING_REDIRECT).or_else(|| over(BINDING_POST))
    }
}

/// Reads a service provider's metadata (an `EntityDescriptor`, or an `EntitiesDescriptor`
/// holding exactly one SP).
pub fn parse_sp_metadata(text: &str) -> Result<SpMetadata, SamlError> {
    let doc = read::parse(text)?;
    let root = doc.root_element();
    let entity = if read::is(root, MD, "EntityDescriptor") {
        root
    } else if read::is(root, MD, "EntitiesDescriptor") {
        let mut sps = root.descendants().filter(|n| {
            read::is(*n, MD, "EntityDescriptor") && child(*n, MD, "SPSSODescriptor").is_some()
        });
        match (sps.next(), sps.next()) {
            (Some(one), None) => one,
            _ => {
                return Err(SamlError::Refused(
                    "the metadata must describe exactly one service provider".into(),
                ));
            }
        }
    } else {
        return Err(SamlError::Refused(
            "not SAML metadata (no md:EntityDescriptor)".into(),
        ));
    };
    let entity_id = entity
        .attribute("entityID")
        .filter(|e| !e.is_empty() && e.len() <= 1024)
        .ok_or_else(|| SamlError::Refused("the EntityDescriptor has no entityID".into()))?
        .to_owned();
    let sp = child(entity, MD, "SPSSODescriptor")
        .ok_or_else(|| SamlError::Refused("the metadata has no SPSSODescriptor".into()))?;
    let mut consumer_services = Vec::new();
    for acs in children(sp, MD, "AssertionConsumerService") {
        let location = acs.attribute("Location").unwrap_or("");
        let url = url::Url::parse(location).map_err(|_| {
            SamlError::Refused(format!("the ACS location {location:?} is not a URL"))
        })?;
        if !matches!(url.scheme(), "https" | "http") || url.fragment().is_some() {
            return Err(SamlError::Refused(format!(
                "the ACS location {location:?} is not an http(s) URL"
            )));
        }
        let index = acs
            .attribute("index")
            .unwrap_or("0")
            .parse()
            .map_err(|_| SamlError::Refused("an ACS index is not a number".into()))?;
        consumer_services.push(ConsumerService {
            binding: acs.attribute("Binding").unwrap_or("").to_owned(),
            location: location.to_owned(),
            index,
            is_default: flag(acs, "isDefault")?,
        });
    }
    if !consumer_services.iter().any(|s| s.binding == BINDING_POST) {
        return Err(SamlError::Refused(
            "the SP has no HTTP-POST assertion consumer service".into(),
        ));
    }
    let certificates_for = |purpose: &str| -> Vec<String> {
        children(sp, MD, "KeyDescriptor")
            .filter(|k| k.attribute("use").is_none_or(|u| u == purpose))
            .flat_map(|k| {
                k.descendants()
                    .filter(|n| read::is(*n, DS, "X509Certificate"))
            })
            .map(|c| read::text(c).split_whitespace().collect::<String>())
            .filter(|c| STANDARD.decode(c).is_ok())
            .collect()
    };
    let name_id_formats = children(sp, MD, "NameIDFormat").map(read::text).collect();
    let logout_services = children(sp, MD, "SingleLogoutService")
        .filter_map(|s| {
            let location = s.attribute("Location")?;
            url::Url::parse(location).ok()?;
            Some(LogoutService {
                binding: s.attribute("Binding").unwrap_or("").to_owned(),
                location: location.to_owned(),
                response_location: s.attribute("ResponseLocation").map(str::to_owned),
            })
        })
        .collect();
    Ok(SpMetadata {
        entity_id,
        consumer_services,
        signing_certificates: certificates_for("signing"),
        encryption_certificates: certificates_for("encryption"),
        authn_requests_signed: flag(sp, "AuthnRequestsSigned")?,
        name_id_formats,
        logout_services,
        signing_methods: [entity, sp]
            .into_iter()
            .filter_map(|n| child(n, MD, "Extensions"))
            .flat_map(|e| children(e, ALG, "SigningMethod"))
            .filter_map(|m| m.attribute("Algorithm").map(str::to_owned))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_written_by_hand_reads_back_the_same() {
        let sp = SpMetadata {
            entity_id: "https://sp.example/metadata".into(),
            consumer_services: vec![ConsumerService {
                binding: BINDING_POST.into(),
                location: "https://sp.example/acs?x=1&y=2".into(),
                index: 3,
                is_default: true,
            }],
            signing_certificates: vec!["QUJD".into()],
            encryption_certificates: vec!["REVG".into()],
            authn_requests_signed: true,
            name_id_formats: vec![name_id::EMAIL.into()],
            logout_services: vec![LogoutService {
                binding: BINDING_REDIRECT.into(),
                location: "https://sp.example/slo".into(),
                response_location: None,
            }],
            signing_methods: vec![crate::dsig::ECDSA_SHA256.into()],
        };
        assert_eq!(parse_sp_metadata(&sp.to_xml()).expect("read back"), sp);
        assert!(sp.accepts_ecdsa());
    }
}
