//! SAML AuthnRequests as they arrive: any `SAMLRequest` value, over either binding, must give
//! a request or an error, never a panic, and inflating one stays within its bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_saml::request::{decode_post, decode_redirect, parse_authn_request, verify_redirect_signature};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = parse_authn_request(text);
    for decoded in [decode_redirect(text), decode_post(text)].into_iter().flatten() {
        let _ = parse_authn_request(&decoded);
    }
    let _ = verify_redirect_signature(text, &[]);
});
