//! Checking the enveloped XML signature an element of a SAML message carries (XML-DSig 1.1 core
//! validation, narrowed to what the SAML profile allows): one `ds:Signature` as a direct child,
//! exactly one `Reference` whose URI names that same element, the enveloped-signature and
//! exclusive canonicalization transforms only, and a key taken from configuration, never from
//! the message's `KeyInfo`. Because the reference must be the element that holds the
//! signature, a caller that reads only that element reads only signed content.
//!
//! Algorithms: RSA-SHA256 and ECDSA-SHA256 (P-256) over SHA-256 digests, RSA keys of 2048 bits
//! or more. SHA-1 and shorter RSA keys pass only under [`Trust::allow_legacy`], which a
//! partner's configuration must set explicitly.

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use roxmltree::Node;
use x509_parser::prelude::{FromDer as _, X509Certificate};

use crate::SamlError;
use crate::c14n::exclusive;
use crate::dsig::{DS, ECDSA_SHA256, ENVELOPED, EXC_C14N, RSA_SHA256, SHA256};
use crate::read::{self, child, children};

/// RSA with SHA-1 (legacy only).
pub const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
/// SHA-1 (legacy only).
pub const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";

/// The keys a signature must verify with.
#[derive(Debug, Clone, Copy)]
pub struct Trust<'a> {
    /// The signer's certificates (base64 DER), from its metadata.
    pub certificates: &'a [String],
    /// Whether SHA-1 and RSA keys under 2048 bits are accepted (one old partner at a time).
    pub allow_legacy: bool,
}

/// What a verified signature used, for the log when it was a legacy algorithm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The `SignatureMethod`.
    pub signature_method: String,
    /// The `DigestMethod`.
    pub digest_method: String,
}

impl Verified {
    /// Whether SHA-1 was involved.
    pub fn is_legacy(&self) -> bool {
        self.signature_method == RSA_SHA1 || self.digest_method == SHA1
    }
}

fn refused(why: impl Into<String>) -> SamlError {
    SamlError::Refused(why.into())
}

/// The `PrefixList` of an `ec:InclusiveNamespaces` child of `node`.
fn inclusive_prefixes(node: Node<'_, '_>) -> Vec<String> {
    child(node, EXC_C14N, "InclusiveNamespaces")
        .and_then(|n| n.attribute("PrefixList"))
        .map(|list| list.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

fn algorithm<'a>(node: Node<'a, '_>, name: &'a str) -> Result<&'a str, SamlError> {
    child(node, DS, name)
        .and_then(|n| n.attribute("Algorithm"))
        .ok_or_else(|| refused(format!("the signature has no {name}")))
}

/// Verifies the signature `element` carries. `Ok(None)` when it carries none.
pub fn verify_enveloped(
    element: Node<'_, '_>,
    trust: Trust<'_>,
) -> Result<Option<Verified>, SamlError> {
    let mut signatures = children(element, DS, "Signature");
    let Some(signature) = signatures.next() else {
        return Ok(None);
    };
    if signatures.next().is_some() {
        return Err(refused("an element carries more than one signature"));
    }
    let signed_info = signature
        .first_element_child()
        .filter(|n| read::is(*n, DS, "SignedInfo"))
        .ok_or_else(|| refused("the signature does not start with SignedInfo"))?;
    if algorithm(signed_info, "CanonicalizationMethod")? != EXC_C14N {
        return Err(refused(
            "SignedInfo is not canonicalized with exclusive c14n",
        ));
    }
    let signature_method = algorithm(signed_info, "SignatureMethod")?;
    let legacy_ok = trust.allow_legacy;
    if !(signature_method == RSA_SHA256
        || signature_method == ECDSA_SHA256
        || (legacy_ok && signature_method == RSA_SHA1))
    {
        return Err(refused(format!(
            "the signature method {signature_method} is not accepted"
        )));
    }
    let mut references = children(signed_info, DS, "Reference");
    let reference = match (references.next(), references.next()) {
        (Some(one), None) => one,
        _ => return Err(refused("a signature must have exactly one Reference")),
    };
    let id = element
        .attribute("ID")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| refused("a signed element has no ID"))?;
    if reference.attribute("URI") != Some(&format!("#{id}")) {
        return Err(refused(
            "the signature's Reference is not the element that carries it",
        ));
    }
    let transforms: Vec<Node<'_, '_>> = child(reference, DS, "Transforms")
        .map(|t| children(t, DS, "Transform").collect())
        .unwrap_or_default();
    let algorithms: Vec<&str> = transforms
        .iter()
        .filter_map(|t| t.attribute("Algorithm"))
        .collect();
    if algorithms.len() != transforms.len()
        || !(algorithms == [ENVELOPED] || algorithms == [ENVELOPED, EXC_C14N])
    {
        return Err(refused(
            "only the enveloped-signature and exclusive c14n transforms are accepted",
        ));
    }
    let reference_prefixes = transforms
        .get(1)
        .map(|t| inclusive_prefixes(*t))
        .unwrap_or_default();
    let digest_method = algorithm(reference, "DigestMethod")?;
    let digest_algorithm = match digest_method {
        SHA256 => &digest::SHA256,
        SHA1 if legacy_ok => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        other => {
            return Err(refused(format!(
                "the digest method {other} is not accepted"
            )));
        }
    };
    let expected_digest = child(reference, DS, "DigestValue")
        .map(|n| base64_text(n, "DigestValue"))
        .ok_or_else(|| refused("the Reference has no DigestValue"))??;
    let canonical = exclusive(element, Some(signature.id()), &reference_prefixes)?;
    let actual_digest = digest::digest(digest_algorithm, canonical.as_bytes());
    if aws_lc_rs::constant_time::verify_slices_are_equal(actual_digest.as_ref(), &expected_digest)
        .is_err()
    {
        return Err(refused("the signed element was changed (digest mismatch)"));
    }
    let c14n_method = child(signed_info, DS, "CanonicalizationMethod")
        .map(inclusive_prefixes)
        .unwrap_or_default();
    let signed_bytes = exclusive(signed_info, None, &c14n_method)?;
    let signature_value = child(signature, DS, "SignatureValue")
        .map(|n| base64_text(n, "SignatureValue"))
        .ok_or_else(|| refused("the signature has no SignatureValue"))??;
    let verified = trust.certificates.iter().any(|certificate| {
        certificate_verifies(
            certificate,
            signature_method,
            legacy_ok,
            signed_bytes.as_bytes(),
            &signature_value,
        )
    });
    if !verified {
        return Err(refused(
            "the signature does not verify with the partner's certificates",
        ));
    }
    Ok(Some(Verified {
        signature_method: signature_method.to_owned(),
        digest_method: digest_method.to_owned(),
    }))
}

fn base64_text(node: Node<'_, '_>, what: &str) -> Result<Vec<u8>, SamlError> {
    let compact: String = read::text(node).split_whitespace().collect();
    STANDARD
        .decode(compact)
        .map_err(|_| refused(format!("the {what} is not base64")))
}

/// Whether `signature` over `message` verifies, by `method`, with the key of `certificate`
/// (base64 DER); RSA keys under 2048 bits and SHA-1 only when `legacy_ok`.
pub(crate) fn certificate_verifies(
    certificate: &str,
    method: &str,
    legacy_ok: bool,
    message: &[u8],
    signature: &[u8],
) -> bool {
    let Ok(der) = STANDARD.decode(certificate) else {
        return false;
    };
    let Ok((_, cert)) = X509Certificate::from_der(&der) else {
        return false;
    };
    let key = &cert.public_key().subject_public_key.data;
    let algorithm: &dyn VerificationAlgorithm = match (method, legacy_ok) {
        (RSA_SHA256, false) => &signature::RSA_PKCS1_2048_8192_SHA256,
        (RSA_SHA256, true) => &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
        (RSA_SHA1, true) => &signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
        (ECDSA_SHA256, _) => &signature::ECDSA_P256_SHA256_FIXED,
        _ => return false,
    };
    UnparsedPublicKey::new(algorithm, key.as_ref())
        .verify(message, signature)
        .is_ok()
}
