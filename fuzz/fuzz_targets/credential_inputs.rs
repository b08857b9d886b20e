//! What wallets and issuers send a credential issuer and verifier: `authorization_details`,
//! credential and deferred credential request bodies, DPoP proofs, DIDs with their
//! documents, W3C presentations and credentials, and Bitstring Status Lists with their
//! entries. None may panic; a DPoP proof that passes must name its key's thumbprint.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_oidc::dpop::{DpopCheck, verify_dpop_proof};
use sigil_vc::authorization::parse_authorization_details;
use sigil_vc::did::{did_web_document_url, key_in_document, key_in_identifier};
use sigil_vc::encryption::{Envelope, ResponseEncryption};
use sigil_vc::request::{CredentialRequest, DeferredRequest};
use sigil_vc::verifier::PresentationCheck;
use sigil_vc::w3c::presentation::{credential_signer, open_presentation};
use sigil_vc::w3c::status::{Bitstring, BitstringEntry};

fuzz_target!(|data: &[u8]| {
    let encrypted = Envelope {
        encrypted: true,
        required: false,
    };
    let _ = CredentialRequest::parse(data, 10, encrypted);
    let _ = DeferredRequest::parse(data, Envelope::default());
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
    let _ = Bitstring::decode(text);
    if let Ok(value) = serde_json::from_str(text) {
        let _ = BitstringEntry::all_in(&value);
        let _ = ResponseEncryption::parse(Some(&value), encrypted);
    }
    let _ = credential_signer(text);
    let binding = PresentationCheck {
        client_id: "x509_hash:abc",
        nonce: kid.unwrap_or("n"),
        now: 1_800_000_000,
        max_age: 300,
    };
    let query = serde_json::json!({"credentials": [{"id": "b", "format": "jwt_vc_json",
        "meta": {"type_values": [["VerifiableCredential"]]}, "require_cryptographic_holder_binding": false}]});
    if let Ok(query) = sigil_vc::dcql::DcqlQuery::parse(&query) {
        let _ = open_presentation(did, &query.credentials[0], &binding);
    }
});
