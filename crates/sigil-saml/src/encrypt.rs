//! XML Encryption 1.1 of an element for a service provider that asks for encrypted
//! assertions: a fresh AES-256-GCM key encrypts the element's canonical form (`CipherValue` is
//! the 12-byte IV, the ciphertext and the 16-byte tag), and RSA-OAEP encrypts that key to the
//! SP's encryption certificate. The element Sigil encrypts declares every namespace it uses,
//! so it reads the same once decrypted into the response.
//!
//! The key transport is `rsa-oaep-mgf1p` (OAEP with SHA-1 and MGF1-SHA-1): it is what the
//! deployed SAML stack reads (xmlsec1 1.2, and so pysaml2 and python3-saml, know no
//! XML Encryption 1.1 `rsa-oaep`), and SHA-1 in OAEP padding needs no collision resistance,
//! unlike SHA-1 in a signature.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::rsa::{OAEP_SHA1_MGF1SHA1, OaepPublicEncryptingKey, PublicEncryptingKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use x509_parser::prelude::{FromDer as _, X509Certificate};

use crate::dsig::DS;
use crate::verify::SHA1;
use crate::xml::Element;

/// The XML Encryption namespace.
pub const XENC: &str = "http://www.w3.org/2001/04/xmlenc#";
/// The element-content type of `EncryptedData`.
const TYPE_ELEMENT: &str = "http://www.w3.org/2001/04/xmlenc#Element";
/// AES-256 in GCM mode (XML Encryption 1.1).
pub const AES256_GCM: &str = "http://www.w3.org/2009/xmlenc11#aes256-gcm";
/// RSA-OAEP with MGF1-SHA-1 (XML Encryption 1.0).
pub const RSA_OAEP_MGF1P: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";

/// Why an element could not be encrypted.
#[derive(Debug, thiserror::Error)]
pub enum EncryptError {
    /// The certificate is not an RSA certificate of at least 2048 bits.
    #[error("the SP's encryption certificate is not a usable RSA certificate")]
    Certificate,
    /// The cryptography failed.
    #[error("encryption failed")]
    Crypto,
}

/// The RSA key of a base64 DER certificate, if it has one of 2048 bits or more.
fn rsa_key(certificate: &str) -> Result<OaepPublicEncryptingKey, EncryptError> {
    let der = STANDARD
        .decode(certificate)
        .map_err(|_| EncryptError::Certificate)?;
    let (_, cert) = X509Certificate::from_der(&der).map_err(|_| EncryptError::Certificate)?;
    let key = PublicEncryptingKey::from_der(cert.public_key().raw)
        .map_err(|_| EncryptError::Certificate)?;
    if key.key_size_bits() < 2048 {
        return Err(EncryptError::Certificate);
    }
    OaepPublicEncryptingKey::new(key).map_err(|_| EncryptError::Certificate)
}

/// `element` encrypted to `certificate` (base64 DER): an `xenc:EncryptedData` element.
pub fn encrypt_element(element: &Element, certificate: &str) -> Result<Element, EncryptError> {
    let recipient = rsa_key(certificate)?;
    let mut content_key = [0u8; 32];
    let mut iv = [0u8; 12];
    aws_lc_rs::rand::fill(&mut content_key).map_err(|_| EncryptError::Crypto)?;
    aws_lc_rs::rand::fill(&mut iv).map_err(|_| EncryptError::Crypto)?;
    let aead = LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, &content_key).map_err(|_| EncryptError::Crypto)?,
    );
    let mut sealed = element.to_canonical().into_bytes();
    aead.seal_in_place_append_tag(Nonce::assume_unique_for_key(iv), Aad::empty(), &mut sealed)
        .map_err(|_| EncryptError::Crypto)?;
    let mut cipher_value = iv.to_vec();
    cipher_value.extend_from_slice(&sealed);
    let mut wrapped = vec![0u8; recipient.ciphertext_size()];
    let wrapped = recipient
        .encrypt(&OAEP_SHA1_MGF1SHA1, &content_key, &mut wrapped, None)
        .map_err(|_| EncryptError::Crypto)?;
    let cipher_data = |bytes: &[u8]| {
        Element::new("xenc:CipherData")
            .child(Element::new("xenc:CipherValue").text(STANDARD.encode(bytes)))
    };
    let encrypted_key = Element::new("xenc:EncryptedKey")
        .child(
            Element::new("xenc:EncryptionMethod")
                .attr("Algorithm", RSA_OAEP_MGF1P)
                .child(Element::new("ds:DigestMethod").attr("Algorithm", SHA1)),
        )
        .child(cipher_data(wrapped));
    Ok(Element::new("xenc:EncryptedData")
        .ns("xenc", XENC)
        .attr("Type", TYPE_ELEMENT)
        .child(Element::new("xenc:EncryptionMethod").attr("Algorithm", AES256_GCM))
        .child(Element::new("ds:KeyInfo").ns("ds", DS).child(encrypted_key))
        .child(cipher_data(&cipher_value)))
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::encoding::AsDer as _;
    use aws_lc_rs::rsa::{KeySize, OaepPrivateDecryptingKey, PrivateDecryptingKey};

    use super::*;
    use crate::read::{self, child};

    /// Decrypts what [`encrypt_element`] wrote with the private key, as an SP would.
    fn decrypt(xml: &str, private: PrivateDecryptingKey) -> String {
        let doc = read::parse(xml).expect("parsed");
        let root = doc.root_element();
        let values: Vec<Vec<u8>> = root
            .descendants()
            .filter(|n| read::is(*n, XENC, "CipherValue"))
            .map(|n| STANDARD.decode(read::text(n)).expect("base64"))
            .collect();
        let (wrapped, data) = (&values[0], &values[1]);
        let oaep = OaepPrivateDecryptingKey::new(private).expect("key");
        let mut key = vec![0u8; oaep.min_output_size()];
        let key = oaep
            .decrypt(&OAEP_SHA1_MGF1SHA1, wrapped, &mut key, None)
            .expect("the key unwraps");
        let aead = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).expect("aes"));
        let (iv, sealed) = data.split_at(12);
        let mut sealed = sealed.to_vec();
        let plain = aead
            .open_in_place(
                Nonce::try_assume_unique_for_key(iv).expect("iv"),
                Aad::empty(),
                &mut sealed,
            )
            .expect("the content opens");
        assert!(child(root, XENC, "EncryptionMethod").is_some());
        String::from_utf8(plain.to_vec()).expect("utf-8")
    }

    #[test]
    fn an_element_round_trips_and_only_the_key_holder_reads_it() {
        let private = PrivateDecryptingKey::generate(KeySize::Rsa2048).expect("key");
        let pkcs8 = private.as_der().expect("der");
        let certificate = test_certificate(pkcs8.as_ref());
        let secret = Element::new("saml:Assertion")
            .ns("saml", crate::SAML)
            .attr("ID", "_a")
            .text("alice & co");
        let encrypted = encrypt_element(&secret, &certificate).expect("encrypted");
        let xml = encrypted.to_canonical();
        assert!(!xml.contains("alice"), "{xml}");
        assert!(xml.contains(AES256_GCM) && xml.contains(RSA_OAEP_MGF1P));
        assert_eq!(decrypt(&xml, private), secret.to_canonical());
        let again = encrypt_element(&secret, &certificate)
            .expect("encrypted")
            .to_canonical();
        assert_ne!(again, xml, "a fresh key and IV every time");
        assert!(matches!(
            encrypt_element(&secret, "MIIB"),
            Err(EncryptError::Certificate)
        ));
    }

    /// A self-signed certificate for the RSA key in `pkcs8`.
    fn test_certificate(pkcs8: &[u8]) -> String {
        let pair = rcgen::KeyPair::try_from(pkcs8).expect("rcgen key");
        let cert = rcgen::CertificateParams::new(vec!["sp.example".to_owned()])
            .expect("params")
            .self_signed(&pair)
            .expect("certificate");
        STANDARD.encode(cert.der())
    }
}
