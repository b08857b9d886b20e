//! Data Model 1.1 credentials secured as JWTs (VC Data Model 1.1 §6.3.1), the form
//! OpenID4VCI 1.0 and OpenID4VP 1.0 describe for `jwt_vc_json`: the credential sits in a
//! `vc` claim, and JWT claims stand for some of its members (`iss` for `issuer`, `jti` for
//! `id`, `sub` for the subject's `id`, `nbf` and `exp` for its validity). Sigil issues the 2.0
//! form, and its verifier takes 1.1 credentials from other issuers: [`credential_document`]
//! restores the credential, and [`check_credential`] checks it by 1.1's rules.

use serde_json::{Map, Value};

use super::{check_model, issuer_of};

/// The Data Model 1.1 base context, which must come first in `@context`.
pub const CREDENTIALS_V1: &str = "https://www.w3.org/2018/credentials/v1";

/// The credential a 1.1 JWT payload carries: its `vc` object with the members the JWT
/// claims stand for restored (a member the credential states itself must agree), and `iss`,
/// `nbf`, `exp` and `cnf` kept beside.
pub fn credential_document(payload: &Map<String, Value>) -> Result<Map<String, Value>, String> {
    let mut credential = payload
        .get("vc")
        .and_then(Value::as_object)
        .cloned()
        .ok_or("the credential's vc claim is not an object")?;
    if let Some(iss) = payload.get("iss").and_then(Value::as_str) {
        match issuer_of(&credential) {
            None => {
                credential.insert("issuer".into(), Value::String(iss.to_owned()));
            }
            Some(issuer) if issuer != iss => {
                return Err("the credential's issuer is not its JWT's iss".into());
            }
            Some(_) => {}
        }
    }
    if let Some(jti) = payload.get("jti") {
        credential.entry("id").or_insert_with(|| jti.clone());
    }
    if let Some(sub) = payload.get("sub")
        && let Some(Value::Object(subject)) = credential.get_mut("credentialSubject")
    {
        subject.entry("id").or_insert_with(|| sub.clone());
    }
    for name in ["iss", "nbf", "exp", "cnf"] {
        if let Some(value) = payload.get(name) {
            credential.insert(name.into(), value.clone());
        }
    }
    Ok(credential)
}

/// Checks a credential restored by [`credential_document`] as [`super::check_credential`]
/// checks a 2.0 one, by 1.1's rules: its base context first, and its validity from
/// `issuanceDate` / `expirationDate` besides `nbf` / `exp`.
pub fn check_credential(
    credential: &Map<String, Value>,
    now: i64,
    skew: i64,
) -> Result<String, String> {
    check_model(
        credential,
        (CREDENTIALS_V1, "issuanceDate", "expirationDate"),
        now,
        skew,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn jwt_claims_restore_the_members_they_stand_for() {
        // VC Data Model 1.1, Example 32's credential as a JWT (§6.3.1).
        let payload = json!({
            "sub": "did:example:ebfeb1f712ebc6f1c276e12ec21",
            "jti": "http://example.edu/credentials/3732",
            "iss": "https://example.com/keys/foo.jwk",
            "nbf": 1541493724,
            "iat": 1541493724,
            "exp": 1573029723,
            "nonce": "660!6345FSer",
            "vc": {
                "@context": [CREDENTIALS_V1, "https://www.w3.org/2018/credentials/examples/v1"],
                "type": ["VerifiableCredential", "UniversityDegreeCredential"],
                "credentialSubject": {"degree": {"type": "BachelorDegree",
                    "name": "<span lang='fr-CA'>Baccalauréat en musiques numériques</span>"}}
            }
        });
        let Value::Object(payload) = payload else {
            unreachable!()
        };
        let credential = credential_document(&payload).expect("a credential");
        assert_eq!(credential["issuer"], "https://example.com/keys/foo.jwk");
        assert_eq!(credential["id"], "http://example.edu/credentials/3732");
        assert_eq!(
            credential["credentialSubject"]["id"],
            "did:example:ebfeb1f712ebc6f1c276e12ec21"
        );
        assert_eq!(credential["exp"], 1573029723);
        assert!(credential.get("nonce").is_none());

        let mut other = payload;
        other["vc"]["issuer"] = json!("https://someone-else.example");
        assert!(credential_document(&other).is_err());
    }
}
