//! The OpenID4VCI 1.0 specification's own examples (tests/vectors/oid4vci, copied from the
//! final specification; see tests/vectors/README.md): offers, key proofs, credential requests
//! and a credential response, with the rejections the README lists.

use serde_json::{Value, json};
use sigil_core::model::SigningAlg;
use sigil_keys::{JwsAlg, PublicKey, SigningKey, sign_compact, sign_compact_with_jwk};
use sigil_vc::encryption::Envelope;
use sigil_vc::offer::{CredentialOffer, OfferLink, link_by_reference, link_by_value, parse_link};
use sigil_vc::proof::{ProofCheck, verify_jwt_proof};
use sigil_vc::request::{CredentialRequest, Notification, Proofs, Requested, VciErrorCode};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/oid4vci/");
const AUD: &str = "https://credential-issuer.example.com";
const NONCE: &str = "LarRGSbmUPYtRYO6BQ4yn8";
const IAT: i64 = 1701960444;

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}{name}")).expect(name)
}

fn json_file(name: &str) -> Value {
    serde_json::from_str(&read(name)).expect(name)
}

fn check(algs: &[JwsAlg]) -> ProofCheck<'_> {
    ProofCheck {
        audience: AUD,
        nonce: Some(NONCE),
        now: IAT + 5,
        max_age: 300,
        algs,
    }
}

const ALGS: [JwsAlg; 2] = [JwsAlg::ES256, JwsAlg::EdDSA];

#[test]
fn offers_read_and_write_back_unchanged() {
    let authz = read("credential_offer_authz_code.txt");
    let authz_body = authz.split_once("\n\n").expect("an HTTP response").1;
    let offers = [
        json_file("credential_offer_multiple_credentials.json"),
        json_file("credential_offer_by_reference.json"),
        serde_json::from_str(authz_body).expect("json body"),
    ];
    for offer in offers {
        let parsed: CredentialOffer = serde_json::from_value(offer.clone()).expect("an offer");
        assert!(parsed.is_well_formed());
        assert_eq!(serde_json::to_value(&parsed).expect("serialises"), offer);
        let link = link_by_value(&parsed);
        assert!(link.starts_with("openid-credential-offer://?credential_offer="));
        assert_eq!(parse_link(&link), Some(OfferLink::Value(parsed)));
    }
    let by_ref = link_by_reference("https://issuer.example/vci/offers/a b");
    assert_eq!(
        by_ref,
        "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example%2Fvci%2Foffers%2Fa+b"
    );
    assert_eq!(
        parse_link(&by_ref),
        Some(OfferLink::Reference(
            "https://issuer.example/vci/offers/a b".into()
        ))
    );
    assert_eq!(parse_link("openid-credential-offer://?x=1"), None);
}

#[test]
fn the_spec_key_proof_is_accepted() {
    let proof = json_file("key_proof_jwt.json");
    let jwt = proof["proofs"]["jwt"][0].as_str().expect("a proof");
    let holder = verify_jwt_proof(jwt, &check(&ALGS)).expect("the proof verifies");
    assert_eq!(
        Value::Object(holder.jwk),
        proof["decoded_header"]["jwk"],
        "the holder key is the header jwk"
    );
}

#[test]
fn the_spec_key_proof_is_refused_for_another_issuer_nonce_time_or_alg_list() {
    let proof = json_file("key_proof_jwt.json");
    let jwt = proof["proofs"]["jwt"][0].as_str().expect("a proof");
    let refused = |c: ProofCheck<'_>| verify_jwt_proof(jwt, &c).expect_err("refused").code;
    assert_eq!(
        refused(ProofCheck {
            audience: "https://other.example.com",
            ..check(&ALGS)
        }),
        VciErrorCode::InvalidProof
    );
    assert_eq!(
        refused(ProofCheck {
            nonce: Some("another-nonce"),
            ..check(&ALGS)
        }),
        VciErrorCode::InvalidNonce
    );
    assert_eq!(
        refused(ProofCheck {
            now: IAT + 3600,
            ..check(&ALGS)
        }),
        VciErrorCode::InvalidProof,
        "a proof an hour old"
    );
    assert_eq!(
        refused(ProofCheck {
            now: IAT - 3600,
            ..check(&ALGS)
        }),
        VciErrorCode::InvalidProof,
        "a proof from the future"
    );
    assert_eq!(
        refused(check(&[JwsAlg::EdDSA])),
        VciErrorCode::InvalidProof,
        "ES256 is not on this issuer's list"
    );
}

fn holder() -> SigningKey {
    SigningKey::generate(SigningAlg::ES256).expect("key").0
}

fn claims() -> Value {
    json!({"aud": AUD, "iat": IAT, "nonce": NONCE})
}

#[test]
fn own_proofs_verify_and_their_forgeries_do_not() {
    let key = holder();
    let good = sign_compact_with_jwk(&key, "openid4vci-proof+jwt", &claims());
    let found = verify_jwt_proof(&good, &check(&ALGS)).expect("verifies");
    assert_eq!(found.key, key.public_key().clone());

    let wrong_typ = sign_compact_with_jwk(&key, "JWT", &claims());
    let with_kid = sign_compact(&key, "openid4vci-proof+jwt", &claims());
    let (h, rest) = good.split_once('.').expect("a JWS");
    let header: Value =
        serde_json::from_slice(&sigil_core::b64url_decode(h).expect("b64")).expect("json");
    let mut both = header.clone();
    both["kid"] = json!("key-1");
    let both = format!("{}.{rest}", sigil_core::b64url_encode(both.to_string()));
    let mut none = header.clone();
    none["alg"] = json!("none");
    let none = format!(
        "{}.{}.",
        sigil_core::b64url_encode(none.to_string()),
        rest.split_once('.').expect("payload").0
    );
    let other = holder();
    let mut swapped = header;
    swapped["jwk"] = Value::Object(other.public_key().jwk_members());
    let swapped = format!("{}.{rest}", sigil_core::b64url_encode(swapped.to_string()));
    for (why, forged) in [
        ("another typ", wrong_typ),
        ("a kid that is not a did:jwk", with_kid),
        ("both jwk and kid", both),
        ("alg none", none),
        ("signed by another key than its jwk", swapped),
    ] {
        let err = verify_jwt_proof(&forged, &check(&ALGS)).expect_err(why);
        assert_eq!(err.code, VciErrorCode::InvalidProof, "{why}: {err}");
    }
}

#[test]
fn did_jwk_kids_name_the_holder_key() {
    let key = holder();
    let did = format!(
        "did:jwk:{}#0",
        sigil_core::b64url_encode(Value::Object(key.public_key().jwk_members()).to_string())
    );
    let (h, rest) = sign_compact_with_jwk(&key, "openid4vci-proof+jwt", &claims())
        .split_once('.')
        .map(|(h, r)| (h.to_owned(), r.to_owned()))
        .expect("a JWS");
    let mut header: Value =
        serde_json::from_slice(&sigil_core::b64url_decode(&h).expect("b64")).expect("json");
    header.as_object_mut().expect("object").remove("jwk");
    header["kid"] = json!(did);
    // Re-sign over the new header.
    let input = format!(
        "{}.{}",
        sigil_core::b64url_encode(header.to_string()),
        rest.split_once('.').expect("p").0
    );
    let jwt = format!(
        "{input}.{}",
        sigil_core::b64url_encode(key.sign(input.as_bytes()))
    );
    let found = verify_jwt_proof(&jwt, &check(&ALGS)).expect("a did:jwk proof verifies");
    assert_eq!(found.key, key.public_key().clone());
}

#[test]
fn the_spec_credential_request_carries_two_proofs() {
    let body = read("credential_request_sd_jwt_vc_two_proofs.json");
    let request =
        CredentialRequest::parse(body.as_bytes(), 10, Envelope::default()).expect("parses");
    assert_eq!(
        request.requested,
        Requested::Identifier("CivilEngineeringDegree-2023".into())
    );
    assert!(matches!(request.proofs, Proofs::Jwt(ref jwts) if jwts.len() == 2));
    let err = CredentialRequest::parse(body.as_bytes(), 1, Envelope::default())
        .expect_err("over the batch size");
    assert_eq!(err.code, VciErrorCode::InvalidCredentialRequest);
}

#[test]
fn malformed_credential_requests_get_the_spec_errors() {
    for (body, code) in [
        ("[]", VciErrorCode::InvalidCredentialRequest),
        ("{}", VciErrorCode::InvalidCredentialRequest),
        (
            r#"{"credential_identifier":"a","credential_configuration_id":"b"}"#,
            VciErrorCode::InvalidCredentialRequest,
        ),
        (
            r#"{"credential_configuration_id":"b","proof":{"proof_type":"jwt","jwt":"x"}}"#,
            VciErrorCode::InvalidCredentialRequest,
        ),
        (
            r#"{"credential_configuration_id":"b","proofs":{"jwt":["a"],"di_vp":["b"]}}"#,
            VciErrorCode::InvalidCredentialRequest,
        ),
        (
            r#"{"credential_configuration_id":"b","proofs":{"attestation":["a","b"]}}"#,
            VciErrorCode::InvalidCredentialRequest,
        ),
        (
            r#"{"credential_configuration_id":"b","proofs":{"di_vp":["a"]}}"#,
            VciErrorCode::InvalidProof,
        ),
        (
            r#"{"credential_configuration_id":"b","proofs":{"jwt":[]}}"#,
            VciErrorCode::InvalidCredentialRequest,
        ),
        (
            r#"{"credential_configuration_id":"b","credential_response_encryption":{"jwk":{}}}"#,
            VciErrorCode::InvalidEncryptionParameters,
        ),
    ] {
        let err =
            CredentialRequest::parse(body.as_bytes(), 10, Envelope::default()).expect_err(body);
        assert_eq!(err.code, code, "{body}");
    }
}

#[test]
fn notifications_parse_and_refuse_unknown_events() {
    let ok = Notification::parse(br#"{"notification_id":"n1","event":"credential_accepted"}"#)
        .expect("parses");
    assert_eq!(ok.event, "credential_accepted");
    for bad in [
        r#"{"notification_id":"n1","event":"credential_loved"}"#,
        r#"{"event":"credential_accepted"}"#,
        "nope",
    ] {
        let err = Notification::parse(bad.as_bytes()).expect_err(bad);
        assert_eq!(err.code, VciErrorCode::InvalidNotificationRequest);
    }
}

#[test]
fn the_spec_credential_response_holds_a_credential_a_wallet_accepts() {
    let body = json_file("credential_response_sd_jwt_vc.body.json");
    let credentials = body["credentials"].as_array().expect("credentials[]");
    assert_eq!(credentials.len(), 1);
    let credential = credentials[0]["credential"].as_str().expect("a string");
    let issuer_jwk = json_file("sd_jwt_vc_issuer_key.public.jwk.json");
    let key = PublicKey::from_jwk(issuer_jwk.as_object().expect("jwk")).expect("a key");
    let verified = sigil_sdjwt::verify(credential, &key, None).expect("verifies");
    assert!(verified.claims.contains_key("vct"));
}
