//! What wallets and issuers send a credential issuer and verifier: `authorization_details`,
//! credential and deferred credential request bodies, DPoP proofs, DIDs with their
//! documents, W3C presentations and credentials (Data Model 1.1 JWT payloads too), Bitstring
//! and Status List 2021 lists with their entries, key attestations and wallet attestations
//! with their proofs. None may panic; a DPoP proof that passes must name its key's
//! thumbprint, and no made-up attestation may pass.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_oidc::dpop::{DpopCheck, verify_dpop_proof};
use sigil_vc::authorization::parse_authorization_details;
use sigil_vc::did::{did_web_document_url, key_in_document, key_in_identifier};
use sigil_vc::encryption::{Envelope, ResponseEncryption};
use sigil_vc::key_attestation::{
    AttestationCheck, KeyAttestationPolicy, key_attestation_header, verify_key_attestation,
};
use sigil_vc::request::{CredentialRequest, DeferredRequest};
use sigil_vc::verifier::PresentationCheck;
use sigil_vc::w3c::presentation::{credential_signer, open_presentation};
use sigil_vc::w3c::status::{Bitstring, BitstringEntry, refuse_unreadable};
use sigil_vc::wallet_attestation::{
    PresentedAttestation, WalletAttestationCheck, verify_wallet_attestation,
};

/// A CA whose key is dropped at once, so no fuzzed chain can lead to it: the anchor that
/// attestations need before anything else is looked at.
fn anchor() -> &'static Vec<u8> {
    static ANCHOR: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    ANCHOR.get_or_init(|| {
        let alg = sigil_core::model::SigningAlg::ES256;
        let (key, _) = sigil_keys::SigningKey::generate(alg).expect("a key");
        let at = sigil_core::UnixTime(1_800_000_000 - 10);
        sigil_keys::x509::ca_certificate(&key, "Fuzz CA", at, 365).expect("a CA")
    })
}

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
    let _ = Bitstring::decode_2021(text);
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        let _ = BitstringEntry::all_in(&value);
        let _ = refuse_unreadable(&value);
        let _ = ResponseEncryption::parse(Some(&value), encrypted);
        if let Some(payload) = value.as_object()
            && let Ok(credential) = sigil_vc::w3c::v1::credential_document(payload)
        {
            let _ = sigil_vc::w3c::v1::check_credential(&credential, 1_800_000_000, 60);
        }
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
    let _ = key_attestation_header(did);
    let policy = KeyAttestationPolicy {
        key_storage: vec!["iso_18045_high".into()],
        user_authentication: Vec::new(),
        trust_anchors: vec![sigil_core::b64_encode(anchor())],
    };
    let attestation = AttestationCheck {
        policy: &policy,
        nonce: kid.unwrap_or("n"),
        now: 1_800_000_000,
        max_age: 300,
        algs: &[sigil_keys::JwsAlg::ES256],
        max_keys: 10,
    };
    assert!(verify_key_attestation(did, &attestation, true).is_err());
    let anchors = [anchor().clone()];
    let wallet = WalletAttestationCheck {
        anchors: &anchors,
        issuer: "https://issuer.example",
        now: 1_800_000_000,
        max_pop_age: 300,
    };
    let presented = PresentedAttestation {
        attestation: did,
        pop: kid.unwrap_or(""),
    };
    assert!(verify_wallet_attestation(presented, &wallet).is_err());
});
