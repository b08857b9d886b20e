//! Presentations of W3C credentials (`jwt_vc_json`): the holder signs a VP JWT that carries
//! the credential and the verifier's `nonce` and client identifier (`aud`, OpenID4VP 1.0
//! Appendix B.1.3.1), with a key the credential is bound to.
//!
//! Sigil's wallet sends the Data Model 2.0 form (VC-JOSE-COSE): a `vp+jwt` whose payload is
//! the presentation, the credential in it as an `EnvelopedVerifiableCredential`
//! (`data:application/vc+jwt,<JWT>`). Sigil's verifier also takes the form OpenID4VP 1.0's
//! example shows, a JWT whose `vp` claim lists credential JWTs; and, where the query does
//! not require holder binding, the credential JWT alone.

use serde_json::{Map, Value, json};
use sigil_keys::{DecodedJws, PublicKey, SigningKey, jws::JwsHeader, sign_with_header};

use super::{CREDENTIALS_V2, JWT_VC_JSON, VC_JWT_TYP, VP_JWT_TYP, check_credential, issuer_of};
use crate::dcql::CredentialQuery;
use crate::did::{did_jwk, key_in_identifier};
use crate::verifier::{PresentationCheck, StatusReference, VerifiedPresentation};

use super::status::BitstringEntry;

/// The prefix of an enveloped credential's `id`.
const ENVELOPE_PREFIX: &str = "data:application/vc+jwt,";
/// The longest presentation or credential read.
const MAX_LEN: usize = 256 * 1024;
/// How far in the future an `iat` or `validFrom` may be (clock skew), seconds.
const SKEW: i64 = 60;
/// How long a presentation the wallet signs stays valid, seconds.
const VP_LIFETIME: i64 = 300;

/// A VP JWT presenting `credential` to `audience` for `nonce`, signed by `holder` (the key
/// the credential is bound to), which names itself as a `did:jwk`.
pub fn present_vc_jwt(
    credential: &str,
    holder: &SigningKey,
    audience: &str,
    nonce: &str,
    iat: i64,
) -> String {
    let did = did_jwk(holder.public_key());
    let presentation = json!({
        "@context": [CREDENTIALS_V2],
        "type": ["VerifiablePresentation"],
        "holder": did,
        "verifiableCredential": [{
            "@context": CREDENTIALS_V2,
            "id": format!("{ENVELOPE_PREFIX}{credential}"),
            "type": "EnvelopedVerifiableCredential",
        }],
        "iss": did,
        "aud": audience,
        "nonce": nonce,
        "iat": iat,
        "exp": iat + VP_LIFETIME,
    });
    let header = JwsHeader {
        alg: holder.jws_alg().as_str().to_owned(),
        kid: Some(format!("{did}#0")),
        typ: Some(VP_JWT_TYP.to_owned()),
        crit: None,
        jwk: None,
        x5c: None,
    };
    sign_with_header(holder, &header, &presentation)
}

/// A presentation whose holder signature and binding to the request were checked.
#[derive(Debug, Clone)]
pub struct OpenedPresentation {
    /// The credential JWT it carries.
    pub credential: String,
    /// The key that signed it, which the credential must be bound to; `None` for a credential
    /// presented alone.
    pub holder: Option<PublicKey>,
}

/// Opens what a wallet sent for one `jwt_vc_json` credential query: a VP JWT, checked
/// against the holder's key (`jwk` header, or a `did:jwk` / `did:key` `kid` or `iss`) and the
/// request (`aud`, `nonce`, `iat`, `exp`), or a credential alone when the query allows it.
pub fn open_presentation(
    text: &str,
    query: &CredentialQuery,
    check: &PresentationCheck<'_>,
) -> Result<OpenedPresentation, String> {
    let jws = DecodedJws::decode(text, MAX_LEN)
        .map_err(|_| "the presentation is not a JWS with an accepted algorithm".to_owned())?;
    let claims: Map<String, Value> = jws
        .claims()
        .map_err(|_| "the presentation's payload is not a JSON object".to_owned())?;
    let a_credential = jws.has_typ(VC_JWT_TYP)
        || claims.contains_key("vc")
        || super::types_of(&claims).contains(&super::VERIFIABLE_CREDENTIAL);
    if a_credential {
        if query.requires_holder_binding() {
            return Err(
                "the credential must be presented in a verifiable presentation signed by its holder"
                    .into(),
            );
        }
        return Ok(OpenedPresentation {
            credential: text.to_owned(),
            holder: None,
        });
    }
    let typ_ok = jws.header.typ.is_none() || jws.has_typ(VP_JWT_TYP) || jws.has_typ("JWT");
    if !typ_ok {
        return Err("the presentation's typ is not vp+jwt".into());
    }
    let holder = holder_key(&jws.header, &claims)?;
    jws.verify(&holder)
        .map_err(|_| "the presentation's signature does not verify".to_owned())?;
    check_binding(&claims, check)?;
    let presentation = match claims.get("vp") {
        Some(Value::Object(vp)) => vp,
        Some(_) => return Err("the presentation's vp claim is not an object".into()),
        None => &claims,
    };
    if !super::types_of(presentation).contains(&"VerifiablePresentation") {
        return Err("the presentation's type does not include VerifiablePresentation".into());
    }
    let credentials = match presentation.get("verifiableCredential") {
        Some(Value::Array(items)) => items.as_slice(),
        Some(one) => std::slice::from_ref(one),
        None => &[],
    };
    let [one] = credentials else {
        return Err("a presentation must carry exactly one credential".into());
    };
    let credential = match one {
        Value::String(jwt) => jwt.clone(),
        Value::Object(envelope) => envelope
            .get("id")
            .and_then(Value::as_str)
            .and_then(|id| id.strip_prefix(ENVELOPE_PREFIX))
            .filter(|_| super::types_of(envelope).contains(&"EnvelopedVerifiableCredential"))
            .ok_or("the presented credential is not an enveloped vc+jwt")?
            .to_owned(),
        _ => return Err("the presented credential is neither a JWT nor an envelope".into()),
    };
    Ok(OpenedPresentation {
        credential,
        holder: Some(holder),
    })
}

/// The key a presentation names for its holder.
fn holder_key(header: &JwsHeader, claims: &Map<String, Value>) -> Result<PublicKey, String> {
    if let Some(jwk) = &header.jwk {
        return PublicKey::from_jwk(jwk).map_err(|e| format!("the holder's jwk is unusable: {e}"));
    }
    let named = |name: &str| claims.get(name).and_then(Value::as_str);
    let did = header
        .kid
        .as_deref()
        .map(|kid| kid.split('#').next().unwrap_or(kid))
        .or_else(|| named("iss"))
        .or_else(|| named("holder"))
        .ok_or("the presentation names no holder key (jwk, kid or iss)")?;
    key_in_identifier(did, header.kid.as_deref())?
        .ok_or_else(|| "a holder must be named by did:jwk or did:key".to_owned())
}

/// Checks a presentation is for this request: `aud`, `nonce`, a recent `iat`, no past `exp`.
fn check_binding(claims: &Map<String, Value>, check: &PresentationCheck<'_>) -> Result<(), String> {
    let aud_ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == check.client_id,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(check.client_id)),
        _ => false,
    };
    if !aud_ok {
        return Err("the presentation's aud is not this verifier".into());
    }
    if claims.get("nonce").and_then(Value::as_str) != Some(check.nonce) {
        return Err("the presentation's nonce is not this request's".into());
    }
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or("the presentation has no iat")?;
    if iat > check.now + SKEW {
        return Err("the presentation's iat is in the future".into());
    }
    if iat < check.now - check.max_age {
        return Err("the presentation is too old".into());
    }
    if claims
        .get("exp")
        .and_then(Value::as_i64)
        .is_some_and(|exp| exp <= check.now)
    {
        return Err("the presentation has expired".into());
    }
    Ok(())
}

/// The issuer (`iss`, else `issuer`) and header of a credential JWT, read before verification
/// so the caller can find and trust the key.
pub fn credential_signer(jwt: &str) -> Result<(String, JwsHeader), String> {
    let jws = DecodedJws::decode(jwt, MAX_LEN)
        .map_err(|_| "the credential is not a JWS with an accepted algorithm".to_owned())?;
    let claims: Map<String, Value> = jws
        .claims()
        .map_err(|_| "the credential's payload is not a JSON object".to_owned())?;
    let issuer = claims
        .get("iss")
        .and_then(Value::as_str)
        .or_else(|| issuer_of(&claims))
        .ok_or("the credential names no issuer")?;
    Ok((issuer.to_owned(), jws.header))
}

/// Verifies a W3C credential for `query`, with the issuer's key already found: signature,
/// `typ`, the Data Model's required members and validity period, that it is bound to the
/// presentation's `holder` (`cnf.jwk`, or `credentialSubject.id` naming that key), and that
/// it answers the query. Its Bitstring Status List entries are returned for the caller.
pub fn verify_vc_jwt(
    jwt: &str,
    issuer_key: &PublicKey,
    holder: Option<&PublicKey>,
    query: &CredentialQuery,
    now: i64,
) -> Result<VerifiedPresentation, String> {
    let jws = DecodedJws::decode(jwt, MAX_LEN)
        .map_err(|_| "the credential is not a JWS with an accepted algorithm".to_owned())?;
    if jws.header.typ.is_some() && !jws.has_typ(VC_JWT_TYP) && !jws.has_typ("JWT") {
        return Err(format!("the credential's typ is not {VC_JWT_TYP}"));
    }
    jws.verify(issuer_key)
        .map_err(|_| "the credential's signature does not verify".to_owned())?;
    let claims: Map<String, Value> = jws
        .claims()
        .map_err(|_| "the credential's payload is not a JSON object".to_owned())?;
    let (claims, issuer) = if claims.contains_key("vc") {
        let credential = super::v1::credential_document(&claims)?;
        let issuer = super::v1::check_credential(&credential, now, SKEW)?;
        // A 1.1 credential may keep its revocation in an older kind of list, which must not
        // pass unread.
        let status = credential.get("credentialStatus").unwrap_or(&Value::Null);
        super::status::refuse_unreadable(status).map_err(|e| e.to_string())?;
        (credential, issuer)
    } else {
        let issuer = check_credential(&claims, now, SKEW)?;
        (claims, issuer)
    };
    if let Some(holder) = holder
        && !bound_to(&claims, holder)
    {
        return Err("the credential is not bound to the key that presented it".into());
    }
    let status = BitstringEntry::all_in(claims.get("credentialStatus").unwrap_or(&Value::Null))
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(StatusReference::Bitstring)
        .collect();
    VerifiedPresentation::answering(query, JWT_VC_JSON, &claims, issuer, status)
}

/// Whether a credential is bound to `holder`: its `cnf.jwk`, or else the DID of its (one)
/// subject.
fn bound_to(credential: &Map<String, Value>, holder: &PublicKey) -> bool {
    if let Some(jwk) = credential
        .get("cnf")
        .and_then(|c| c.get("jwk"))
        .and_then(Value::as_object)
    {
        return PublicKey::from_jwk(jwk).is_ok_and(|k| &k == holder);
    }
    credential
        .get("credentialSubject")
        .and_then(|s| s.get("id"))
        .and_then(Value::as_str)
        .and_then(|did| key_in_identifier(did, None).ok().flatten())
        .is_some_and(|k| &k == holder)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dcql::DcqlQuery;
    use crate::types::{CredentialFormat, CredentialType};
    use crate::w3c::{W3cContents, issue_vc_jwt};
    use sigil_core::model::SigningAlg;
    use sigil_keys::sign_compact_with_jwk;

    const NOW: i64 = 1_800_000_000;
    const CLIENT: &str = "x509_san_dns:verifier.example";

    fn key() -> SigningKey {
        SigningKey::generate(SigningAlg::ES256).expect("key").0
    }

    fn credential(issuer: &SigningKey, holder: &SigningKey) -> String {
        let ty = CredentialType {
            format: CredentialFormat::JwtVcJson,
            vc_type: "EmployeeCredential".into(),
            ..CredentialType::employee("https://issuer.example")
        };
        let values = json!({"name": "Alice", "email": "alice@example.com"});
        issue_vc_jwt(
            issuer,
            &ty,
            W3cContents {
                issuer: "https://issuer.example",
                values: values.as_object().cloned().unwrap_or_default(),
                holder: holder.public_key(),
                status: &[],
                now: NOW - 10,
                x5c: None,
            },
        )
    }

    fn query(binding: bool) -> CredentialQuery {
        let q = json!({"credentials": [{
            "id": "employee", "format": "jwt_vc_json",
            "meta": {"type_values": [["EmployeeCredential"]]},
            "claims": [{"path": ["credentialSubject", "name"]}],
            "require_cryptographic_holder_binding": binding,
        }]});
        DcqlQuery::parse(&q).expect("a query").credentials.remove(0)
    }

    fn check() -> PresentationCheck<'static> {
        PresentationCheck {
            client_id: CLIENT,
            nonce: "n-0S6",
            now: NOW,
            max_age: 300,
        }
    }

    fn verify(vp: &str, issuer: &SigningKey, q: &CredentialQuery) -> Result<Value, String> {
        let opened = open_presentation(vp, q, &check())?;
        let v = verify_vc_jwt(
            &opened.credential,
            issuer.public_key(),
            opened.holder.as_ref(),
            q,
            NOW,
        )?;
        Ok(Value::Object(v.claims))
    }

    #[test]
    fn a_presentation_discloses_only_what_the_query_asks() {
        let (issuer, holder) = (key(), key());
        let vp = present_vc_jwt(&credential(&issuer, &holder), &holder, CLIENT, "n-0S6", NOW);
        let claims = verify(&vp, &issuer, &query(true)).expect("verifies");
        assert_eq!(claims, json!({"credentialSubject": {"name": "Alice"}}));
    }

    #[test]
    fn the_openid4vp_example_form_with_a_vp_claim_is_accepted() {
        let (issuer, holder) = (key(), key());
        let vp = sign_compact_with_jwk(
            &holder,
            "JWT",
            &json!({
                "iss": did_jwk(holder.public_key()), "aud": CLIENT, "nonce": "n-0S6", "iat": NOW,
                "vp": {"@context": ["https://www.w3.org/2018/credentials/v1"],
                       "type": ["VerifiablePresentation"],
                       "verifiableCredential": [credential(&issuer, &holder)]},
            }),
        );
        assert!(verify(&vp, &issuer, &query(true)).is_ok());
    }

    /// A Data Model 1.1 JWT (`vc` claim, `typ` JWT) about `holder`'s `did:jwk`, with `extra`
    /// JWT claims or `vc` members.
    fn credential_v1(issuer: &SigningKey, holder: &SigningKey, extra: &Value) -> String {
        let mut payload = json!({
            "iss": "did:example:issuer", "sub": did_jwk(holder.public_key()),
            "jti": "urn:uuid:3978344f", "nbf": NOW - 10, "iat": NOW - 10, "exp": NOW + 3600,
            "vc": {"@context": [super::super::v1::CREDENTIALS_V1],
                   "type": ["VerifiableCredential", "EmployeeCredential"],
                   "issuanceDate": "2027-01-15T08:00:00Z",
                   "credentialSubject": {"name": "Alice", "email": "alice@example.com"}},
        });
        for (name, value) in extra.as_object().into_iter().flatten() {
            match name.strip_prefix("vc.") {
                Some(member) => payload["vc"][member] = value.clone(),
                None => payload[name.as_str()] = value.clone(),
            }
        }
        let header = JwsHeader {
            alg: "ES256".into(),
            kid: Some("did:example:issuer#key-1".into()),
            typ: Some("JWT".into()),
            crit: None,
            jwk: None,
            x5c: None,
        };
        sign_with_header(issuer, &header, &payload)
    }

    /// The OpenID4VP 1.0 example form: a JWT whose `vp` claim lists `vc`, by `holder`.
    fn vp_claim(holder: &SigningKey, vc: &str) -> String {
        sign_compact_with_jwk(
            holder,
            "JWT",
            &json!({
                "iss": did_jwk(holder.public_key()), "aud": CLIENT, "nonce": "n-0S6", "iat": NOW,
                "vp": {"@context": ["https://www.w3.org/2018/credentials/v1"],
                       "type": ["VerifiablePresentation"], "verifiableCredential": [vc]},
            }),
        )
    }

    #[test]
    fn data_model_1_1_credentials_from_other_issuers_are_accepted() {
        let (issuer, holder) = (key(), key());
        let vc = credential_v1(&issuer, &holder, &json!({}));
        assert_eq!(
            credential_signer(&vc).expect("a signer").0,
            "did:example:issuer"
        );
        let claims = verify(&vp_claim(&holder, &vc), &issuer, &query(true)).expect("verifies");
        assert_eq!(claims, json!({"credentialSubject": {"name": "Alice"}}));
        // Presented in the 2.0 envelope, and bound by the subject's DID either way.
        let enveloped = present_vc_jwt(&vc, &holder, CLIENT, "n-0S6", NOW);
        assert!(verify(&enveloped, &issuer, &query(true)).is_ok());

        let cases = [
            (json!({"nbf": NOW + 600}), "not valid yet"),
            (
                json!({"vc.issuanceDate": "2030-01-01T00:00:00Z"}),
                "not valid yet",
            ),
            (json!({"exp": NOW - 1}), "expired"),
            (
                json!({"vc.expirationDate": "2026-01-01T00:00:00Z"}),
                "expired",
            ),
            (json!({"vc.issuer": "did:example:other"}), "iss"),
            (
                json!({"vc.@context": ["https://www.w3.org/2018/credentials/examples/v1"]}),
                "@context",
            ),
            (
                json!({"vc.credentialStatus": {"type": "RevocationList2020Status",
                    "statusPurpose": "revocation", "revocationListIndex": "7",
                    "revocationListCredential": "https://issuer.example/status/1"}}),
                "RevocationList2020Status status cannot be checked",
            ),
        ];
        for (extra, why) in cases {
            let vc = credential_v1(&issuer, &holder, &extra);
            let err = verify(&vp_claim(&holder, &vc), &issuer, &query(true)).expect_err(why);
            assert!(err.contains(why), "{why}: {err}");
        }
        // A Status List 2021 entry is handed on to be read, like a Bitstring one.
        let listed = json!({"vc.credentialStatus": {"type": "StatusList2021Entry",
            "statusPurpose": "revocation", "statusListIndex": "7",
            "statusListCredential": "https://issuer.example/status/1"}});
        let listed = credential_v1(&issuer, &holder, &listed);
        let verified = verify_vc_jwt(
            &listed,
            issuer.public_key(),
            Some(holder.public_key()),
            &query(true),
            NOW,
        )
        .expect("verifies");
        assert_eq!(verified.status.len(), 1);
        let stranger = key();
        let err = verify(&vp_claim(&stranger, &vc), &issuer, &query(true)).expect_err("bound");
        assert!(err.contains("bound"), "{err}");
    }

    #[test]
    fn wrong_audience_nonce_time_holder_or_issuer_is_refused() {
        let (issuer, holder, other) = (key(), key(), key());
        let vc = credential(&issuer, &holder);
        let q = query(true);
        let cases = [
            (
                present_vc_jwt(&vc, &holder, "x509_san_dns:evil", "n-0S6", NOW),
                "aud",
            ),
            (present_vc_jwt(&vc, &holder, CLIENT, "other", NOW), "nonce"),
            (
                present_vc_jwt(&vc, &holder, CLIENT, "n-0S6", NOW + 600),
                "future",
            ),
            (
                present_vc_jwt(&vc, &holder, CLIENT, "n-0S6", NOW - 3600),
                "too old",
            ),
            (present_vc_jwt(&vc, &other, CLIENT, "n-0S6", NOW), "bound"),
        ];
        for (vp, why) in cases {
            let err = verify(&vp, &issuer, &q).expect_err(why);
            assert!(err.contains(why), "{why}: {err}");
        }
        let vp = present_vc_jwt(&vc, &holder, CLIENT, "n-0S6", NOW);
        assert!(
            verify(&vp, &other, &q)
                .expect_err("refused")
                .contains("signature")
        );
        let mut parts: Vec<String> = vc.split('.').map(str::to_owned).collect();
        parts[1] = sigil_core::b64url_encode(b"{\"vc\":{}}");
        let tampered = parts.join(".");
        let vp = present_vc_jwt(&tampered, &holder, CLIENT, "n-0S6", NOW);
        assert!(verify(&vp, &issuer, &q).is_err());
    }

    #[test]
    fn a_bare_credential_answers_only_queries_without_holder_binding() {
        let (issuer, holder) = (key(), key());
        let vc = credential(&issuer, &holder);
        assert!(
            verify(&vc, &issuer, &query(true))
                .expect_err("refused")
                .contains("holder")
        );
        assert!(verify(&vc, &issuer, &query(false)).is_ok());
    }

    #[test]
    fn the_query_type_must_match() {
        let (issuer, holder) = (key(), key());
        let vp = present_vc_jwt(&credential(&issuer, &holder), &holder, CLIENT, "n-0S6", NOW);
        let q = json!({"credentials": [{
            "id": "degree", "format": "jwt_vc_json",
            "meta": {"type_values": [["UniversityDegreeCredential"], ["VerifiableCredential", "Other"]]},
        }]});
        let q = DcqlQuery::parse(&q).expect("a query").credentials.remove(0);
        assert!(
            verify(&vp, &issuer, &q)
                .expect_err("refused")
                .contains("does not answer")
        );
    }
}
