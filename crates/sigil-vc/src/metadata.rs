//! What an issuer publishes: OpenID4VCI 1.0 Credential Issuer Metadata (§12.2), JWT VC
//! Issuer Metadata (SD-JWT VC §4.3: where verifiers find the issuer's keys) and SD-JWT VC
//! Type Metadata (§6: what a `vct` means and how to show it).

use serde_json::{Map, Value, json};
use sigil_keys::JwsAlg;

use crate::types::{CredentialFormat, CredentialType, Display};

/// The issuer's endpoints and abilities.
#[derive(Debug, Clone)]
pub struct IssuerInfo<'a> {
    /// The Credential Issuer Identifier (an https URL; Sigil's issuer).
    pub issuer: &'a str,
    /// The issuer's name, shown by wallets.
    pub name: &'a str,
    /// Most credentials one request may ask for.
    pub batch_size: usize,
    /// Algorithms Sigil signs credentials with.
    pub signing_algs: &'a [&'a str],
    /// Algorithms accepted in holder key proofs.
    pub proof_algs: &'a [JwsAlg],
    /// `credential_request_encryption` and `credential_response_encryption`, when offered.
    pub encryption: Option<(Value, Value)>,
}

impl IssuerInfo<'_> {
    /// An endpoint's URL under the issuer.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.issuer.trim_end_matches('/'))
    }
}

/// The path of the credential endpoint under the issuer.
pub const CREDENTIAL_PATH: &str = "/vci/credential";
/// The path of the nonce endpoint.
pub const NONCE_PATH: &str = "/vci/nonce";
/// The path of the notification endpoint.
pub const NOTIFICATION_PATH: &str = "/vci/notification";
/// The path of the deferred credential endpoint.
pub const DEFERRED_PATH: &str = "/vci/deferred_credential";

fn display_json(display: &[Display]) -> Value {
    json!(display)
}

/// Credential Issuer Metadata.
pub fn issuer_metadata(info: &IssuerInfo<'_>, types: &[CredentialType]) -> Value {
    let proof_algs: Vec<&str> = info.proof_algs.iter().map(|a| a.as_str()).collect();
    let configurations: Map<String, Value> = types
        .iter()
        .map(|ty| (ty.id.clone(), configuration(info, &proof_algs, ty)))
        .collect();
    let mut doc = json!({
        "credential_issuer": info.issuer,
        "credential_endpoint": info.endpoint(CREDENTIAL_PATH),
        "nonce_endpoint": info.endpoint(NONCE_PATH),
        "notification_endpoint": info.endpoint(NOTIFICATION_PATH),
        "deferred_credential_endpoint": info.endpoint(DEFERRED_PATH),
        "display": [{"name": info.name}],
        "credential_configurations_supported": configurations,
    });
    if let Some((request, response)) = &info.encryption {
        doc["credential_request_encryption"] = request.clone();
        doc["credential_response_encryption"] = response.clone();
    }
    // Batch issuance is announced only for batches of two or more (§12.2.4).
    if info.batch_size >= 2 {
        doc["batch_credential_issuance"] = json!({"batch_size": info.batch_size});
    }
    doc
}

/// The key proofs a configuration accepts (§12.2.4): `jwt` proofs; when it requires key
/// attestations, each names what it requires, and an `attestation` proof may stand for them.
fn proof_types(ty: &CredentialType, proof_algs: &[&str]) -> Value {
    let algs = json!({"proof_signing_alg_values_supported": proof_algs});
    match &ty.key_attestation {
        None => json!({"jwt": algs}),
        Some(policy) => {
            let mut attested = algs;
            attested["key_attestations_required"] = policy.metadata();
            json!({"jwt": attested, "attestation": attested})
        }
    }
}

/// One credential configuration: the format's own members (`vct`, or a W3C
/// `credential_definition`), what the issuer signs with and accepts as key proofs, and how
/// the credential and its claims are shown. W3C claims live in `credentialSubject`.
fn configuration(info: &IssuerInfo<'_>, proof_algs: &[&str], ty: &CredentialType) -> Value {
    let w3c = ty.format == CredentialFormat::JwtVcJson;
    let claims: Vec<Value> = ty
        .claims
        .iter()
        .map(|c| {
            let mut claim = if w3c {
                json!({"path": ["credentialSubject", c.name]})
            } else {
                json!({"path": [c.name]})
            };
            if !c.display.is_empty() {
                claim["display"] = json!(
                    c.display
                        .iter()
                        .map(|d| {
                            let mut shown = json!({"name": d.name});
                            if let Some(l) = &d.locale {
                                shown["locale"] = json!(l);
                            }
                            shown
                        })
                        .collect::<Vec<_>>()
                );
            }
            if !w3c && !c.disclosable {
                claim["mandatory"] = json!(true);
            }
            claim
        })
        .collect();
    let mut configuration = json!({
        "format": ty.format.as_str(),
        "scope": ty.id,
        "cryptographic_binding_methods_supported": ["jwk"],
        "credential_signing_alg_values_supported": info.signing_algs,
        "proof_types_supported": proof_types(ty, proof_algs),
        "credential_metadata": {
            "display": display_json(&ty.display),
            "claims": claims,
        },
    });
    if w3c {
        configuration["credential_definition"] = json!({"type": ty.w3c_types()});
    } else {
        configuration["vct"] = json!(ty.vct);
    }
    configuration
}

/// JWT VC Issuer Metadata: the issuer and its public keys.
pub fn jwt_vc_issuer_metadata(issuer: &str, jwks: Value) -> Value {
    json!({"issuer": issuer, "jwks": jwks})
}

/// SD-JWT VC Type Metadata of a credential type, served at its `vct`.
pub fn type_metadata(ty: &CredentialType) -> Value {
    let name = ty
        .display
        .first()
        .map(|d| d.name.clone())
        .unwrap_or_else(|| ty.id.clone());
    let claims: Vec<Value> = ty
        .claims
        .iter()
        .map(|c| {
            json!({
                "path": [c.name],
                "sd": if c.disclosable { "always" } else { "never" },
                "display": c.display.iter().map(|d| json!({
                    "locale": d.locale.as_deref().unwrap_or("en"),
                    "label": d.name,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "vct": ty.vct,
        "name": name,
        "display": ty.display.iter().map(|d| {
            let mut shown = json!({"locale": d.locale.as_deref().unwrap_or("en"), "name": d.name});
            if let Some(desc) = &d.description { shown["description"] = json!(desc); }
            shown
        }).collect::<Vec<_>>(),
        "claims": claims,
    })
}

/// The URL of an issuer's well-known document: the well-known segment goes between the
/// host and the issuer's path (RFC 8615, as OpenID4VCI §12.2.2 and SD-JWT VC §4.3 ask).
pub fn well_known_url(issuer: &str, name: &str) -> Option<String> {
    let parsed = url::Url::parse(issuer).ok()?;
    let path = parsed.path().trim_end_matches('/');
    let mut origin = parsed.origin().ascii_serialization();
    origin.push_str("/.well-known/");
    origin.push_str(name);
    origin.push_str(path);
    Some(origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn w3c_configurations_carry_a_credential_definition_and_subject_paths() {
        let info = IssuerInfo {
            issuer: "https://i.example",
            name: "I",
            batch_size: 1,
            signing_algs: &["ES256"],
            proof_algs: &[JwsAlg::ES256],
            encryption: None,
        };
        let ty = CredentialType {
            id: "badge".into(),
            format: CredentialFormat::JwtVcJson,
            vct: String::new(),
            vc_type: "EmployeeCredential".into(),
            ..CredentialType::employee("https://i.example")
        };
        let doc = issuer_metadata(&info, &[CredentialType::employee("https://i.example"), ty]);
        let badge = &doc["credential_configurations_supported"]["badge"];
        assert_eq!(badge["format"], "jwt_vc_json");
        assert_eq!(
            badge["credential_definition"],
            json!({"type": ["VerifiableCredential", "EmployeeCredential"]})
        );
        assert!(badge.get("vct").is_none());
        assert_eq!(
            badge["credential_metadata"]["claims"][0]["path"],
            json!(["credentialSubject", "name"])
        );
        let employee = &doc["credential_configurations_supported"]["employee"];
        assert_eq!(employee["format"], "dc+sd-jwt");
        assert_eq!(
            employee["credential_metadata"]["claims"][0]["path"],
            json!(["name"])
        );
    }

    #[test]
    fn well_known_goes_between_host_and_path() {
        assert_eq!(
            well_known_url("https://id.example.com", "openid-credential-issuer").as_deref(),
            Some("https://id.example.com/.well-known/openid-credential-issuer")
        );
        assert_eq!(
            well_known_url("https://id.example.com/t/acme", "jwt-vc-issuer").as_deref(),
            Some("https://id.example.com/.well-known/jwt-vc-issuer/t/acme")
        );
    }
}
