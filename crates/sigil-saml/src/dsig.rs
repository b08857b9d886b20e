//! Enveloped XML signatures (XML-DSig 1.1) over elements Sigil writes: Exclusive C14N 1.0,
//! SHA-256 digests, RSA-SHA256 or ECDSA-SHA256 signatures, the signing certificate in `KeyInfo`. Because
//! [`Element`] serialises canonically, the digest is over exactly what a verifier
//! canonicalises once it has removed the signature (the enveloped-signature transform).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sigil_core::model::SigningAlg;
use sigil_keys::SigningKey;

use crate::xml::Element;

/// The XML-DSig namespace.
pub const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// Exclusive XML Canonicalization 1.0 (without comments).
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// The enveloped-signature transform.
pub const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// RSA PKCS#1 v1.5 with SHA-256.
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
/// SHA-256.
pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";

/// ECDSA (P-256) with SHA-256.
pub const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";

/// Why an element could not be signed.
#[derive(Debug, thiserror::Error)]
#[error("SAML signing needs an RSA or a P-256 key")]
pub struct UnsupportedKey;

/// The XML-DSig signature method of `key`, if SAML can use it.
pub fn signature_method(key: &SigningKey) -> Result<&'static str, UnsupportedKey> {
    match key.alg() {
        SigningAlg::RS256 => Ok(RSA_SHA256),
        SigningAlg::ES256 => Ok(ECDSA_SHA256),
        _ => Err(UnsupportedKey),
    }
}

/// Signs `element` (whose `ID` is `id`) with `key` (RSA-SHA256, or ECDSA-SHA256 whose
/// `SignatureValue` is `r` and `s` side by side, as XML-DSig 1.1 and JWS both want), putting
/// the `ds:Signature` at child position `at` (after the `Issuer`, as the SAML schema orders
/// it).
pub fn sign_enveloped(
    mut element: Element,
    id: &str,
    at: usize,
    key: &SigningKey,
    certificate_der: &[u8],
) -> Result<Element, UnsupportedKey> {
    let method = signature_method(key)?;
    let digest = sigil_core::Digest32::of(element.to_canonical().as_bytes());
    // Declared here for SignedInfo canonicalised on its own; inside the Signature the writer
    // does not repeat the Signature's declaration.
    let signed_info = Element::new("ds:SignedInfo")
        .ns("ds", DS)
        .child(Element::new("ds:CanonicalizationMethod").attr("Algorithm", EXC_C14N))
        .child(Element::new("ds:SignatureMethod").attr("Algorithm", method))
        .child(
            Element::new("ds:Reference")
                .attr("URI", format!("#{id}"))
                .child(
                    Element::new("ds:Transforms")
                        .child(Element::new("ds:Transform").attr("Algorithm", ENVELOPED))
                        .child(Element::new("ds:Transform").attr("Algorithm", EXC_C14N)),
                )
                .child(Element::new("ds:DigestMethod").attr("Algorithm", SHA256))
                .child(Element::new("ds:DigestValue").text(STANDARD.encode(digest.0))),
        );
    let signature_value = key.sign(signed_info.to_canonical().as_bytes());
    let signature =
        Element::new("ds:Signature")
            .ns("ds", DS)
            .child(signed_info)
            .child(Element::new("ds:SignatureValue").text(STANDARD.encode(signature_value)))
            .child(Element::new("ds:KeyInfo").child(
                Element::new("ds:X509Data").child(
                    Element::new("ds:X509Certificate").text(STANDARD.encode(certificate_der)),
                ),
            ));
    element.insert(at, signature);
    Ok(element)
}
