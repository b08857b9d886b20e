//! A wallet provider for tests of key and wallet attestations: a CA (whose PEM an issuer
//! trusts) and an attester key with a certificate the CA issued, which signs attestations
//! with that certificate in `x5c`.

use serde_json::Value;
use sigil_core::UnixTime;
use sigil_core::model::SigningAlg;
use sigil_keys::x509::{LeafUse, ca_certificate, certificate_pem, issued_certificate};
use sigil_keys::{JwsHeader, SigningKey, sign_with_header};

/// A wallet provider.
pub struct WalletProvider {
    /// Its CA certificate, PEM: what an issuer lists as a trust anchor.
    pub ca_pem: String,
    attester: SigningKey,
    x5c: Vec<String>,
}

impl WalletProvider {
    /// A new provider, its certificates valid from a minute ago.
    pub fn new() -> Self {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        let now = UnixTime(since_epoch.as_secs() as i64 - 60);
        let ca_key = new_key();
        let ca = ca_certificate(&ca_key, "Test wallet provider CA", now, 3650).unwrap();
        let attester = new_key();
        let leaf = issued_certificate(
            &attester,
            ("Test wallet provider attester", LeafUse::DocumentSigning),
            &[],
            (&ca_key, &ca),
            now,
            365,
        )
        .unwrap();
        WalletProvider {
            ca_pem: certificate_pem(&ca),
            attester,
            x5c: vec![sigil_core::b64_encode(&leaf)],
        }
    }

    /// `claims` signed by the attester as a JWT of type `typ`, with its chain in `x5c`.
    pub fn sign(&self, typ: &str, claims: &Value) -> String {
        sign_with_header(&self.attester, &header(typ, Some(self.x5c.clone())), claims)
    }
}

impl Default for WalletProvider {
    fn default() -> Self {
        Self::new()
    }
}

/// A new P-256 key.
pub fn new_key() -> SigningKey {
    SigningKey::generate(SigningAlg::ES256).unwrap().0
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
