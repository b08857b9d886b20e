//! SAML responses from external identity providers as they arrive at the assertion consumer
//! service: any `SAMLResponse` value must give an assertion or an error, never a panic
//! (canonicalization, signature checks and the reading of encrypted assertions included:
//! seed the corpus with signed responses).
#![no_main]

use std::sync::OnceLock;

use aws_lc_rs::rsa::{KeySize, PrivateDecryptingKey};
use libfuzzer_sys::fuzz_target;
use sigil_saml::consume::{Expected, consume_response};
use sigil_saml::request::decode_post;
use sigil_saml::verify::Trust;

const CERTIFICATE: &str = "MIIBszCCAVmgAwIBAgIUSigilFuzzCertificateOnlyForShapeMAoGCCqGSM49BAMC";

/// One key for the whole run (making one takes a while).
fn decryption_key() -> &'static PrivateDecryptingKey {
    static KEY: OnceLock<PrivateDecryptingKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateDecryptingKey::generate(KeySize::Rsa2048).expect("an RSA key"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let certificates = [CERTIFICATE.to_owned()];
    for allow_legacy in [false, true] {
        let expected = Expected {
            request_id: "_request",
            sp_entity_id: "https://sigil.example/saml/sp/partner/metadata",
            acs_url: "https://sigil.example/saml/sp/partner/acs",
            idp_entity_id: "https://idp.example/metadata",
            trust: Trust { certificates: &certificates, allow_legacy },
            decryption_keys: if allow_legacy { std::slice::from_ref(decryption_key()) } else { &[] },
            now: 1_800_000_000,
        };
        let _ = consume_response(text, &expected);
        if let Ok(decoded) = decode_post(text) {
            let _ = consume_response(&decoded, &expected);
        }
    }
});
