//! Issuer keys vouched for by X.509 certificates (SD-JWT VC §3.5): a credential (or status
//! list token) whose header carries `x5c` is trusted when that chain leads to one of the
//! verifier's trust anchors, is valid now, and its leaf names the issuer (`iss`: a DNS name or
//! IP address of its host, or the whole URI, among the subject alternative names). Path
//! validation is rustls-webpki's; the leaf's key is read with x509-parser.
//!
//! A leaf with an extended key usage extension must allow document signing (RFC 9336); a
//! leaf without one may sign anything.

use std::time::Duration;

use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use serde_json::json;
use sigil_core::{b64_decode, b64url_encode};
use sigil_keys::{DecodedJws, PublicKey};
use webpki::{EndEntityCert, KeyUsage, anchor_from_trusted_cert};
use x509_parser::prelude::{FromDer, GeneralName, ParsedExtension, X509Certificate};
use x509_parser::public_key::PublicKey as SpkiKey;

/// `id-kp-documentSigning` (1.3.6.1.5.5.7.3.36), the DER content of the OID.
const DOCUMENT_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x24];

/// Trust anchors (DER) from certificates given as PEM (one or more blocks) or base64 DER.
pub fn parse_anchors(texts: &[String]) -> Result<Vec<Vec<u8>>, String> {
    let mut anchors = Vec::new();
    for text in texts {
        let text = text.trim();
        if text.starts_with("-----BEGIN") {
            for pem in x509_parser::pem::Pem::iter_from_buffer(text.as_bytes()) {
                let pem = pem.map_err(|_| "a trust anchor's PEM is malformed")?;
                anchors.push(pem.contents);
            }
        } else {
            anchors.push(b64_decode(text).ok_or("a trust anchor is neither PEM nor base64 DER")?);
        }
    }
    for der in &anchors {
        X509Certificate::from_der(der).map_err(|_| "a trust anchor is not a certificate")?;
        anchor_from_trusted_cert(&CertificateDer::from(der.as_slice()))
            .map_err(|_| "a trust anchor cannot anchor a chain")?;
    }
    Ok(anchors)
}

/// The key identifiers a chain's certificates name as their issuer's (the `KeyIdentifier` of
/// each Authority Key Identifier extension, base64url): what a DCQL `aki` trusted authority
/// is matched against (OpenID4VP 1.0 §6.1.1.1).
pub fn authority_key_ids(x5c: &[String]) -> Vec<String> {
    x5c.iter()
        .filter_map(|c| b64_decode(c))
        .filter_map(|der| {
            let (_, cert) = X509Certificate::from_der(&der).ok()?;
            cert.extensions()
                .iter()
                .find_map(|ext| match ext.parsed_extension() {
                    ParsedExtension::AuthorityKeyIdentifier(aki) => {
                        aki.key_identifier.as_ref().map(|k| b64url_encode(k.0))
                    }
                    _ => None,
                })
        })
        .collect()
}

/// The key identifier (Subject Key Identifier, base64url) of a trust anchor: what the
/// certificates it issues name in their Authority Key Identifier.
pub fn subject_key_id(der: &[u8]) -> Option<String> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    cert.extensions()
        .iter()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(ski) => Some(b64url_encode(ski.0)),
            _ => None,
        })
}

/// An issuer CA an operator brings: its certificate (DER), the certificates above it up to,
/// but not including, the root (DER, to follow the leaf in `x5c`), and its P-256 key
/// (PKCS#8 DER).
#[derive(Debug, Clone)]
pub struct ImportedCa {
    /// The CA's certificate.
    pub certificate: Vec<u8>,
    /// Intermediates above it, nearest first.
    pub chain: Vec<Vec<u8>>,
    /// Its private key, PKCS#8.
    pub pkcs8: Vec<u8>,
}

/// Reads an issuer CA from PEM: `certificates` (the CA first, then any intermediates above
/// it) and `key` (its PKCS#8 `PRIVATE KEY`). The CA must be a CA certificate valid at `now`
/// (allowed to sign certificates, when it says what it may do), its key P-256 and the
/// certificate's own.
pub fn read_imported_ca(certificates: &str, key: &str, now: i64) -> Result<ImportedCa, String> {
    let mut ders = Vec::new();
    for pem in x509_parser::pem::Pem::iter_from_buffer(certificates.as_bytes()) {
        let pem = pem.map_err(|_| "the certificate file is not PEM")?;
        if pem.label == "CERTIFICATE" {
            ders.push(pem.contents);
        }
    }
    let (certificate, chain) = ders
        .split_first()
        .ok_or("the certificate file holds no CERTIFICATE")?;
    let (_, cert) =
        X509Certificate::from_der(certificate).map_err(|_| "the CA certificate is malformed")?;
    if !cert.is_ca() {
        return Err("the certificate is not a CA certificate (basicConstraints cA)".into());
    }
    if cert
        .key_usage()
        .ok()
        .flatten()
        .is_some_and(|ku| !ku.value.key_cert_sign())
    {
        return Err("the CA certificate may not sign certificates (keyUsage)".into());
    }
    let validity = cert.validity();
    if now < validity.not_before.timestamp() || now >= validity.not_after.timestamp() {
        return Err("the CA certificate is not valid now".into());
    }
    let pkcs8 = x509_parser::pem::Pem::iter_from_buffer(key.as_bytes())
        .filter_map(Result::ok)
        .find(|pem| pem.label == "PRIVATE KEY")
        .ok_or("the key file holds no PKCS#8 PRIVATE KEY")?
        .contents;
    let signer = sigil_keys::SigningKey::from_pkcs8(sigil_core::model::SigningAlg::ES256, &pkcs8)
        .map_err(|_| "the key is not a P-256 PKCS#8 key")?;
    if signer.public_key() != &certificate_key(&cert)? {
        return Err("the key is not the CA certificate's".into());
    }
    for der in chain {
        X509Certificate::from_der(der).map_err(|_| "an intermediate certificate is malformed")?;
    }
    Ok(ImportedCa {
        certificate: certificate.clone(),
        chain: chain.to_vec(),
        pkcs8,
    })
}

/// The public key of a certificate (P-256 or RSA).
pub fn certificate_key(cert: &X509Certificate<'_>) -> Result<PublicKey, String> {
    let jwk = match cert.public_key().parsed() {
        Ok(SpkiKey::EC(point)) => {
            let point = point.data();
            if point.len() != 65 || point[0] != 4 {
                return Err("the certificate's key is not a P-256 key".into());
            }
            json!({"kty": "EC", "crv": "P-256", "x": b64url_encode(&point[1..33]),
                   "y": b64url_encode(&point[33..])})
        }
        Ok(SpkiKey::RSA(rsa)) => json!({"kty": "RSA", "n": b64url_encode(rsa.modulus),
                                          "e": b64url_encode(rsa.exponent)}),
        _ => return Err("the certificate's key is neither P-256 nor RSA".into()),
    };
    let jwk = jwk.as_object().ok_or("a key")?;
    PublicKey::from_jwk(jwk).map_err(|e| format!("the certificate's key is unusable: {e}"))
}

/// The key of the leaf of `x5c` (base64 DER, leaf first), once the chain is checked against
/// `anchors` at time `now` and the leaf found to name `iss`.
pub fn certified_key(
    x5c: &[String],
    anchors: &[Vec<u8>],
    iss: &str,
    now: i64,
) -> Result<PublicKey, String> {
    checked_chain(x5c, anchors, now, |end_entity, cert| {
        if names_issuer(end_entity, cert, iss) {
            Ok(())
        } else {
            Err(format!("the issuer's certificate does not name {iss}"))
        }
    })
}

/// Verifies a JWS whose signer is known by its CA alone (a wallet provider's key and wallet
/// attestations): its `x5c` chain checked against `anchors` at time `now`, whatever the leaf
/// names, then its signature with the leaf's key; that key. A self-signed leaf is refused:
/// the anchor signs, never the key itself. An error reads after the JWS's name ("the key
/// attestation …").
pub fn verify_anchored(
    jws: &DecodedJws,
    anchors: &[Vec<u8>],
    now: i64,
) -> Result<PublicKey, String> {
    let x5c = jws
        .header
        .x5c
        .as_deref()
        .ok_or("names its signer by no certificate chain (x5c)")?;
    let signer = checked_chain(x5c, anchors, now, |_, cert| {
        if cert.subject() == cert.issuer() {
            Err("the signing certificate is self-signed".into())
        } else {
            Ok(())
        }
    })
    .map_err(|e| format!("has a signer that is not trusted: {e}"))?;
    if !signer.supports(jws.alg) {
        return Err("has an alg that does not fit its signer's key".into());
    }
    jws.verify(&signer)
        .map_err(|_| "has a signature that does not verify")?;
    Ok(signer)
}

/// Checks the chain `x5c` against `anchors` at `now` (a leaf with an extended key usage must
/// allow document signing), then the leaf with `leaf_ok`; the leaf's key.
fn checked_chain(
    x5c: &[String],
    anchors: &[Vec<u8>],
    now: i64,
    leaf_ok: impl FnOnce(&EndEntityCert<'_>, &X509Certificate<'_>) -> Result<(), String>,
) -> Result<PublicKey, String> {
    let ders = x5c
        .iter()
        .map(|c| b64_decode(c).ok_or("an x5c certificate is not base64"))
        .collect::<Result<Vec<_>, _>>()?;
    let (leaf, intermediates) = ders.split_first().ok_or("x5c is empty")?;
    let anchor_ders: Vec<CertificateDer<'_>> = anchors
        .iter()
        .map(|a| CertificateDer::from(a.as_slice()))
        .collect();
    let trust_anchors = anchor_ders
        .iter()
        .map(anchor_from_trusted_cert)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| "a trust anchor cannot anchor a chain")?;
    let intermediates: Vec<CertificateDer<'_>> = intermediates
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    let leaf_der = CertificateDer::from(leaf.as_slice());
    let end_entity =
        EndEntityCert::try_from(&leaf_der).map_err(|_| "the x5c leaf is not a certificate")?;
    let time = UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(now).unwrap_or(0)));
    end_entity
        .verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &trust_anchors,
            &intermediates,
            time,
            KeyUsage::required_if_present(DOCUMENT_SIGNING),
            None,
            None,
        )
        .map_err(|e| format!("the certificate chain is not trusted: {e}"))?;
    let (_, cert) = X509Certificate::from_der(leaf).map_err(|_| "the x5c leaf is malformed")?;
    leaf_ok(&end_entity, &cert)?;
    certificate_key(&cert)
}

/// Whether the leaf names `iss`: its URI among the alternative names, or its host (for a
/// `did:web`, the host its document is served from) as a DNS name or IP address.
fn names_issuer(end_entity: &EndEntityCert<'_>, cert: &X509Certificate<'_>, iss: &str) -> bool {
    let uri_named = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .is_some_and(|san| {
            san.value
                .general_names
                .iter()
                .any(|n| matches!(n, GeneralName::URI(u) if u.trim_end_matches('/') == iss.trim_end_matches('/')))
        });
    let url = crate::did::did_web_document_url(iss, false).unwrap_or_else(|_| iss.to_owned());
    let host = url::Url::parse(&url)
        .ok()
        .filter(|u| matches!(u.scheme(), "https" | "http"))
        .and_then(|u| u.host_str().map(|h| h.trim_matches(['[', ']']).to_owned()));
    let host_named = host
        .and_then(|h| ServerName::try_from(h).ok())
        .is_some_and(|name| end_entity.verify_is_valid_for_subject_name(&name).is_ok());
    uri_named || host_named
}

#[cfg(test)]
mod tests {
    use super::*;
    use sigil_core::model::SigningAlg;
    use sigil_keys::SigningKey;
    use sigil_keys::x509::{ca_certificate, certificate_pem, issued_certificate};

    const NOW: i64 = 1_800_000_000;

    fn key() -> SigningKey {
        SigningKey::generate(SigningAlg::ES256).expect("key").0
    }

    /// A CA, and a leaf it issued for `names`: (CA DER, leaf key, leaf DER).
    fn chain(names: &[&str]) -> (Vec<u8>, SigningKey, Vec<u8>) {
        let ca_key = key();
        let ca =
            ca_certificate(&ca_key, "Test issuer CA", sigil_core::UnixTime(NOW), 3650).expect("CA");
        let leaf_key = key();
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let leaf = issued_certificate(
            &leaf_key,
            ("Test issuer", sigil_keys::x509::LeafUse::DocumentSigning),
            &names,
            (&ca_key, &ca),
            sigil_core::UnixTime(NOW),
            365,
        )
        .expect("leaf");
        (ca, leaf_key, leaf)
    }

    fn x5c(certs: &[&[u8]]) -> Vec<String> {
        certs.iter().map(sigil_core::b64_encode).collect()
    }

    #[test]
    fn trusted_authorities_match_the_chains_authority_key_identifier() {
        let (ca, _, leaf) = chain(&["https://issuer.example"]);
        let ski = subject_key_id(&ca).expect("the CA names its key");
        assert_eq!(
            authority_key_ids(&x5c(&[&leaf])),
            std::slice::from_ref(&ski)
        );
        let query = |authorities: serde_json::Value| {
            let q = json!({"credentials": [{"id": "c", "format": "dc+sd-jwt",
                "meta": {"vct_values": ["x"]}, "trusted_authorities": authorities}]});
            crate::dcql::DcqlQuery::parse(&q).map(|mut q| q.credentials.remove(0))
        };
        let by_ca = query(json!([{"type": "aki", "values": [ski]}])).expect("a query");
        assert!(by_ca.trusts_chain(Some(&x5c(&[&leaf]))));
        let (_, _, stranger) = chain(&["https://issuer.example"]);
        assert!(!by_ca.trusts_chain(Some(&x5c(&[&stranger]))));
        assert!(!by_ca.trusts_chain(None), "no chain, no authority");
        let other_type = query(json!([{"type": "etsi_tl", "values": ["https://tl.example"]}]));
        assert!(other_type.expect("a query").trusts_chain(None));
        for bad in [
            json!([]),
            json!([{"type": "aki", "values": []}]),
            json!([{"type": "aki", "values": [""]}]),
        ] {
            assert!(query(bad.clone()).is_err(), "{bad}");
        }

        // A verifier that trusts by anchors alone asks by their key identifiers.
        let mut verifier = crate::verifier::VerifierConfig::employee_check(
            "https://issuer.example",
            "https://issuer.example",
        );
        assert!(
            verifier.request_query().credentials[0]
                .trusted_authorities
                .is_none()
        );
        verifier.accepted_issuers.clear();
        verifier.trust_anchors = vec![sigil_core::b64_encode(&ca)];
        let asked = verifier.request_query();
        assert_eq!(
            serde_json::to_value(&asked.credentials[0].trusted_authorities).expect("JSON"),
            json!([{"type": "aki", "values": [subject_key_id(&ca)]}])
        );
    }

    #[test]
    fn a_chain_to_an_anchor_naming_the_issuer_vouches_for_the_leaf_key() {
        let (ca, leaf_key, leaf) = chain(&["https://issuer.example", "issuer.example"]);
        let anchors = parse_anchors(&[certificate_pem(&ca)]).expect("PEM anchor");
        let key = certified_key(&x5c(&[&leaf]), &anchors, "https://issuer.example", NOW)
            .expect("trusted");
        assert_eq!(&key, leaf_key.public_key());
        // By DNS name alone, and with the anchor given as base64 DER.
        let b64 = parse_anchors(&[sigil_core::b64_encode(&ca)]).expect("DER anchor");
        assert!(certified_key(&x5c(&[&leaf]), &b64, "https://issuer.example/tenant", NOW).is_ok());
        // A did:web issuer is named by the host its document is served from.
        assert!(certified_key(&x5c(&[&leaf]), &b64, "did:web:issuer.example:t:a", NOW).is_ok());
        assert!(certified_key(&x5c(&[&leaf]), &b64, "did:web:other.example", NOW).is_err());
    }

    #[test]
    fn untrusted_misnamed_or_expired_chains_are_refused() {
        let (ca, _, leaf) = chain(&["https://issuer.example"]);
        let (other_ca, _, _) = chain(&["https://issuer.example"]);
        let anchors = parse_anchors(&[certificate_pem(&ca)]).expect("anchor");
        let others = parse_anchors(&[certificate_pem(&other_ca)]).expect("anchor");
        let chain = x5c(&[&leaf]);
        assert!(certified_key(&chain, &others, "https://issuer.example", NOW).is_err());
        assert!(certified_key(&chain, &anchors, "https://evil.example", NOW).is_err());
        assert!(
            certified_key(
                &chain,
                &anchors,
                "https://issuer.example",
                NOW + 400 * 86400
            )
            .is_err()
        );
        assert!(certified_key(&[], &anchors, "https://issuer.example", NOW).is_err());
        // A CA certificate is no leaf, even one that is itself the anchor.
        assert!(certified_key(&x5c(&[&ca]), &anchors, "https://issuer.example", NOW).is_err());
    }

    #[test]
    fn an_issuer_on_an_ip_address_is_named_by_it() {
        let (ca, _, leaf) = chain(&["127.0.0.1"]);
        let anchors = parse_anchors(&[certificate_pem(&ca)]).expect("anchor");
        assert!(certified_key(&x5c(&[&leaf]), &anchors, "http://127.0.0.1:8080", NOW).is_ok());
        assert!(certified_key(&x5c(&[&leaf]), &anchors, "http://127.0.0.2:8080", NOW).is_err());
    }

    #[test]
    fn anchors_must_be_certificates() {
        assert!(parse_anchors(&["not base64!".into()]).is_err());
        assert!(parse_anchors(&[sigil_core::b64_encode(b"not a certificate")]).is_err());
        let pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(parse_anchors(&[pem.into()]).is_err());
    }
}
