//! Issuing SD-JWTs and presenting them: what Sigil issues verifies with its own verifier,
//! hides what is not presented, binds to the holder's key, and interoperates with the RFC's
//! disclosures (README point 8 of tests/vectors/sd-jwt-rfc9901).

#![allow(clippy::unwrap_used)]

use serde_json::{Map, Value, json};
use sigil_core::model::SigningAlg;
use sigil_keys::{SigningKey, sign_compact};
use sigil_sdjwt::{KeyBinding, SdJwtError, digest, issue, key_binding_jwt, verify};

fn es256() -> SigningKey {
    SigningKey::generate(SigningAlg::ES256).unwrap().0
}

fn claims(holder: &SigningKey) -> Map<String, Value> {
    json!({
        "iss": "https://issuer.example",
        "vct": "https://credentials.example/employee",
        "given_name": "Grace",
        "family_name": "Hopper",
        "address": {"locality": "Arlington", "country": "US"},
        "cnf": {"jwk": holder.public_jwk()},
    })
    .as_object()
    .unwrap()
    .clone()
}

#[test]
fn issued_credentials_verify_and_disclose_only_what_is_presented() {
    let (issuer, holder) = (es256(), es256());
    let issued = issue(
        &issuer,
        "dc+sd-jwt",
        claims(&holder),
        &["given_name", "family_name", "address"],
        3,
    )
    .unwrap();
    assert_eq!(issued.disclosures.len(), 3);
    let payload: Value = sigil_keys::DecodedJws::decode(&issued.jwt, 65536)
        .unwrap()
        .claims()
        .unwrap();
    assert_eq!(
        payload["_sd"].as_array().unwrap().len(),
        6,
        "three disclosures and three decoys"
    );
    assert!(
        payload.get("given_name").is_none(),
        "hidden behind a digest"
    );

    let all = verify(&issued.compact(), issuer.public_key(), None).unwrap();
    assert_eq!(Value::Object(all.claims), Value::Object(claims(&holder)));

    let presented = issued.present(|name| name == "address");
    let kb = key_binding_jwt(
        &holder,
        &presented,
        "https://verifier.example",
        "n-0S6",
        1_800_000_000,
    );
    let binding = KeyBinding {
        audience: "https://verifier.example",
        nonce: "n-0S6",
        now: 1_800_000_010,
        max_age: 60,
    };
    let shown = verify(
        &format!("{presented}{kb}"),
        issuer.public_key(),
        Some(&binding),
    )
    .unwrap();
    assert!(shown.key_bound);
    assert_eq!(shown.claims["address"]["locality"], "Arlington");
    assert!(shown.claims.get("given_name").is_none() && shown.claims.get("family_name").is_none());

    // Another holder's key cannot bind it.
    let thief = es256();
    let forged = key_binding_jwt(
        &thief,
        &presented,
        "https://verifier.example",
        "n-0S6",
        1_800_000_000,
    );
    assert!(matches!(
        verify(
            &format!("{presented}{forged}"),
            issuer.public_key(),
            Some(&binding)
        ),
        Err(SdJwtError::KeyBinding(_))
    ));
}

#[test]
fn the_holder_key_and_sd_machinery_stay_visible() {
    let (issuer, holder) = (es256(), es256());
    for name in ["cnf", "_sd", "missing"] {
        assert!(
            issue(&issuer, "dc+sd-jwt", claims(&holder), &[name], 0).is_err(),
            "{name}"
        );
    }
    let plain = issue(&issuer, "dc+sd-jwt", claims(&holder), &[], 0).unwrap();
    assert_eq!(plain.compact(), format!("{}~", plain.jwt));
}

#[test]
fn the_rfcs_disclosures_verify_in_a_payload_sigil_signs() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors/sd-jwt-rfc9901");
    let entries: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(dir.join("address_only_structured/disclosures.json")).unwrap(),
    )
    .unwrap();
    let encoded: Vec<&str> = entries
        .iter()
        .map(|e| e["disclosure"].as_str().unwrap())
        .collect();
    let issuer = es256();
    let payload = json!({
        "iss": "https://issuer.example",
        "address": {"_sd": encoded.iter().map(|d| digest(d)).collect::<Vec<_>>()},
        "_sd_alg": "sha-256",
    });
    let jwt = sign_compact(&issuer, "example+sd-jwt", &payload);
    let verified = verify(
        &format!("{jwt}~{}~", encoded.join("~")),
        issuer.public_key(),
        None,
    )
    .unwrap();
    for e in &entries {
        assert_eq!(
            verified.claims["address"][e["claim_name"].as_str().unwrap()],
            e["claim_value"]
        );
    }
}
