//! Token request parsing: the form body, client credentials from the `Authorization` header
//! and the body, the grant type, scopes, and the PKCE verifier check.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_core::ScopeSet;
use sigil_core::model::GrantType;
use sigil_oidc::Params;
use sigil_oidc::client_auth::presented_credentials;

fuzz_target!(|data: &[u8]| {
    // First line: an Authorization header value (when not empty); the rest: the form body.
    let (header, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..0], data),
    };
    let header = std::str::from_utf8(header).ok().filter(|h| !h.is_empty());
    let Ok(params) = Params::parse(body) else { return };
    let _ = presented_credentials(header, &params);
    if let Some(grant) = params.get("grant_type") {
        let _ = GrantType::parse(grant);
    }
    if let Some(scope) = params.get("scope") {
        if let Ok(set) = ScopeSet::parse(scope) {
            // Printing and re-parsing a scope set is lossless.
            assert_eq!(ScopeSet::parse(&set.to_string()).ok(), Some(set));
        }
    }
    if let Some(verifier) = params.get("code_verifier") {
        let _ = sigil_oidc::pkce::verify(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }
});
