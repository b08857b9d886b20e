//! Decrypting an `EncryptedAssertion` an identity provider encrypted to Sigil (XML Encryption
//! 1.0/1.1): the content key wrapped with RSA-OAEP (`rsa-oaep-mgf1p`, or XML Encryption 1.1
//! `rsa-oaep` with SHA-1 or SHA-256) to Sigil's key, carried in the `EncryptedData`'s
//! `KeyInfo`; the content AES-GCM or AES-CBC (128 or 256 bits). RSA PKCS#1 v1.5 key transport
//! (open to Bleichenbacher's attack) and Triple DES are refused. What comes out is a new
//! document, read under the same limits and checks as the response it came in.

use aws_lc_rs::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{
    AES_128, AES_256, DecryptionContext, PaddedBlockDecryptingKey, UnboundCipherKey,
};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm, OaepPrivateDecryptingKey,
    PrivateDecryptingKey,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use roxmltree::Node;

use crate::SamlError;
use crate::dsig::{DS, SHA256};
use crate::encrypt::{AES256_GCM, RSA_OAEP_MGF1P, XENC};
use crate::read::{self, child};

/// AES-128 in GCM mode.
const AES128_GCM: &str = "http://www.w3.org/2009/xmlenc11#aes128-gcm";
/// AES-128 in CBC mode.
const AES128_CBC: &str = "http://www.w3.org/2001/04/xmlenc#aes128-cbc";
/// AES-256 in CBC mode.
const AES256_CBC: &str = "http://www.w3.org/2001/04/xmlenc#aes256-cbc";
/// RSA-OAEP (XML Encryption 1.1).
const RSA_OAEP: &str = "http://www.w3.org/2009/xmlenc11#rsa-oaep";
/// MGF1 with SHA-256 (XML Encryption 1.1).
const MGF1_SHA256: &str = "http://www.w3.org/2009/xmlenc11#mgf1sha256";

fn refused(why: impl Into<String>) -> SamlError {
    SamlError::Refused(why.into())
}

fn algorithm<'a>(node: Node<'a, '_>) -> Option<&'a str> {
    child(node, XENC, "EncryptionMethod").and_then(|m| m.attribute("Algorithm"))
}

fn cipher_value(node: Node<'_, '_>) -> Result<Vec<u8>, SamlError> {
    let value = child(node, XENC, "CipherData")
        .and_then(|d| child(d, XENC, "CipherValue"))
        .ok_or_else(|| refused("encrypted data without a CipherValue"))?;
    let compact: String = read::text(value).split_whitespace().collect();
    STANDARD
        .decode(compact)
        .map_err(|_| refused("a CipherValue is not base64"))
}

/// The OAEP parameters an `EncryptedKey`'s method names.
fn oaep(encrypted_key: Node<'_, '_>) -> Result<&'static OaepAlgorithm, SamlError> {
    let method = child(encrypted_key, XENC, "EncryptionMethod")
        .ok_or_else(|| refused("an EncryptedKey names no method"))?;
    let digest = child(method, DS, "DigestMethod").and_then(|d| d.attribute("Algorithm"));
    let mgf = method
        .children()
        .find(|n| n.tag_name().name() == "MGF")
        .and_then(|m| m.attribute("Algorithm"));
    match (method.attribute("Algorithm"), digest, mgf) {
        (Some(RSA_OAEP_MGF1P), None | Some(crate::verify::SHA1), None) => Ok(&OAEP_SHA1_MGF1SHA1),
        (Some(RSA_OAEP), None | Some(crate::verify::SHA1), None) => Ok(&OAEP_SHA1_MGF1SHA1),
        (Some(RSA_OAEP), Some(SHA256), Some(MGF1_SHA256)) => Ok(&OAEP_SHA256_MGF1SHA256),
        (other, ..) => Err(refused(format!(
            "the key transport {} is not accepted",
            other.unwrap_or("(none)")
        ))),
    }
}

/// The XML an `EncryptedAssertion` (`encrypted`) holds, decrypted with `key`.
pub fn decrypt_assertion(
    encrypted: Node<'_, '_>,
    key: &PrivateDecryptingKey,
) -> Result<String, SamlError> {
    let data = child(encrypted, XENC, "EncryptedData")
        .ok_or_else(|| refused("an EncryptedAssertion without EncryptedData"))?;
    let encrypted_key = child(data, DS, "KeyInfo")
        .and_then(|k| child(k, XENC, "EncryptedKey"))
        .or_else(|| child(encrypted, XENC, "EncryptedKey"))
        .ok_or_else(|| refused("no EncryptedKey for the assertion"))?;
    let wrapped = cipher_value(encrypted_key)?;
    let oaep_key = OaepPrivateDecryptingKey::new(key.clone())
        .map_err(|_| refused("Sigil's key cannot decrypt"))?;
    let mut unwrapped = vec![0u8; oaep_key.min_output_size()];
    let content_key = oaep_key
        .decrypt(oaep(encrypted_key)?, &wrapped, &mut unwrapped, None)
        .map_err(|_| refused("the assertion's key does not decrypt with Sigil's key"))?;
    let sealed = cipher_value(data)?;
    let plain = match algorithm(data) {
        Some(AES128_GCM) => open_gcm(&AES_128_GCM, content_key, sealed)?,
        Some(AES256_GCM) => open_gcm(&AES_256_GCM, content_key, sealed)?,
        Some(AES128_CBC) => open_cbc(&AES_128, content_key, sealed)?,
        Some(AES256_CBC) => open_cbc(&AES_256, content_key, sealed)?,
        other => {
            return Err(refused(format!(
                "the content encryption {} is not accepted",
                other.unwrap_or("(none)")
            )));
        }
    };
    String::from_utf8(plain).map_err(|_| refused("the decrypted assertion is not UTF-8"))
}

fn open_gcm(
    algorithm: &'static aws_lc_rs::aead::Algorithm,
    key: &[u8],
    sealed: Vec<u8>,
) -> Result<Vec<u8>, SamlError> {
    let bad = || refused("the assertion does not decrypt (AES-GCM)");
    if sealed.len() < 12 + 16 {
        return Err(bad());
    }
    let (iv, rest) = sealed.split_at(12);
    let aead = LessSafeKey::new(UnboundKey::new(algorithm, key).map_err(|_| bad())?);
    let mut in_out = rest.to_vec();
    let nonce = Nonce::try_assume_unique_for_key(iv).map_err(|_| bad())?;
    let plain = aead
        .open_in_place(nonce, Aad::empty(), &mut in_out)
        .map_err(|_| bad())?;
    Ok(plain.to_vec())
}

fn open_cbc(
    algorithm: &'static aws_lc_rs::cipher::Algorithm,
    key: &[u8],
    sealed: Vec<u8>,
) -> Result<Vec<u8>, SamlError> {
    let bad = || refused("the assertion does not decrypt (AES-CBC)");
    if sealed.len() < 32 || !sealed.len().is_multiple_of(16) {
        return Err(bad());
    }
    let (iv, rest) = sealed.split_at(16);
    let iv: [u8; 16] = iv.try_into().map_err(|_| bad())?;
    let cipher = PaddedBlockDecryptingKey::cbc_iso10126(
        UnboundCipherKey::new(algorithm, key).map_err(|_| bad())?,
    )
    .map_err(|_| bad())?;
    let mut in_out = rest.to_vec();
    let plain = cipher
        .decrypt(&mut in_out, DecryptionContext::Iv128(FixedLength::from(iv)))
        .map_err(|_| bad())?;
    Ok(plain.to_vec())
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::encoding::AsDer as _;
    use aws_lc_rs::rsa::KeySize;

    use super::*;
    use crate::SAML;
    use crate::xml::Element;

    #[test]
    fn what_sigil_encrypts_decrypts_and_a_stranger_cannot() {
        let private = PrivateDecryptingKey::generate(KeySize::Rsa2048).expect("key");
        let pkcs8 = private.as_der().expect("der");
        let pair = rcgen::KeyPair::try_from(pkcs8.as_ref()).expect("rcgen key");
        let cert = rcgen::CertificateParams::new(vec!["sigil".to_owned()])
            .expect("params")
            .self_signed(&pair)
            .expect("certificate");
        let assertion = Element::new("saml:Assertion")
            .ns("saml", SAML)
            .attr("ID", "_a")
            .text("ann");
        let encrypted = Element::new("saml:EncryptedAssertion")
            .ns("saml", SAML)
            .child(
                crate::encrypt::encrypt_element(&assertion, &STANDARD.encode(cert.der()))
                    .expect("encrypted"),
            );
        let xml = encrypted.to_canonical();
        let doc = read::parse(&xml).expect("parsed");
        assert_eq!(
            decrypt_assertion(doc.root_element(), &private).expect("decrypted"),
            assertion.to_canonical()
        );
        let stranger = PrivateDecryptingKey::generate(KeySize::Rsa2048).expect("key");
        assert!(decrypt_assertion(doc.root_element(), &stranger).is_err());
        let pkcs1 = xml.replace(RSA_OAEP_MGF1P, "http://www.w3.org/2001/04/xmlenc#rsa-1_5");
        let doc = read::parse(&pkcs1).expect("parsed");
        assert!(
            matches!(decrypt_assertion(doc.root_element(), &private), Err(SamlError::Refused(why)) if why.contains("not accepted"))
        );
    }
}
