//! W3C Verifiable Credentials Data Model 2.0 secured with JOSE (VC-JOSE-COSE): the credential
//! is the JWT's payload (`typ: vc+jwt`), with `iss`, `iat`, `exp` and the holder's key in
//! `cnf` as JWT claims beside `issuer`, `validFrom`, `validUntil` and `credentialSubject`.
//!
//! OpenID4VCI 1.0 and OpenID4VP 1.0 name such credentials `jwt_vc_json`, a format they
//! describe with Data Model 1.1 (a `vc` claim), for which no 2.0 profile exists yet; Sigil
//! issues and accepts the 2.0 form under that identifier (see docs/CREDENTIALS.md). Their
//! statuses are Bitstring Status Lists ([`status`]); presentations are VP JWTs
//! ([`presentation`]).

pub mod presentation;
pub mod status;
pub mod v1;

use serde_json::{Map, Value, json};
use sigil_keys::{SigningKey, sign_with_header};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::did::{did_jwk, issuer_header};
use crate::types::CredentialType;
use status::{Bitstring, BitstringEntry, LIST_CREDENTIAL_TYPE, LIST_TYPE, StatusPurpose};

/// The OpenID4VCI / OpenID4VP format identifier of W3C credentials secured as JWTs.
pub const JWT_VC_JSON: &str = "jwt_vc_json";
/// `typ` of a credential secured with JOSE, and (with `application/`) its media type.
pub const VC_JWT_TYP: &str = "vc+jwt";
/// `typ` of a presentation secured with JOSE.
pub const VP_JWT_TYP: &str = "vp+jwt";
/// The Data Model 2.0 base context, which must come first in `@context`.
pub const CREDENTIALS_V2: &str = "https://www.w3.org/ns/credentials/v2";
/// The type every credential has.
pub const VERIFIABLE_CREDENTIAL: &str = "VerifiableCredential";

/// An XML Schema `dateTimeStamp` (RFC 3339, UTC) of a Unix time.
pub fn xml_datetime(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// The Unix time of a `dateTimeStamp` (which must carry its time zone).
pub fn parse_datetime(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

/// Everything a W3C credential is made of besides its type.
#[derive(Debug, Clone)]
pub struct W3cContents<'a> {
    /// The issuer (`issuer` and `iss`).
    pub issuer: &'a str,
    /// The type's claim values for the user, the members of `credentialSubject`.
    pub values: Map<String, Value>,
    /// The holder's public key: `cnf.jwk`, and as a `did:jwk`, `credentialSubject.id`.
    pub holder: &'a sigil_keys::PublicKey,
    /// Where its statuses are published.
    pub status: &'a [BitstringEntry],
    /// Issuance time, Unix seconds.
    pub now: i64,
    /// The certificate chain that vouches for the issuer's key (`x5c`), when it is sent.
    pub x5c: Option<&'a [String]>,
}

/// Issues one credential of W3C type `ty` as a `vc+jwt`.
pub fn issue_vc_jwt(key: &SigningKey, ty: &CredentialType, contents: W3cContents<'_>) -> String {
    let until = contents.now.saturating_add(ty.lifetime_secs as i64);
    let mut subject = Map::new();
    subject.insert("id".into(), json!(did_jwk(contents.holder)));
    subject.extend(contents.values);
    let mut context = vec![json!(CREDENTIALS_V2)];
    context.extend(ty.contexts.iter().map(|c| json!(c)));
    let mut credential = json!({
        "@context": context,
        "type": ty.w3c_types(),
        "issuer": contents.issuer,
        "validFrom": xml_datetime(contents.now),
        "validUntil": xml_datetime(until),
        "credentialSubject": subject,
        "iss": contents.issuer,
        "iat": contents.now,
        "exp": until,
        "cnf": {"jwk": contents.holder.jwk_members()},
    });
    if let Some(name) = ty.display.first() {
        credential["name"] = json!(name.name);
    }
    if !contents.status.is_empty() {
        credential["credentialStatus"] = Value::Array(
            contents
                .status
                .iter()
                .map(BitstringEntry::to_json)
                .collect(),
        );
    }
    sign_with_header(
        key,
        &issuer_header(key, VC_JWT_TYP, contents.issuer, contents.x5c),
        &credential,
    )
}

/// What a status list credential says.
#[derive(Debug, Clone)]
pub struct StatusListContents<'a> {
    /// Its issuer.
    pub issuer: &'a str,
    /// Its URL (the entries' `statusListCredential`).
    pub url: &'a str,
    /// What its bits mean.
    pub purpose: StatusPurpose,
    /// The bits.
    pub list: &'a Bitstring,
    /// When it was built, Unix seconds.
    pub now: i64,
    /// How long it stays valid, seconds.
    pub lifetime: i64,
    /// How long verifiers may cache it, seconds.
    pub ttl: i64,
    /// The certificate chain that vouches for the issuer's key (`x5c`), when it is sent.
    pub x5c: Option<&'a [String]>,
}

/// A `BitstringStatusListCredential`, secured as a `vc+jwt`.
pub fn status_list_credential(key: &SigningKey, c: &StatusListContents<'_>) -> String {
    let until = c.now.saturating_add(c.lifetime);
    let credential = json!({
        "@context": [CREDENTIALS_V2],
        "id": c.url,
        "type": [VERIFIABLE_CREDENTIAL, LIST_CREDENTIAL_TYPE],
        "issuer": c.issuer,
        "validFrom": xml_datetime(c.now),
        "validUntil": xml_datetime(until),
        "credentialSubject": {
            "id": format!("{}#list", c.url),
            "type": LIST_TYPE,
            "statusPurpose": c.purpose.as_str(),
            "encodedList": c.list.encode(),
            "ttl": c.ttl.saturating_mul(1000),
        },
        "iss": c.issuer,
        "iat": c.now,
        "exp": until,
    });
    sign_with_header(
        key,
        &issuer_header(key, VC_JWT_TYP, c.issuer, c.x5c),
        &credential,
    )
}

/// The issuer of a credential: `issuer`, or its `id`.
pub fn issuer_of(credential: &Map<String, Value>) -> Option<&str> {
    match credential.get("issuer")? {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("id")?.as_str(),
        _ => None,
    }
}

/// The `type` values of a credential or presentation (a string or an array of them).
pub fn types_of(document: &Map<String, Value>) -> Vec<&str> {
    match document.get("type") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Checks what makes a document a Data Model 2.0 credential valid now: the base context
/// first, `VerifiableCredential` among its types, an issuer that `iss` (when present) agrees
/// with, a subject, and `validFrom` / `validUntil` / `nbf` / `exp` around `now` (with
/// `skew`).
pub fn check_credential(
    credential: &Map<String, Value>,
    now: i64,
    skew: i64,
) -> Result<String, String> {
    if credential.contains_key("vc") {
        return Err("Data Model 1.1 credentials (a vc claim) are not accepted here".into());
    }
    check_model(
        credential,
        (CREDENTIALS_V2, "validFrom", "validUntil"),
        now,
        skew,
    )
}

/// The checks of [`check_credential`], for a data model given by its base context and the
/// names of its validity period's members.
fn check_model(
    credential: &Map<String, Value>,
    (base, from, until): (&str, &str, &str),
    now: i64,
    skew: i64,
) -> Result<String, String> {
    let first_context = match credential.get("@context") {
        Some(Value::Array(items)) => items.first().and_then(Value::as_str),
        _ => None,
    };
    if first_context != Some(base) {
        return Err(format!("the credential's first @context is not {base}"));
    }
    if !types_of(credential).contains(&VERIFIABLE_CREDENTIAL) {
        return Err("the credential's type does not include VerifiableCredential".into());
    }
    let issuer = issuer_of(credential).ok_or("the credential names no issuer")?;
    if credential
        .get("iss")
        .is_some_and(|iss| iss.as_str() != Some(issuer))
    {
        return Err("the credential's iss is not its issuer".into());
    }
    if !credential
        .get("credentialSubject")
        .is_some_and(|s| s.is_object() || s.is_array())
    {
        return Err("the credential has no credentialSubject".into());
    }
    let date = |name: &str| -> Result<Option<i64>, String> {
        credential
            .get(name)
            .map(|v| {
                v.as_str()
                    .and_then(parse_datetime)
                    .ok_or_else(|| format!("the credential's {name} is not a dateTimeStamp"))
            })
            .transpose()
    };
    let seconds = |name: &str| credential.get(name).and_then(Value::as_i64);
    if date(from)?.is_some_and(|from| from > now + skew)
        || seconds("nbf").is_some_and(|nbf| nbf > now + skew)
    {
        return Err("the credential is not valid yet".into());
    }
    if date(until)?.is_some_and(|until| until <= now) || seconds("exp").is_some_and(|e| e <= now) {
        return Err("the credential has expired".into());
    }
    Ok(issuer.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{CredentialFormat, CredentialType};
    use sigil_core::model::SigningAlg;
    use sigil_keys::DecodedJws;

    fn w3c_type() -> CredentialType {
        CredentialType {
            format: CredentialFormat::JwtVcJson,
            vct: String::new(),
            vc_type: "EmployeeCredential".into(),
            ..CredentialType::employee("https://issuer.example")
        }
    }

    #[test]
    fn dates_are_xml_datetimes_in_utc() {
        assert_eq!(xml_datetime(1_262_304_000), "2010-01-01T00:00:00Z");
        assert_eq!(parse_datetime("2010-01-01T00:00:00Z"), Some(1_262_304_000));
        assert_eq!(
            parse_datetime("2010-01-01T01:00:00+01:00"),
            Some(1_262_304_000)
        );
        assert_eq!(
            parse_datetime("2010-01-01T00:00:00"),
            None,
            "a zone is required"
        );
    }

    #[test]
    fn an_issued_credential_is_a_data_model_2_document_bound_to_the_holder() {
        let (issuer, _) = SigningKey::generate(SigningAlg::ES256).expect("key");
        let (holder, _) = SigningKey::generate(SigningAlg::ES256).expect("key");
        let entry = BitstringEntry {
            purpose: StatusPurpose::Revocation,
            index: 7,
            list_credential: "https://issuer.example/vci/status-lists/l/revocation".into(),
        };
        let values = json!({"name": "Alice"})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let jwt = issue_vc_jwt(
            &issuer,
            &w3c_type(),
            W3cContents {
                issuer: "https://issuer.example",
                values,
                holder: holder.public_key(),
                status: std::slice::from_ref(&entry),
                now: 1_800_000_000,
                x5c: None,
            },
        );
        let jws = DecodedJws::decode(&jwt, 1 << 16).expect("a JWS");
        assert!(jws.has_typ(VC_JWT_TYP));
        jws.verify(issuer.public_key())
            .expect("signed by the issuer");
        let vc: Map<String, Value> = jws.claims().expect("JSON");
        assert_eq!(vc["@context"][0], CREDENTIALS_V2);
        assert_eq!(
            vc["type"],
            json!(["VerifiableCredential", "EmployeeCredential"])
        );
        assert_eq!(vc["credentialSubject"]["id"], did_jwk(holder.public_key()));
        assert_eq!(vc["credentialSubject"]["name"], "Alice");
        assert_eq!(vc["cnf"]["jwk"], json!(holder.public_key().jwk_members()));
        assert!(!vc.contains_key("vc") && !vc.contains_key("nbf"));
        assert_eq!(
            status::BitstringEntry::all_in(&vc["credentialStatus"]),
            Ok(vec![entry])
        );
        assert_eq!(
            check_credential(&vc, 1_800_000_000, 60).as_deref(),
            Ok("https://issuer.example")
        );
        let later = 1_800_000_000 + 365 * 24 * 3600;
        assert_eq!(
            check_credential(&vc, later, 60),
            Err("the credential has expired".into())
        );
    }

    #[test]
    fn malformed_credentials_are_refused_with_a_reason() {
        let good = json!({
            "@context": [CREDENTIALS_V2], "type": ["VerifiableCredential"],
            "issuer": {"id": "https://i"}, "credentialSubject": {"a": 1},
            "validFrom": "2020-01-01T00:00:00Z",
        });
        let good = good.as_object().cloned().unwrap_or_default();
        assert_eq!(
            check_credential(&good, 1_700_000_000, 60).as_deref(),
            Ok("https://i")
        );
        let variants: [(&str, Value); 6] = [
            (
                "@context",
                json!(["https://www.w3.org/2018/credentials/v1"]),
            ),
            ("type", json!("Other")),
            ("issuer", json!(5)),
            ("iss", json!("https://other")),
            ("validFrom", json!("2090-01-01T00:00:00Z")),
            ("validUntil", json!("yesterday")),
        ];
        for (name, value) in variants {
            let mut bad = good.clone();
            bad.insert(name.into(), value);
            assert!(check_credential(&bad, 1_700_000_000, 60).is_err(), "{name}");
        }
        let mut no_subject = good;
        no_subject.remove("credentialSubject");
        assert!(check_credential(&no_subject, 1_700_000_000, 60).is_err());
    }
}
