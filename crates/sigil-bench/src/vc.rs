//! Verifiable credentials per core: issuing one disclosure-rich SD-JWT VC (the holder's key
//! proof verified, the credential built and signed) and verifying one presentation (issuer
//! signature, disclosures, key binding, the query's claims), beside the ES256 signatures and
//! verifications each needs. The same work as `bench/vc/js-reference.mjs` does with
//! `@sd-jwt/*`. Single thread, Sigil's own code paths, no HTTP or storage. The same for a
//! W3C credential (`vc+jwt`, the same ten claims shown whole, two Bitstring Status List
//! entries) and its VP JWT presentation, which have no JavaScript reference here.

use serde_json::{Value, json};
use sigil_core::model::SigningAlg;
use sigil_keys::{DecodedJws, SigningKey};
use sigil_vc::dcql::DcqlQuery;
use sigil_vc::holder::{key_proof, present};
use sigil_vc::proof::{ProofCheck, verify_jwt_proof};
use sigil_vc::sd_jwt_vc::{Contents, StatusEntry, issue_sd_jwt_vc};
use sigil_vc::types::{ClaimSource, ClaimSpec, CredentialFormat, CredentialType};
use sigil_vc::verifier::{PresentationCheck, verify_sd_jwt_vc};
use sigil_vc::w3c::presentation::{open_presentation, present_vc_jwt, verify_vc_jwt};
use sigil_vc::w3c::status::{BitstringEntry, StatusPurpose};
use sigil_vc::w3c::{W3cContents, issue_vc_jwt};

use crate::crypto::per_second;

const ISSUER: &str = "https://issuer.example.test";
const AUDIENCE: &str = "x509_hash:bench";
const NONCE: &str = "bench-nonce";
const NOW: i64 = 1_800_000_000;

/// The ten selectively disclosable claims of the benchmark credential.
const CLAIMS: [(&str, ClaimSource); 10] = [
    ("name", ClaimSource::Name),
    ("email", ClaimSource::Email),
    ("groups", ClaimSource::Groups),
    ("given_name", ClaimSource::Username),
    ("family_name", ClaimSource::Username),
    ("department", ClaimSource::Username),
    ("title", ClaimSource::Username),
    ("employee_number", ClaimSource::Subject),
    ("phone", ClaimSource::Subject),
    ("locale", ClaimSource::Subject),
];

fn credential_type() -> CredentialType {
    let mut ty = CredentialType::employee(ISSUER);
    ty.claims = CLAIMS
        .iter()
        .map(|(name, source)| ClaimSpec {
            name: (*name).to_owned(),
            source: source.clone(),
            disclosable: true,
            display: Vec::new(),
        })
        .collect();
    ty
}

fn values() -> serde_json::Map<String, Value> {
    let v = json!({
        "name": "Alice Example", "email": "alice@example.com",
        "groups": ["staff", "engineering", "on-call"], "given_name": "Alice",
        "family_name": "Example", "department": "R&D", "title": "Engineer",
        "employee_number": "E-0012345", "phone": "+44 20 7946 0000", "locale": "en-GB",
    });
    v.as_object().cloned().unwrap_or_default()
}

/// What the benchmark presentations are bound to.
fn binding() -> PresentationCheck<'static> {
    PresentationCheck {
        client_id: AUDIENCE,
        nonce: NONCE,
        now: NOW + 1,
        max_age: 300,
    }
}

/// Runs the measurements for `seconds` each.
pub fn run(seconds: u64) -> anyhow::Result<Value> {
    let (issuer, _) = SigningKey::generate(SigningAlg::ES256)?;
    let (holder, _) = SigningKey::generate(SigningAlg::ES256)?;
    let ty = credential_type();
    let status = StatusEntry {
        uri: format!("{ISSUER}/vci/status-lists/bench"),
        idx: 4242,
    };
    let algs = [sigil_keys::JwsAlg::ES256];
    let proof = key_proof(&holder, ISSUER, Some(NONCE), NOW);
    let check = ProofCheck {
        audience: ISSUER,
        nonce: Some(NONCE),
        now: NOW,
        max_age: 300,
        algs: &algs,
    };
    let issue = || -> anyhow::Result<String> {
        let key = verify_jwt_proof(&proof, &check).map_err(|e| anyhow::anyhow!("{e}"))?;
        let contents = Contents {
            issuer: ISSUER,
            values: values(),
            holder_jwk: &key.jwk,
            status: &status,
            now: NOW,
            x5c: None,
        };
        Ok(issue_sd_jwt_vc(&issuer, &ty, contents)?.compact())
    };
    let credential = issue()?;
    let issued = per_second(|| drop(issue()), seconds);

    let query = DcqlQuery::parse(&json!({"credentials": [{
        "id": "employee", "format": "dc+sd-jwt",
        "meta": {"vct_values": [ty.vct]},
        "claims": [{"path": ["name"]}, {"path": ["email"]}],
    }]}))
    .map_err(anyhow::Error::msg)?;
    let names = vec!["name".to_owned(), "email".to_owned()];
    let presentation = present(&credential, &names, &holder, AUDIENCE, NONCE, NOW);
    let binding = binding();
    let issuer_public = issuer.public_key().clone();
    let verify = || {
        verify_sd_jwt_vc(
            &presentation,
            &issuer_public,
            &query.credentials[0],
            &binding,
        )
    };
    verify().map_err(anyhow::Error::msg)?;
    let verified = per_second(|| drop(verify()), seconds);

    let message = b"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0";
    let sign = per_second(|| drop(issuer.sign(message)), seconds);
    let jws = DecodedJws::decode(credential.split('~').next().unwrap_or_default(), 1 << 16)?;
    let verify_sig = per_second(|| drop(jws.verify(&issuer_public)), seconds);
    // Issuing needs one signature and one verification (the key proof); verifying a
    // presentation needs two verifications (issuer, key binding).
    let issue_bound = 1.0 / (1.0 / sign + 1.0 / verify_sig);
    let verify_bound = verify_sig / 2.0;
    let (w3c_issued, w3c_verified) = w3c(&issuer, &holder, (&proof, &check), seconds)?;
    Ok(json!({
        "bench": "vc",
        "w3c_issued_per_second": w3c_issued.round(),
        "w3c_verified_per_second": w3c_verified.round(),
        "credential_bytes": credential.len(),
        "disclosures": CLAIMS.len(),
        "issued_per_second": issued.round(),
        "verified_per_second": verified.round(),
        "es256_sign_per_second": sign.round(),
        "es256_verify_per_second": verify_sig.round(),
        "issue_signature_bound_per_second": issue_bound.round(),
        "verify_signature_bound_per_second": verify_bound.round(),
        "issue_share_of_bound": (issued / issue_bound * 100.0).round() / 100.0,
        "verify_share_of_bound": (verified / verify_bound * 100.0).round() / 100.0,
    }))
}

/// W3C credentials: issuing one (the key proof verified, the `vc+jwt` built and signed) and
/// verifying one presentation (the VP's holder signature, nonce and audience, the
/// credential's signature, Data Model checks and binding, the query's claims), per second.
fn w3c(
    issuer: &SigningKey,
    holder: &SigningKey,
    (proof, check): (&str, &ProofCheck<'_>),
    seconds: u64,
) -> anyhow::Result<(f64, f64)> {
    let ty = CredentialType {
        format: CredentialFormat::JwtVcJson,
        vc_type: "EmployeeCredential".into(),
        ..credential_type()
    };
    let status = StatusPurpose::ALL.map(|purpose| BitstringEntry {
        purpose,
        index: 4242,
        list_credential: format!("{ISSUER}/vci/status-lists/bench/{}", purpose.as_str()),
    });
    let issue = || -> anyhow::Result<String> {
        let key = verify_jwt_proof(proof, check).map_err(|e| anyhow::anyhow!("{e}"))?;
        let contents = W3cContents {
            issuer: ISSUER,
            values: values(),
            holder: &key.key,
            status: &status,
            now: NOW,
            x5c: None,
        };
        Ok(issue_vc_jwt(issuer, &ty, contents))
    };
    let credential = issue()?;
    let issued = per_second(|| drop(issue()), seconds);
    let query = DcqlQuery::parse(&json!({"credentials": [{
        "id": "employee", "format": "jwt_vc_json",
        "meta": {"type_values": [["EmployeeCredential"]]},
        "claims": [{"path": ["credentialSubject", "name"]}, {"path": ["credentialSubject", "email"]}],
    }]}))
    .map_err(anyhow::Error::msg)?;
    let presentation = present_vc_jwt(&credential, holder, AUDIENCE, NONCE, NOW);
    let binding = binding();
    let issuer_public = issuer.public_key().clone();
    let cq = &query.credentials[0];
    let verify = || -> Result<(), String> {
        let opened = open_presentation(&presentation, cq, &binding)?;
        verify_vc_jwt(
            &opened.credential,
            &issuer_public,
            opened.holder.as_ref(),
            cq,
            NOW + 1,
        )
        .map(drop)
    };
    verify().map_err(anyhow::Error::msg)?;
    let verified = per_second(|| drop(verify()), seconds);
    Ok((issued, verified))
}
