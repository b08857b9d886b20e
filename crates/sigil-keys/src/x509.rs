//! X.509 certificates for Sigil's own keys, built with `rcgen`. Self-signed ones: SAML
//! metadata publishes the RSA signing key as one. And a small CA: a tenant's CA certificate,
//! and the certificates it issues for the keys that sign credentials (SD-JWT VC `x5c`), which
//! verifiers check against that CA, and for the keys that sign OpenID4VP request objects,
//! which wallets see named by their hash (`x509_hash:`) or a DNS name in them
//! (`x509_san_dns:`); HAIP wants neither self-signed.

use std::net::IpAddr;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use sigil_core::UnixTime;
use sigil_core::model::SigningAlg;

use crate::KeyError;
use crate::signing_key::SigningKey;

/// A DER certificate for `key` (ES256 or RS256), for `common_name`, with `dns_names` as
/// subject alternative names, valid from `now` for `days`.
pub fn self_signed_certificate(
    key: &SigningKey,
    common_name: &str,
    dns_names: &[String],
    now: UnixTime,
    days: i64,
) -> Result<Vec<u8>, KeyError> {
    let pair = key_pair(key)?;
    let mut params = named(common_name, now, days)?;
    params.subject_alt_names = CertificateParams::new(dns_names.to_vec())
        .map_err(|_| KeyError::Invalid("a DNS name"))?
        .subject_alt_names;
    let cert = params.self_signed(&pair).map_err(|_| KeyError::Crypto)?;
    Ok(cert.der().to_vec())
}

/// A DER certificate as PEM text.
pub fn certificate_pem(der: &[u8]) -> String {
    let text = sigil_core::b64_encode(der);
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in text.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

/// `id-kp-documentSigning` (RFC 9336).
const DOCUMENT_SIGNING: [u64; 9] = [1, 3, 6, 1, 5, 5, 7, 3, 36];

fn key_pair(key: &SigningKey) -> Result<KeyPair, KeyError> {
    if !matches!(key.alg(), SigningAlg::ES256 | SigningAlg::RS256) {
        return Err(KeyError::Invalid(
            "certificates are made for P-256 and RSA keys only",
        ));
    }
    let pkcs8 = key.pkcs8_der()?;
    KeyPair::try_from(pkcs8.as_slice()).map_err(|_| KeyError::Crypto)
}

fn named(common_name: &str, now: UnixTime, days: i64) -> Result<CertificateParams, KeyError> {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    params.distinguished_name = name;
    let start = time::OffsetDateTime::from_unix_timestamp(now.0 - 60)
        .map_err(|_| KeyError::Invalid("time out of range"))?;
    params.not_before = start;
    params.not_after = start + time::Duration::days(days);
    Ok(params)
}

/// A self-signed CA certificate for `key`: it signs certificates (of leaves only), nothing
/// else.
pub fn ca_certificate(
    key: &SigningKey,
    common_name: &str,
    now: UnixTime,
    days: i64,
) -> Result<Vec<u8>, KeyError> {
    let pair = key_pair(key)?;
    let mut params = named(common_name, now, days)?;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let cert = params.self_signed(&pair).map_err(|_| KeyError::Crypto)?;
    Ok(cert.der().to_vec())
}

/// What an issued certificate's key signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeafUse {
    /// Credentials and status lists: extended key usage document signing.
    DocumentSigning,
    /// OpenID4VP request objects: digital signatures, no extended key usage (none is
    /// defined for them).
    RequestSigning,
}

/// A certificate for `subject`, for `purpose`, issued by the CA whose key is `ca_key` and
/// certificate `ca_der`, naming `names` (URIs, IP addresses, DNS names).
pub fn issued_certificate(
    subject: &SigningKey,
    (common_name, purpose): (&str, LeafUse),
    names: &[String],
    (ca_key, ca_der): (&SigningKey, &[u8]),
    now: UnixTime,
    days: i64,
) -> Result<Vec<u8>, KeyError> {
    let subject_pair = key_pair(subject)?;
    let issuer = Issuer::from_ca_cert_der(&ca_der.into(), key_pair(ca_key)?)
        .map_err(|_| KeyError::Invalid("the CA certificate"))?;
    let mut params = named(common_name, now, days)?;
    params.subject_alt_names = names
        .iter()
        .map(|n| {
            if n.contains("://") {
                n.as_str().try_into().map(SanType::URI)
            } else if let Ok(ip) = n.parse::<IpAddr>() {
                Ok(SanType::IpAddress(ip))
            } else {
                n.as_str().try_into().map(SanType::DnsName)
            }
        })
        .collect::<Result<_, _>>()
        .map_err(|_| KeyError::Invalid("a subject alternative name"))?;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    if purpose == LeafUse::DocumentSigning {
        params.extended_key_usages =
            vec![ExtendedKeyUsagePurpose::Other(DOCUMENT_SIGNING.to_vec())];
    }
    params.use_authority_key_identifier_extension = true;
    let cert = params
        .signed_by(&subject_pair, &issuer)
        .map_err(|_| KeyError::Crypto)?;
    Ok(cert.der().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_rsa_key_gets_a_certificate_too() {
        let (key, _) = SigningKey::generate(SigningAlg::RS256).expect("key");
        let der = self_signed_certificate(&key, "Sigil SAML", &[], UnixTime(1_800_000_000), 3650)
            .expect("certificate");
        assert_eq!(der[0], 0x30);
        let (ed, _) = SigningKey::generate(SigningAlg::EdDSA).expect("key");
        assert!(self_signed_certificate(&ed, "x", &[], UnixTime(1_800_000_000), 1).is_err());
    }

    #[test]
    fn a_certificate_holds_the_key_and_names() {
        let (key, _) = SigningKey::generate(SigningAlg::ES256).expect("key");
        let names = ["id.example.com".to_owned()];
        let now = UnixTime(1_800_000_000);
        let der =
            self_signed_certificate(&key, "Sigil verifier", &names, now, 365).expect("certificate");
        assert_eq!(der[0], 0x30, "a DER SEQUENCE");
        let point = match key.public_key() {
            crate::PublicKey::P256 { x, .. } => x.to_vec(),
            _ => unreachable!(),
        };
        assert!(
            der.windows(32).any(|w| w == point.as_slice()),
            "the public key is inside"
        );
        assert!(
            der.windows(14).any(|w| w == b"id.example.com"),
            "the DNS name is inside"
        );
        let (ed, _) = SigningKey::generate(SigningAlg::EdDSA).expect("key");
        assert!(self_signed_certificate(&ed, "x", &[], UnixTime(0), 1).is_err());
    }
}
