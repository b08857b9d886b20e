//! Helpers the attestation modules' tests share: keys, and a wallet provider (a CA and an
//! attester key with a certificate the CA issued, valid at [`NOW`]).

use serde_json::Value;
use sigil_core::model::SigningAlg;
use sigil_keys::x509::{LeafUse, ca_certificate, certificate_pem, issued_certificate};
use sigil_keys::{JwsHeader, SigningKey, sign_with_header};

/// The tests' clock.
pub(crate) const NOW: i64 = 1_800_000_000;

/// A new P-256 key.
pub(crate) fn key() -> SigningKey {
    SigningKey::generate(SigningAlg::ES256).expect("key").0
}

/// A wallet provider.
pub(crate) struct Provider {
    /// Its CA certificate (DER).
    pub ca: Vec<u8>,
    /// The key that signs attestations.
    pub attester: SigningKey,
    /// The attester's chain (its certificate, base64 DER).
    pub x5c: Vec<String>,
}

impl Provider {
    /// A new provider.
    pub(crate) fn new() -> Self {
        let ca_key = key();
        let at = sigil_core::UnixTime(NOW - 10);
        let ca = ca_certificate(&ca_key, "Wallet provider CA", at, 3650).expect("CA");
        let attester = key();
        let leaf = issued_certificate(
            &attester,
            ("Wallet provider attester", LeafUse::DocumentSigning),
            &[],
            (&ca_key, &ca),
            at,
            365,
        )
        .expect("leaf");
        Provider {
            ca,
            attester,
            x5c: vec![sigil_core::b64_encode(&leaf)],
        }
    }

    /// Its CA as PEM.
    pub(crate) fn anchor(&self) -> String {
        certificate_pem(&self.ca)
    }

    /// `claims` signed by the attester as a JWT of type `typ`, its chain in `x5c`.
    pub(crate) fn sign(&self, typ: &str, claims: &Value) -> String {
        sign_with_header(&self.attester, &header(typ, Some(self.x5c.clone())), claims)
    }
}

/// An ES256 header of type `typ`, with `x5c` when given.
pub(crate) fn header(typ: &str, x5c: Option<Vec<String>>) -> JwsHeader {
    JwsHeader {
        alg: "ES256".into(),
        kid: None,
        typ: Some(typ.into()),
        crit: None,
        jwk: None,
        x5c,
    }
}
