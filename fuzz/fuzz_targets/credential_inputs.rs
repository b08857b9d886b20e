//! What wallets and issuers send a credential issuer and verifier: `authorization_details`,
//! credential and deferred credential request bodies, DPoP proofs, and DIDs with their
//! documents. None may panic; a DPoP proof that passes must name its key's thumbprint.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_oidc::dpop::{DpopCheck, verify_dpop_proof};
use sigil_vc::authorization::parse_authorization_details;
use sigil_vc::did::{did_web_document_url, key_in_document, key_in_identifier};
use sigil_vc::request::{CredentialRequest, deferred_transaction_id};

fuzz_target!(|data: &[u8]| {
    let _ = CredentialRequest::parse(data, 10);
    let _ = deferred_transaction_id(data);
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = parse_authorization_details(text, "https://issuer.example");
    // "DID" NUL "kid" NUL "document", or parts of it.
    let mut parts = text.splitn(3, '\0');
    let (did, kid, doc) = (parts.next().unwrap_or(""), parts.next(), parts.next());
    let _ = key_in_identifier(did, kid);
    let _ = did_web_document_url(did, true);
    if let Some(doc) = doc.and_then(|d| serde_json::from_str(d).ok()) {
        let _ = key_in_document(&doc, did, kid);
    }
    let check = DpopCheck {
        htm: "POST",
        htu: "https://issuer.example/token",
        access_token: kid,
        now: 1_800_000_000,
    };
    if let Ok(proof) = verify_dpop_proof(did, &check) {
        assert!(!proof.jkt.is_empty());
    }
});
