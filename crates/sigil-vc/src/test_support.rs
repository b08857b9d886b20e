//! Helpers for tests of key and wallet attestations, here and (with the `test-support`
//! feature) in other crates: keys, and a wallet provider: a CA, whose PEM an issuer trusts,
//! and an attester key with a certificate the CA issued, which signs attestations with that
//! certificate in `x5c`.

use serde_json::Value;
use sigil_core::model::SigningAlg;
use sigil_keys::x509::{LeafUse, ca_certificate, certificate_pem, issued_certificate};
use sigil_keys::{JwsHeader, SigningKey, sign_with_header};

/// The tests' clock.
pub const NOW: i64 = 1_800_000_000;

/// A new P-256 key.
pub fn key() -> SigningKey {
    SigningKey::generate(SigningAlg::ES256).expect("key").0
}

/// A wallet provider.
pub struct Provider {
    /// Its CA certificate (DER).
    pub ca: Vec<u8>,
    /// The key that signs attestations.
    pub attester: SigningKey,
    /// The attester's chain (its certificate, base64 DER).
    pub x5c: Vec<String>,
}

impl Provider {
    /// A new provider, its certificates valid from just before [`NOW`].
    pub fn new() -> Self {
        Self::valid_from(sigil_core::UnixTime(NOW - 10))
    }

    /// A new provider, its certificates valid from `at`.
    pub fn valid_from(at: sigil_core::UnixTime) -> Self {
        let ca_key = key();
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
    pub fn anchor(&self) -> String {
        certificate_pem(&self.ca)
    }

    /// `claims` signed by the attester as a JWT of type `typ`, its chain in `x5c`.
    pub fn sign(&self, typ: &str, claims: &Value) -> String {
        sign_with_header(&self.attester, &header(typ, Some(self.x5c.clone())), claims)
    }
}

impl Default for Provider {
    fn default() -> Self {
        Self::new()
    }
}

/// An ES256 header of type `typ`, with `x5c` when given.
pub fn header(typ: &str, x5c: Option<Vec<String>>) -> JwsHeader {
    JwsHeader {
        alg: "ES256".into(),
        kid: None,
        typ: Some(typ.into()),
        crit: None,
        jwk: None,
        x5c,
    }
}
