//! Authorization details of type `openid_credential` (RFC 9396; OpenID4VCI 1.0 §5.1.1 and
//! §6.2): how a wallet asks the authorization server, in the authorization code flow, for the
//! credentials it wants, and how the token response names the credentials it may then request
//! by `credential_identifier`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The authorization details type of credential requests.
pub const OPENID_CREDENTIAL: &str = "openid_credential";

/// The most credential authorization details one request may carry.
pub const MAX_DETAILS: usize = 8;

/// One credential the wallet asks for (in the authorization request) or was granted (in the
/// token response, with its identifiers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialAuthorization {
    /// Always [`OPENID_CREDENTIAL`].
    #[serde(rename = "type")]
    pub kind: String,
    /// The credential configuration asked for.
    pub credential_configuration_id: String,
    /// Claims description objects (Appendix B.2), when the wallet named the claims it wants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<Value>>,
    /// What the credential request names the granted credentials by (token response only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credential_identifiers: Vec<String>,
}

impl CredentialAuthorization {
    /// A grant of configuration `id`, named by `identifiers`.
    pub fn granted(id: &str, claims: Option<Vec<Value>>, identifiers: Vec<String>) -> Self {
        CredentialAuthorization {
            kind: OPENID_CREDENTIAL.into(),
            credential_configuration_id: id.to_owned(),
            claims,
            credential_identifiers: identifiers,
        }
    }
}

fn text<'a>(detail: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, String> {
    match detail.get(name) {
        None => Ok(None),
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 256 => Ok(Some(s)),
        Some(_) => Err(format!("{name} must be a non-empty string")),
    }
}

/// A claims description (Appendix B.2): an object whose `path` is a non-empty array of
/// strings, non-negative integers and nulls.
fn check_claims(claims: &Value) -> Result<Vec<Value>, String> {
    let list = claims
        .as_array()
        .filter(|l| !l.is_empty() && l.len() <= 64)
        .ok_or("claims must be a non-empty array")?;
    for claim in list {
        let path = claim
            .get("path")
            .and_then(Value::as_array)
            .filter(|p| !p.is_empty())
            .ok_or("each claims description needs a non-empty path")?;
        let valid = path
            .iter()
            .all(|c| c.is_string() || c.is_null() || c.as_u64().is_some());
        if !valid {
            return Err("a claims path holds strings, non-negative integers and nulls".into());
        }
    }
    Ok(list.clone())
}

fn parse_one(detail: &Value, issuer: &str) -> Result<CredentialAuthorization, String> {
    let detail = detail
        .as_object()
        .ok_or("each authorization detail must be an object")?;
    match text(detail, "type")? {
        Some(OPENID_CREDENTIAL) => {}
        Some(other) => {
            return Err(format!(
                "authorization details of type {other:?} are not supported"
            ));
        }
        None => return Err("each authorization detail needs a type".into()),
    }
    if detail.contains_key("format") {
        return Err("name the credential by credential_configuration_id, not format".into());
    }
    if detail.contains_key("credential_identifiers") {
        return Err("credential_identifiers are given by the issuer, not asked for".into());
    }
    if let Some(locations) = detail.get("locations") {
        let names_issuer = locations
            .as_array()
            .is_some_and(|l| l.iter().any(|v| v.as_str() == Some(issuer)));
        if !names_issuer {
            return Err(format!(
                "locations must name this credential issuer, {issuer}"
            ));
        }
    }
    let id = text(detail, "credential_configuration_id")?
        .ok_or("credential_configuration_id is required")?;
    let claims = detail.get("claims").map(check_claims).transpose()?;
    Ok(CredentialAuthorization::granted(id, claims, Vec::new()))
}

/// Parses the `authorization_details` parameter of a request to credential issuer `issuer`:
/// a JSON array of `openid_credential` details, each naming a different configuration. The
/// error says what is wrong (for `invalid_authorization_details`).
pub fn parse_authorization_details(
    text: &str,
    issuer: &str,
) -> Result<Vec<CredentialAuthorization>, String> {
    let value: Value = serde_json::from_str(text)
        .map_err(|_| "authorization_details must be a JSON array".to_owned())?;
    let list = value
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or("authorization_details must be a non-empty JSON array")?;
    if list.len() > MAX_DETAILS {
        return Err(format!(
            "at most {MAX_DETAILS} authorization details are accepted"
        ));
    }
    let details = list
        .iter()
        .map(|d| parse_one(d, issuer))
        .collect::<Result<Vec<_>, _>>()?;
    for (i, d) in details.iter().enumerate() {
        if details[..i]
            .iter()
            .any(|e| e.credential_configuration_id == d.credential_configuration_id)
        {
            return Err(format!(
                "{:?} is asked for twice",
                d.credential_configuration_id
            ));
        }
    }
    Ok(details)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ISSUER: &str = "https://credential-issuer.example.com";

    fn parse(v: Value) -> Result<Vec<CredentialAuthorization>, String> {
        parse_authorization_details(&v.to_string(), ISSUER)
    }

    #[test]
    fn the_specification_examples_parse() {
        // OpenID4VCI 1.0 §5.1.1, the first and the claims example.
        let plain = parse(json!([{"type": "openid_credential",
            "credential_configuration_id": "UniversityDegreeCredential"}]))
        .expect("the plain example");
        assert_eq!(
            plain[0].credential_configuration_id,
            "UniversityDegreeCredential"
        );
        let with_claims = parse(json!([{"type": "openid_credential",
            "credential_configuration_id": "org.iso.18013.5.1.mDL",
            "claims": [{"path": ["org.iso.18013.5.1", "given_name"]},
                       {"path": ["org.iso.18013.5.1", "family_name"]},
                       {"path": ["degrees", null, "type"]}, {"path": ["nationalities", 0]}]}]))
        .expect("the claims example");
        assert_eq!(with_claims[0].claims.as_ref().map(Vec::len), Some(4));
        let located = parse(json!([{"type": "openid_credential",
            "locations": [ISSUER], "credential_configuration_id": "UniversityDegreeCredential"}]));
        assert!(located.is_ok());
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(text in ".{0,300}", id in "[a-z]{0,12}") {
            let _ = parse_authorization_details(&text, ISSUER);
            let shaped = format!(r#"[{{"type":"openid_credential","credential_configuration_id":"{id}","claims":{text:?}}}]"#);
            let _ = parse_authorization_details(&shaped, ISSUER);
        }
    }

    #[test]
    fn the_token_response_form_carries_identifiers() {
        let granted = CredentialAuthorization::granted("employee", None, vec!["c1".into()]);
        assert_eq!(
            serde_json::to_value(&granted).expect("serializable"),
            json!({"type": "openid_credential", "credential_configuration_id": "employee",
                   "credential_identifiers": ["c1"]})
        );
    }

    #[test]
    fn malformed_details_are_refused_with_a_reason() {
        let cases = [
            json!({}),
            json!([]),
            json!(["x"]),
            json!([{"credential_configuration_id": "a"}]),
            json!([{"type": "payment_initiation", "credential_configuration_id": "a"}]),
            json!([{"type": "openid_credential"}]),
            json!([{"type": "openid_credential", "credential_configuration_id": ""}]),
            json!([{"type": "openid_credential", "format": "dc+sd-jwt", "vct": "x"}]),
            json!([{"type": "openid_credential", "credential_configuration_id": "a", "locations": ["https://other.example"]}]),
            json!([{"type": "openid_credential", "credential_configuration_id": "a", "claims": []}]),
            json!([{"type": "openid_credential", "credential_configuration_id": "a", "claims": [{"path": [true]}]}]),
            json!([{"type": "openid_credential", "credential_configuration_id": "a", "credential_identifiers": ["x"]}]),
            json!([{"type": "openid_credential", "credential_configuration_id": "a"},
                   {"type": "openid_credential", "credential_configuration_id": "a"}]),
        ];
        for case in cases {
            assert!(parse(case.clone()).is_err(), "{case} was accepted");
        }
        let many: Vec<Value> = (0..=MAX_DETAILS)
            .map(|i| json!({"type": "openid_credential", "credential_configuration_id": format!("c{i}")}))
            .collect();
        assert!(parse(Value::Array(many)).is_err());
        assert!(parse_authorization_details("not json", ISSUER).is_err());
    }
}
