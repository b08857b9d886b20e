//! Credential requests (OpenID4VCI 1.0 §8.2), notification requests (§11.1) and the errors
//! both endpoints answer with (§8.3.1.2, §11.3).

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::encryption::{Envelope, ResponseEncryption};

/// An error of the credential, nonce or notification endpoint, with the spec's code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {description}")]
pub struct VciError {
    /// The `error` code.
    pub code: VciErrorCode,
    /// The `error_description`.
    pub description: String,
}

/// The error codes of OpenID4VCI 1.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VciErrorCode {
    /// The request is malformed.
    InvalidCredentialRequest,
    /// The `credential_configuration_id` is not one the access token allows.
    UnknownCredentialConfiguration,
    /// The `credential_identifier` is not one the access token allows.
    UnknownCredentialIdentifier,
    /// A key proof is invalid.
    InvalidProof,
    /// A key proof's `nonce` is not a fresh `c_nonce`.
    InvalidNonce,
    /// Response encryption was asked for in a way Sigil does not do.
    InvalidEncryptionParameters,
    /// Issuance was refused (the user is gone, the credential revoked).
    CredentialRequestDenied,
    /// The notification names no issuance of this token.
    InvalidNotificationId,
    /// The notification request is malformed.
    InvalidNotificationRequest,
    /// The deferred credential request names no pending transaction of this token.
    InvalidTransactionId,
}

impl VciErrorCode {
    /// The code as sent.
    pub fn as_str(self) -> &'static str {
        match self {
            VciErrorCode::InvalidCredentialRequest => "invalid_credential_request",
            VciErrorCode::UnknownCredentialConfiguration => "unknown_credential_configuration",
            VciErrorCode::UnknownCredentialIdentifier => "unknown_credential_identifier",
            VciErrorCode::InvalidProof => "invalid_proof",
            VciErrorCode::InvalidNonce => "invalid_nonce",
            VciErrorCode::InvalidEncryptionParameters => "invalid_encryption_parameters",
            VciErrorCode::CredentialRequestDenied => "credential_request_denied",
            VciErrorCode::InvalidNotificationId => "invalid_notification_id",
            VciErrorCode::InvalidNotificationRequest => "invalid_notification_request",
            VciErrorCode::InvalidTransactionId => "invalid_transaction_id",
        }
    }
}

impl std::fmt::Display for VciErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl VciError {
    /// An error with a description.
    pub fn new(code: VciErrorCode, description: impl Into<String>) -> Self {
        VciError {
            code,
            description: description.into(),
        }
    }

    /// `invalid_credential_request`.
    pub fn request(description: impl Into<String>) -> Self {
        Self::new(VciErrorCode::InvalidCredentialRequest, description)
    }

    /// `invalid_proof`.
    pub fn proof(description: impl Into<String>) -> Self {
        Self::new(VciErrorCode::InvalidProof, description)
    }

    /// The JSON body (`{"error", "error_description"}`).
    pub fn body(&self) -> Value {
        serde_json::json!({"error": self.code.as_str(), "error_description": self.description})
    }
}

/// Which credential a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requested {
    /// A `credential_identifier` from the token response's `authorization_details`.
    Identifier(String),
    /// A `credential_configuration_id`.
    Configuration(String),
}

/// A parsed credential request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRequest {
    /// What is asked for.
    pub requested: Requested,
    /// The key proofs.
    pub proofs: Proofs,
    /// Where the response is to be encrypted, when it is.
    pub response_encryption: Option<ResponseEncryption>,
}

/// A parsed deferred credential request (§9.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeferredRequest {
    /// The transaction asked about.
    pub transaction_id: String,
    /// Where the response is to be encrypted, when it is (this request's own, §9.1).
    pub response_encryption: Option<ResponseEncryption>,
}

#[derive(Deserialize)]
struct RawRequest {
    credential_identifier: Option<Value>,
    credential_configuration_id: Option<Value>,
    proofs: Option<Value>,
    proof: Option<Value>,
    credential_response_encryption: Option<Value>,
}

fn text(value: Option<Value>, name: &str) -> Result<Option<String>, VciError> {
    match value {
        None => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s)),
        Some(_) => Err(VciError::request(format!(
            "{name} must be a non-empty string"
        ))),
    }
}

impl CredentialRequest {
    /// Reads a credential request body; `batch_size` is the most proofs one request may carry.
    pub fn parse(body: &[u8], batch_size: usize, envelope: Envelope) -> Result<Self, VciError> {
        let raw: RawRequest = serde_json::from_slice::<Value>(body)
            .ok()
            .filter(Value::is_object)
            .and_then(|v| serde_json::from_value(v).ok())
            .ok_or_else(|| VciError::request("the body must be a JSON object"))?;
        let response_encryption =
            ResponseEncryption::parse(raw.credential_response_encryption.as_ref(), envelope)?;
        if raw.proof.is_some() {
            return Err(VciError::request(
                "`proof` was replaced by `proofs` in OpenID4VCI 1.0",
            ));
        }
        let identifier = text(raw.credential_identifier, "credential_identifier")?;
        let configuration = text(
            raw.credential_configuration_id,
            "credential_configuration_id",
        )?;
        let requested = match (identifier, configuration) {
            (Some(id), None) => Requested::Identifier(id),
            (None, Some(id)) => Requested::Configuration(id),
            _ => {
                return Err(VciError::request(
                    "exactly one of credential_identifier and credential_configuration_id is required",
                ));
            }
        };
        let proofs = match raw.proofs {
            None => Proofs::None,
            Some(proofs) => Proofs::parse(proofs, batch_size)?,
        };
        Ok(CredentialRequest {
            requested,
            proofs,
            response_encryption,
        })
    }
}

/// The key proofs of a credential request (§8.2, Appendix F).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proofs {
    /// None were sent.
    None,
    /// `jwt` proofs, one credential each.
    Jwt(Vec<String>),
    /// One `attestation` proof: a key attestation that stands for its keys, one credential
    /// each.
    Attestation(String),
}

impl Proofs {
    fn parse(proofs: Value, batch_size: usize) -> Result<Self, VciError> {
        let Value::Object(proofs) = proofs else {
            return Err(VciError::request("proofs must be an object"));
        };
        let mut types = proofs.into_iter();
        let (Some((kind, list)), None) = (types.next(), types.next()) else {
            return Err(VciError::request("proofs must hold exactly one proof type"));
        };
        let Value::Array(list) = list else {
            return Err(VciError::request(format!("proofs.{kind} must be an array")));
        };
        let most = if kind == "attestation" { 1 } else { batch_size };
        if list.is_empty() || list.len() > most {
            return Err(VciError::request(format!(
                "proofs.{kind} must hold 1 to {most} proofs"
            )));
        }
        let jwts = list
            .into_iter()
            .map(|p| match p {
                Value::String(s) => Ok(s),
                _ => Err(VciError::proof(format!(
                    "each {kind} proof must be a string"
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        match kind.as_str() {
            "jwt" => Ok(Proofs::Jwt(jwts)),
            "attestation" => Ok(Proofs::Attestation(
                jwts.into_iter().next().unwrap_or_default(),
            )),
            _ => Err(VciError::proof(
                "only the jwt and attestation proof types are supported",
            )),
        }
    }
}

impl DeferredRequest {
    /// Reads a deferred credential request: its `transaction_id` and, as for credential
    /// requests, its `credential_response_encryption`.
    pub fn parse(body: &[u8], envelope: Envelope) -> Result<Self, VciError> {
        let object: Map<String, Value> = serde_json::from_slice(body)
            .map_err(|_| VciError::request("the body must be a JSON object"))?;
        let response_encryption =
            ResponseEncryption::parse(object.get("credential_response_encryption"), envelope)?;
        match object.get("transaction_id") {
            Some(Value::String(id)) if !id.is_empty() && id.len() <= 128 => Ok(DeferredRequest {
                transaction_id: id.clone(),
                response_encryption,
            }),
            _ => Err(VciError::request("transaction_id is required")),
        }
    }
}

/// A notification (§11.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The `notification_id` of a credential response.
    pub notification_id: String,
    /// `credential_accepted`, `credential_failure` or `credential_deleted`.
    pub event: String,
    /// What the wallet says happened.
    pub description: Option<String>,
}

/// The notification events of §11.1.
pub const NOTIFICATION_EVENTS: [&str; 3] = [
    "credential_accepted",
    "credential_failure",
    "credential_deleted",
];

impl Notification {
    /// Reads a notification body.
    pub fn parse(body: &[u8]) -> Result<Self, VciError> {
        let bad = |why: &str| VciError::new(VciErrorCode::InvalidNotificationRequest, why);
        let object: Map<String, Value> =
            serde_json::from_slice(body).map_err(|_| bad("the body must be a JSON object"))?;
        let string = |name: &str| object.get(name).and_then(Value::as_str).map(str::to_owned);
        let notification_id =
            string("notification_id").ok_or_else(|| bad("notification_id is required"))?;
        let event = string("event")
            .filter(|e| NOTIFICATION_EVENTS.contains(&e.as_str()))
            .ok_or_else(|| {
                bad("event must be credential_accepted, credential_failure or credential_deleted")
            })?;
        let description = string("event_description");
        if description.as_deref().is_some_and(|d| !d.is_ascii()) {
            return Err(bad("event_description must be ASCII"));
        }
        Ok(Notification {
            notification_id,
            event,
            description,
        })
    }
}
