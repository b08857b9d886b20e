//! Self-signed X.509 certificates for Sigil's own keys: OpenID4VP verifiers identify
//! themselves to wallets with a certificate (`x5c`), named by its hash (`x509_hash:`) or by a
//! DNS name in it (`x509_san_dns:`); SAML metadata publishes the RSA signing key as one. Built
//! with `rcgen` over the signing key itself, so the certificate and what it vouches for are
//! signed by one key.

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};
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
    if !matches!(key.alg(), SigningAlg::ES256 | SigningAlg::RS256) {
        return Err(KeyError::Invalid(
            "certificates are made for P-256 and RSA keys only",
        ));
    }
    let pkcs8 = key.pkcs8_der()?;
    let pair = KeyPair::try_from(pkcs8.as_slice()).map_err(|_| KeyError::Crypto)?;
    let mut params =
        CertificateParams::new(dns_names.to_vec()).map_err(|_| KeyError::Invalid("a DNS name"))?;
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    params.distinguished_name = name;
    let start = time::OffsetDateTime::from_unix_timestamp(now.0 - 60)
        .map_err(|_| KeyError::Invalid("time out of range"))?;
    params.not_before = start;
    params.not_after = start + time::Duration::days(days);
    let cert = params.self_signed(&pair).map_err(|_| KeyError::Crypto)?;
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
