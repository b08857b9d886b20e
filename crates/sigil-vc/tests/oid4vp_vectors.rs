//! The OpenID4VP 1.0 specification's own examples (tests/vectors/oid4vp, copied from the final
//! specification; see tests/vectors/README.md): DCQL queries and a complete SD-JWT VC
//! presentation with key binding, checked the way the README asks.

use std::collections::HashSet;

use serde_json::{Map, Value, json};
use sigil_keys::PublicKey;
use sigil_vc::dcql::DcqlQuery;
use sigil_vc::verifier::{PresentationCheck, presented_issuer, verify_sd_jwt_vc};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/");

fn json_file(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{DIR}{name}")).expect(name);
    serde_json::from_str(&text).expect(name)
}

fn query(name: &str) -> DcqlQuery {
    DcqlQuery::parse(&json_file(&format!("oid4vp/dcql/{name}"))).expect(name)
}

fn object(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("an object")
}

const IDENTITY: &str = "https://credentials.example.com/identity_credential";
/// The `iat` of the example KB-JWT (sd_jwt_vcld_01/kb_jwt_payload.json).
const KB_IAT: i64 = 1_744_743_394;

#[test]
fn every_spec_query_parses() {
    for name in [
        "simple.json",
        "simple_mdoc.json",
        "multi_credentials.json",
        "credentials_alternatives.json",
        "claims_alternatives.json",
        "value_matching_simple.json",
        "complex_mdoc.json",
    ] {
        let q = query(name);
        let back = serde_json::to_value(&q).expect("serialises");
        assert_eq!(DcqlQuery::parse(&back).expect("re-parses"), q, "{name}");
    }
}

#[test]
fn malformed_queries_are_refused() {
    for bad in [
        json!({"credentials": []}),
        json!({"credentials": [{"id": "a b", "format": "dc+sd-jwt"}]}),
        json!({"credentials": [{"id": "a", "format": "dc+sd-jwt"}, {"id": "a", "format": "dc+sd-jwt"}]}),
        json!({"credentials": [{"id": "a", "format": "dc+sd-jwt", "claims": [{"path": []}]}]}),
        json!({"credentials": [{"id": "a", "format": "dc+sd-jwt", "claims": [{"path": [true]}]}]}),
        json!({"credentials": [{"id": "a", "format": "dc+sd-jwt", "claims": [{"id": "x", "path": ["n"]}], "claim_sets": [["y"]]}]}),
        json!({"credentials": [{"id": "a", "format": "dc+sd-jwt"}], "credential_sets": [{"options": [["b"]]}]}),
    ] {
        assert!(DcqlQuery::parse(&bad).is_err(), "{bad}");
    }
}

#[test]
fn the_simple_query_takes_only_the_claims_it_asks_for() {
    let q = query("simple.json");
    let credential = object(json!({
        "vct": IDENTITY,
        "last_name": "Doe",
        "first_name": "John",
        "birthdate": "1970-01-01",
        "address": {"street_address": "1 Main St", "locality": "Anytown"},
    }));
    let answer = q.credentials[0]
        .answer("dc+sd-jwt", &credential)
        .expect("answers");
    assert_eq!(
        Value::Object(answer),
        json!({"last_name": "Doe", "first_name": "John", "address": {"street_address": "1 Main St"}})
    );
    let mut other_type = credential.clone();
    other_type.insert("vct".into(), json!("https://other.example/vct"));
    assert!(q.credentials[0].answer("dc+sd-jwt", &other_type).is_none());
    let mut missing = credential;
    missing.remove("first_name");
    assert!(q.credentials[0].answer("dc+sd-jwt", &missing).is_none());
}

#[test]
fn claim_sets_are_alternatives() {
    let q = query("claims_alternatives.json");
    let pid = &q.credentials[0];
    let with = |names: &[&str]| {
        let mut c = object(json!({"vct": IDENTITY}));
        for n in names {
            c.insert((*n).into(), json!(format!("{n}-value")));
        }
        c
    };
    // a = last_name, b = postal_code, c = locality, d = region, e = date_of_birth
    let first = pid
        .answer(
            "dc+sd-jwt",
            &with(&[
                "last_name",
                "locality",
                "region",
                "date_of_birth",
                "postal_code",
            ]),
        )
        .expect("the first set");
    assert!(
        first.contains_key("locality") && !first.contains_key("postal_code"),
        "the preferred set wins"
    );
    let second = pid
        .answer(
            "dc+sd-jwt",
            &with(&["last_name", "postal_code", "date_of_birth"]),
        )
        .expect("the second set");
    assert_eq!(second.len(), 3);
    assert!(
        pid.answer(
            "dc+sd-jwt",
            &with(&["last_name", "locality", "date_of_birth"])
        )
        .is_none()
    );
}

#[test]
fn values_restrict_what_matches() {
    let q = query("value_matching_simple.json");
    let doe = object(json!({
        "vct": IDENTITY, "last_name": "Doe", "first_name": "J",
        "address": {"street_address": "x"}, "postal_code": "90211",
    }));
    assert!(q.credentials[0].answer("dc+sd-jwt", &doe).is_some());
    let mut smith = doe.clone();
    smith.insert("last_name".into(), json!("Smith"));
    assert!(q.credentials[0].answer("dc+sd-jwt", &smith).is_none());
    let mut elsewhere = doe;
    elsewhere.insert("postal_code".into(), json!("10001"));
    assert!(q.credentials[0].answer("dc+sd-jwt", &elsewhere).is_none());
}

#[test]
fn credential_sets_say_which_combinations_do() {
    let q = query("credentials_alternatives.json");
    let set = |ids: &[&'static str]| ids.iter().copied().collect::<HashSet<&str>>();
    assert!(q.satisfied_by(&set(&["pid"])));
    assert!(q.satisfied_by(&set(&["other_pid", "nice_to_have"])));
    assert!(q.satisfied_by(&set(&["pid_reduced_cred_1", "pid_reduced_cred_2"])));
    assert!(!q.satisfied_by(&set(&["pid_reduced_cred_1"])));
    assert!(
        !q.satisfied_by(&set(&["nice_to_have"])),
        "optional sets do not count"
    );
    let all = query("multi_credentials.json");
    let ids: HashSet<&str> = all.credentials.iter().map(|c| c.id.as_str()).collect();
    assert!(all.satisfied_by(&ids));
    let first: HashSet<&str> = [all.credentials[0].id.as_str()].into_iter().collect();
    assert!(!all.satisfied_by(&first));
}

fn vcld() -> (String, PublicKey, sigil_vc::dcql::CredentialQuery) {
    let token = json_file("oid4vp/vp_token_sd_jwt_vcld_01.derived.json");
    let presentation = token["sd_jwt_vcld_credential"][0]
        .as_str()
        .expect("one")
        .to_owned();
    let jwk = json_file("oid4vci/sd_jwt_vc_issuer_key.public.jwk.json");
    let key = PublicKey::from_jwk(jwk.as_object().expect("jwk")).expect("key");
    let q = DcqlQuery::parse(&json!({"credentials": [{
        "id": "sd_jwt_vcld_credential",
        "format": "dc+sd-jwt",
        "meta": {"vct_values": ["https://credentials.example.com/example_credential"]},
        "claims": [{"path": ["ld", "credentialSubject", "givenName"]}],
    }]}))
    .expect("query");
    (presentation, key, q.credentials[0].clone())
}

fn check<'a>(client_id: &'a str, nonce: &'a str) -> PresentationCheck<'a> {
    PresentationCheck {
        client_id,
        nonce,
        now: KB_IAT + 5,
        max_age: 300,
    }
}

#[test]
fn the_spec_presentation_verifies_for_its_verifier_and_nonce() {
    let (presentation, key, q) = vcld();
    assert_eq!(
        presented_issuer(&presentation).expect("readable").0,
        "https://issuer.example.com"
    );
    let verified = verify_sd_jwt_vc(
        &presentation,
        &key,
        &q,
        &check("https://verifier.example.org", "1234567890"),
    )
    .expect("verifies");
    assert_eq!(verified.issuer, "https://issuer.example.com");
    let contents = json_file("oid4vp/sd_jwt_vcld_01/verified_contents.json");
    assert_eq!(
        Value::Object(verified.claims),
        json!({"ld": {"credentialSubject": {"givenName": contents["ld"]["credentialSubject"]["givenName"]}}}),
        "only what was asked for"
    );
}

#[test]
fn the_spec_presentation_is_refused_for_another_verifier_or_nonce_or_when_tampered() {
    let (presentation, key, q) = vcld();
    for (why, client_id, nonce) in [
        (
            "another verifier",
            "x509_san_dns:verifier.example.org",
            "1234567890",
        ),
        (
            "another nonce",
            "https://verifier.example.org",
            "0987654321",
        ),
    ] {
        let err = verify_sd_jwt_vc(&presentation, &key, &q, &check(client_id, nonce));
        assert!(err.is_err(), "{why}");
    }
    let late = PresentationCheck {
        now: KB_IAT + 3600,
        ..check("https://verifier.example.org", "1234567890")
    };
    assert!(
        verify_sd_jwt_vc(&presentation, &key, &q, &late).is_err(),
        "a stale KB-JWT"
    );
    // A disclosure changed in transit.
    let mut parts: Vec<String> = presentation.split('~').map(str::to_owned).collect();
    let d = &mut parts[1];
    let flipped = if d.ends_with('A') { 'B' } else { 'A' };
    d.pop();
    d.push(flipped);
    let tampered = parts.join("~");
    let err = verify_sd_jwt_vc(
        &tampered,
        &key,
        &q,
        &check("https://verifier.example.org", "1234567890"),
    );
    assert!(err.is_err(), "a tampered disclosure");
}
