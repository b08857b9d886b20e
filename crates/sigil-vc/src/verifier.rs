//! The verifier's side of OpenID4VP 1.0, free of HTTP and storage: verifiers and their DCQL
//! queries, client identifiers with their prefixes, the request object, and the checks every
//! SD-JWT VC presentation goes through (issuer signature, disclosures, key binding to this
//! request, validity, what the query asked for). Status lists and issuer keys are looked up
//! by the caller, which may need the network.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sigil_keys::jws::JwsHeader;
use sigil_keys::{DecodedJws, PublicKey};
use sigil_sdjwt::{KeyBinding, Presentation};

use crate::dcql::{CredentialQuery, DcqlQuery};
use crate::sd_jwt_vc::{SD_JWT_VC, StatusEntry};
use crate::types::EMPLOYEE;

/// `typ` of a signed request object (RFC 9101).
pub const REQUEST_OBJECT_TYP: &str = "oauth-authz-req+jwt";
/// The `aud` of a request object for a wallet that is not known in advance (SIOPv2 §9).
pub const SELF_ISSUED_AUDIENCE: &str = "https://self-issued.me/v2";
/// The URL scheme wallets register for presentation requests.
pub const REQUEST_SCHEME: &str = "openid4vp://";
/// The identifier of the ready-made verifier.
pub const EMPLOYEE_CHECK: &str = "employee-check";
/// How far in the future an issuer's `nbf` or `iat` may be (clock skew), seconds.
const SKEW: i64 = 60;

/// A verifier an administrator defined: what it asks for and whom it trusts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifierConfig {
    /// Identifier.
    pub id: String,
    /// Shown to the holder.
    pub name: String,
    /// What is asked for.
    pub dcql_query: DcqlQuery,
    /// Credential issuer identifiers whose credentials are accepted: URLs (keys from their
    /// JWT VC issuer metadata) or DIDs (`did:jwk`, `did:key`, `did:web`).
    pub accepted_issuers: Vec<String>,
    /// X.509 trust anchors (PEM or base64 DER): a credential whose `x5c` chain leads to one
    /// and names its issuer is accepted, whoever the issuer is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trust_anchors: Vec<String>,
}

impl VerifierConfig {
    /// The query as the verifier asks it: its DCQL query, each credential query that names
    /// no trusted authorities given the key identifiers of the verifier's trust anchors as
    /// an `aki` Trusted Authorities Query (OpenID4VP 1.0 §6.1.1.1, which HAIP requires), so
    /// that wallets offer only credentials those anchors certify. A verifier without anchors
    /// (it lists issuers instead) asks its query as written.
    pub fn request_query(&self) -> DcqlQuery {
        let mut query = self.dcql_query.clone();
        let ids: Vec<String> = crate::trust::parse_anchors(&self.trust_anchors)
            .unwrap_or_default()
            .iter()
            .filter_map(|der| crate::trust::subject_key_id(der))
            .collect();
        if ids.is_empty() || !self.accepted_issuers.is_empty() {
            return query;
        }
        for credential in &mut query.credentials {
            credential.trusted_authorities.get_or_insert_with(|| {
                vec![crate::dcql::TrustedAuthority {
                    kind: crate::dcql::AKI.into(),
                    values: ids.clone(),
                }]
            });
        }
        query
    }

    /// The ready-made `employee-check` verifier of an issuer at URL `issuer`: the `employee`
    /// credential's name and e-mail address, from this issuer only, whose credentials name it
    /// `issued_as` (its URL, or its DID) or, issued before it took a DID, by its URL.
    pub fn employee_check(issuer: &str, issued_as: &str) -> Self {
        let issuer = issuer.trim_end_matches('/');
        let query = json!({"credentials": [{
            "id": EMPLOYEE,
            "format": SD_JWT_VC,
            "meta": {"vct_values": [format!("{issuer}/vct/{EMPLOYEE}")]},
            "claims": [{"path": ["name"]}, {"path": ["email"]}],
        }]});
        let issued_as = issued_as.trim_end_matches('/');
        let mut accepted_issuers = vec![issuer.to_owned()];
        if issued_as != issuer {
            accepted_issuers.push(issued_as.to_owned());
        }
        VerifierConfig {
            id: EMPLOYEE_CHECK.into(),
            name: "Employee check".into(),
            dcql_query: DcqlQuery::parse(&query).unwrap_or_else(|_| DcqlQuery {
                credentials: Vec::new(),
                credential_sets: None,
            }),
            accepted_issuers,
            trust_anchors: Vec::new(),
        }
    }
}

/// How the verifier identifies itself to the wallet (OpenID4VP 1.0 §5.9.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientIdPrefix {
    /// `x509_hash:<SHA-256 of the certificate>`; the request object is signed with its key.
    X509Hash,
    /// `x509_san_dns:<DNS name in the certificate>`; signed likewise.
    X509SanDns,
    /// `redirect_uri:<response URI>`; the request object is not signed.
    RedirectUri,
}

impl ClientIdPrefix {
    /// Reads `x509_hash`, `x509_san_dns` or `redirect_uri`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "x509_hash" => Some(ClientIdPrefix::X509Hash),
            "x509_san_dns" => Some(ClientIdPrefix::X509SanDns),
            "redirect_uri" => Some(ClientIdPrefix::RedirectUri),
            _ => None,
        }
    }

    /// Whether the request object is signed with the certificate's key.
    pub fn signs(self) -> bool {
        self != ClientIdPrefix::RedirectUri
    }
}

/// The response modes Sigil accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseMode {
    /// The wallet POSTs `vp_token` and `state` as a form.
    #[serde(rename = "direct_post")]
    DirectPost,
    /// The wallet POSTs `response`, a JWE of them, encrypted to the request's key.
    #[serde(rename = "direct_post.jwt")]
    DirectPostJwt,
}

impl ResponseMode {
    /// The `response_mode` value.
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseMode::DirectPost => "direct_post",
            ResponseMode::DirectPostJwt => "direct_post.jwt",
        }
    }

    /// Reads a `response_mode` value.
    pub fn parse(text: &str) -> Option<Self> {
        [ResponseMode::DirectPost, ResponseMode::DirectPostJwt]
            .into_iter()
            .find(|m| m.as_str() == text)
    }
}

/// The link that hands a wallet a request by reference.
pub fn request_link(client_id: &str, request_uri: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .append_pair("request_uri", request_uri)
        .finish();
    format!("{REQUEST_SCHEME}?{query}")
}

/// The link that carries a request by value (the `redirect_uri` prefix, whose requests are
/// not signed): the request object's parameters in the query, JSON ones as JSON text.
pub fn request_link_by_value(request: &Value) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in request.as_object().into_iter().flatten() {
        if ["iss", "aud", "iat", "exp"].contains(&name.as_str()) {
            continue;
        }
        match value {
            Value::String(text) => query.append_pair(name, text),
            other => query.append_pair(name, &other.to_string()),
        };
    }
    format!("{REQUEST_SCHEME}?{}", query.finish())
}

/// What goes into one request object.
#[derive(Debug, Clone)]
pub struct RequestParams<'a> {
    /// The client identifier, with its prefix.
    pub client_id: &'a str,
    /// Where the wallet posts its response.
    pub response_uri: &'a str,
    /// How.
    pub response_mode: ResponseMode,
    /// The nonce the key-binding JWT must carry.
    pub nonce: &'a str,
    /// The request's state (its id).
    pub state: &'a str,
    /// What is asked for.
    pub query: &'a DcqlQuery,
    /// The verifier's name.
    pub name: &'a str,
    /// The public key a `direct_post.jwt` response is encrypted to.
    pub encryption_jwk: Option<Map<String, Value>>,
    /// Issued at, and expiry, Unix seconds.
    pub iat: i64,
    /// Expiry.
    pub exp: i64,
}

/// The request object's claims (OpenID4VP 1.0 §5).
pub fn request_object(p: &RequestParams<'_>) -> Value {
    let algs = ["ES256", "EdDSA", "PS256", "RS256"];
    let mut metadata = json!({
        "client_name": p.name,
        "vp_formats_supported": {
            SD_JWT_VC: {"sd-jwt_alg_values": algs, "kb-jwt_alg_values": algs},
            crate::w3c::JWT_VC_JSON: {"alg_values": algs},
        },
    });
    if let Some(jwk) = &p.encryption_jwk {
        metadata["jwks"] = json!({"keys": [jwk]});
        metadata["encrypted_response_enc_values_supported"] = json!(["A128GCM", "A256GCM"]);
    }
    json!({
        "iss": p.client_id,
        "aud": SELF_ISSUED_AUDIENCE,
        "client_id": p.client_id,
        "response_type": "vp_token",
        "response_mode": p.response_mode.as_str(),
        "response_uri": p.response_uri,
        "nonce": p.nonce,
        "state": p.state,
        "dcql_query": p.query,
        "client_metadata": metadata,
        "iat": p.iat,
        "exp": p.exp,
    })
}

/// What a presentation must be bound to.
#[derive(Debug, Clone)]
pub struct PresentationCheck<'a> {
    /// The client identifier, with its prefix: the KB-JWT's `aud`.
    pub client_id: &'a str,
    /// The request's nonce.
    pub nonce: &'a str,
    /// Now, Unix seconds.
    pub now: i64,
    /// How old a KB-JWT may be, seconds.
    pub max_age: i64,
}

/// Where a credential's status is published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusReference {
    /// An entry in a Token Status List (SD-JWT VCs).
    TokenStatusList(StatusEntry),
    /// An entry in a Bitstring Status List (W3C credentials).
    Bitstring(crate::w3c::status::BitstringEntry),
}

/// A presentation that passed every check the caller does not do itself.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedPresentation {
    /// The credential's issuer.
    pub issuer: String,
    /// The claims the query asked for, and only those.
    pub claims: Map<String, Value>,
    /// Where its statuses are published.
    pub status: Vec<StatusReference>,
}

impl VerifiedPresentation {
    /// A verified credential of `format` with `claims`, as far as it answers `query`: only
    /// the claims asked for, or why it does not answer.
    pub(crate) fn answering(
        query: &CredentialQuery,
        format: &str,
        claims: &Map<String, Value>,
        issuer: String,
        status: Vec<StatusReference>,
    ) -> Result<Self, String> {
        let answered = query.answer(format, claims).ok_or_else(|| {
            format!(
                "the credential does not answer query {:?}: a type or claim asked for is missing",
                query.id
            )
        })?;
        Ok(VerifiedPresentation {
            issuer,
            claims: answered,
            status,
        })
    }
}

/// The issuer (`iss`) and key id (`kid`) of a presentation, read before verification so the
/// caller can find the key.
pub fn presented_issuer(text: &str) -> Result<(String, Option<String>), String> {
    presented_signer(text).map(|(iss, header)| (iss, header.kid))
}

/// The issuer (`iss`) and the issuer-signed JWT's header (`kid`, `x5c`) of a presentation,
/// read before verification so the caller can find and trust the key.
pub fn presented_signer(text: &str) -> Result<(String, JwsHeader), String> {
    let presentation = Presentation::parse(text).map_err(|e| e.to_string())?;
    let jws = DecodedJws::decode(presentation.jwt, 256 * 1024)
        .map_err(|_| "the credential is not a JWS with an accepted algorithm".to_owned())?;
    let claims: Map<String, Value> = jws
        .claims()
        .map_err(|_| "the credential's payload is not a JSON object".to_owned())?;
    let iss = claims
        .get("iss")
        .and_then(Value::as_str)
        .ok_or("the credential names no issuer")?;
    Ok((iss.to_owned(), jws.header))
}

/// Verifies an SD-JWT VC presentation for credential query `query`, with the issuer's key
/// already found: signature, `typ`, disclosures, key binding (`aud`, `nonce`, `iat`,
/// `sd_hash`), `nbf`/`exp`, and that it answers the query.
pub fn verify_sd_jwt_vc(
    text: &str,
    issuer_key: &PublicKey,
    query: &CredentialQuery,
    check: &PresentationCheck<'_>,
) -> Result<VerifiedPresentation, String> {
    let presentation = Presentation::parse(text).map_err(|e| e.to_string())?;
    let jws = DecodedJws::decode(presentation.jwt, 256 * 1024)
        .map_err(|_| "the credential is not a JWS with an accepted algorithm".to_owned())?;
    if !jws.has_typ(SD_JWT_VC) {
        return Err(format!("the credential's typ is not {SD_JWT_VC}"));
    }
    let binding = KeyBinding {
        audience: check.client_id,
        nonce: check.nonce,
        now: check.now,
        max_age: check.max_age,
    };
    let bind = query.requires_holder_binding() || presentation.kb_jwt.is_some();
    let verified = sigil_sdjwt::verify(text, issuer_key, bind.then_some(&binding))
        .map_err(|e| e.to_string())?;
    let claims = verified.claims;
    let time = |name: &str| claims.get(name).and_then(Value::as_i64);
    if time("exp").is_some_and(|exp| exp <= check.now) {
        return Err("the credential has expired".into());
    }
    if time("nbf").is_some_and(|nbf| nbf > check.now + SKEW) {
        return Err("the credential is not valid yet".into());
    }
    let issuer = claims
        .get("iss")
        .and_then(Value::as_str)
        .ok_or("the credential names no issuer")?
        .to_owned();
    let status = claims
        .get("status")
        .and_then(|s| s.get("status_list"))
        .map(|entry| {
            let uri = entry.get("uri").and_then(Value::as_str);
            let idx = entry.get("idx").and_then(Value::as_u64);
            match (uri, idx) {
                (Some(uri), Some(idx)) => Ok(StatusReference::TokenStatusList(StatusEntry {
                    uri: uri.to_owned(),
                    idx,
                })),
                _ => Err("the credential's status entry is malformed".to_owned()),
            }
        })
        .transpose()?
        .into_iter()
        .collect();
    VerifiedPresentation::answering(query, SD_JWT_VC, &claims, issuer, status)
}
