//! The nonce, credential and notification endpoints (OpenID4VCI 1.0 §7, §8, §11).

use std::time::Duration;

use serde::Serialize;
use serde_json::json;
use sigil_core::model::{Artifact, ArtifactKind, AuditEvent, AuditKind};
use sigil_core::{Digest32, UserId, random};
use sigil_keys::DecodedJws;
use sigil_store::Issuance;
use sigil_vc::VciError;
use sigil_vc::encryption::ResponseEncryption;
use sigil_vc::key_attestation::{AttestationCheck, key_attestation_header, verify_key_attestation};
use sigil_vc::proof::{HolderKey, ProofCheck, unverified_nonce, verify_jwt_proof};
use sigil_vc::request::{CredentialRequest, Notification, Proofs, Requested, VciErrorCode};
use sigil_vc::sd_jwt_vc::{Contents, StatusEntry, issue_sd_jwt_vc};
use sigil_vc::types::{CredentialFormat, CredentialType, UserFacts};
use sigil_vc::w3c::status::{BitstringEntry, StatusPurpose};
use sigil_vc::w3c::{W3cContents, issue_vc_jwt};

use super::encryption::RequestBody;
use super::offers::CredentialAccessClaims;
use super::status::PublishedList;
use super::{CREDENTIAL_ACCESS_TOKEN_TYP, IssuerError, PROOF_ALGS};
use crate::dpop::PresentedToken;
use crate::error::{ErrorCode, OAuthError};
use crate::provider::{Provider, TenantCtx};
use sigil_vc::metadata::{CREDENTIAL_PATH, NOTIFICATION_PATH};

/// Longest access token accepted.
const MAX_TOKEN_LEN: usize = 8 * 1024;

/// One credential of a response.
#[derive(Debug, Clone, Serialize)]
pub struct IssuedCopy {
    /// The SD-JWT VC with every disclosure, or the W3C credential's JWT.
    pub credential: String,
}

/// The credential (or deferred credential) endpoint's response (§8.3, §9.2): the
/// credentials, or a transaction to ask about again; encrypted to the wallet when it asked.
#[derive(Debug, Clone, Serialize)]
pub struct CredentialResponse {
    /// The key the response is to be encrypted to, when the wallet asked.
    #[serde(skip)]
    pub encrypt_to: Option<ResponseEncryption>,
    /// One credential per key proof.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub credentials: Vec<IssuedCopy>,
    /// For the notification endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification_id: Option<String>,
    /// The deferred transaction, when the credentials are not issued yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// Seconds to wait before asking the deferred credential endpoint again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<u64>,
}

impl CredentialResponse {
    /// A deferral (HTTP 202).
    pub(super) fn deferred(transaction_id: String, interval: u64) -> Self {
        CredentialResponse {
            encrypt_to: None,
            credentials: Vec::new(),
            notification_id: None,
            transaction_id: Some(transaction_id),
            interval: Some(interval),
        }
    }

    /// The response, to be encrypted to `to` when the wallet asked.
    pub(super) fn encrypted_to(self, to: Option<ResponseEncryption>) -> Self {
        CredentialResponse {
            encrypt_to: to,
            ..self
        }
    }

    /// The body as sent: the JSON, or a compact JWE of it to the wallet's key (then the
    /// content type is `application/jwt`).
    pub fn body(&self) -> Result<(String, &'static str), sigil_keys::KeyError> {
        let json = serde_json::to_string(self).unwrap_or_default();
        match &self.encrypt_to {
            None => Ok((json, "application/json")),
            Some(to) => Ok((to.seal(json.as_bytes())?, "application/jwt")),
        }
    }

    /// Whether the credentials are deferred (answered with HTTP 202).
    pub fn is_deferred(&self) -> bool {
        self.transaction_id.is_some()
    }
}

/// Checks the key attestation a `jwt` proof carries in its header, which must attest the
/// proof's own key.
fn attested_proof(
    proof: &str,
    holder: &HolderKey,
    check: &AttestationCheck<'_>,
) -> Result<(), VciError> {
    let attestation = key_attestation_header(proof)?.ok_or_else(|| {
        VciError::proof(
            "this credential requires a key attestation in each proof (key_attestation)",
        )
    })?;
    let attested = verify_key_attestation(&attestation, check, true).and_then(|attested| {
        if attested.iter().any(|k| k.key == holder.key) {
            Ok(())
        } else {
            Err(VciError::proof(
                "the proof's key is not one its key attestation attests",
            ))
        }
    });
    count_attestation("key", attested.is_ok());
    attested
}

/// Counts a key or wallet attestation (`kind`) by whether it was accepted.
pub(crate) fn count_attestation(kind: &'static str, accepted: bool) {
    let outcome = if accepted { "accepted" } else { "refused" };
    metrics::counter!("sigil_attestations_total", "kind" => kind, "outcome" => outcome)
        .increment(1);
}

/// `credential_request_denied`.
pub(super) fn denied(why: &str) -> VciError {
    VciError::new(VciErrorCode::CredentialRequestDenied, why)
}

impl Provider {
    /// A fresh `c_nonce` (§7), single use, for the key proofs of one credential request.
    pub async fn credential_nonce(&self, t: &TenantCtx) -> Result<String, OAuthError> {
        let nonce = random::secret_token();
        let now = self.now();
        let artifact = Artifact {
            tenant: t.id.clone(),
            kind: ArtifactKind::CredentialNonce,
            key: Digest32::of(&nonce),
            payload: json!({}),
            expires_at: now.plus(Duration::from_secs(self.config.credentials.nonce_ttl)),
            consumed_at: None,
        };
        self.store.put_artifact(&artifact, now).await?;
        Ok(nonce)
    }

    /// Verifies a credential access token presented at `path` (signature, type, issuer,
    /// audience, expiry, revocation list, DPoP binding).
    async fn verify_credential_token(
        &self,
        t: &TenantCtx,
        presented: &PresentedToken<'_>,
        path: &str,
    ) -> Result<CredentialAccessClaims, OAuthError> {
        let (claims, expired) = self.decode_credential_token(t, presented, path).await?;
        if expired {
            return Err(OAuthError::invalid_token("the access token has expired"));
        }
        Ok(claims)
    }

    /// Verifies a credential access token presented at `path` but its expiry (signature,
    /// type, issuer, audience, revocation list, DPoP binding); its claims, and whether it has
    /// expired.
    pub(super) async fn decode_credential_token(
        &self,
        t: &TenantCtx,
        presented: &PresentedToken<'_>,
        path: &str,
    ) -> Result<(CredentialAccessClaims, bool), OAuthError> {
        let invalid = OAuthError::invalid_token;
        let jws = DecodedJws::decode(presented.token, MAX_TOKEN_LEN)
            .map_err(|_| invalid("the access token is malformed"))?;
        if !jws.has_typ(CREDENTIAL_ACCESS_TOKEN_TYP) {
            return Err(invalid("the token is not a credential access token"));
        }
        self.verify_own(&t.id, &jws)
            .await
            .map_err(|_| invalid("the access token signature is invalid"))?;
        let claims: CredentialAccessClaims = jws
            .claims()
            .map_err(|_| invalid("the access token claims are malformed"))?;
        if claims.iss != t.issuer || claims.aud != t.issuer {
            return Err(invalid("the access token is for another issuer"));
        }
        let expired = claims.exp <= self.now().0;
        if self
            .store
            .is_access_token_revoked(&t.id, &claims.jti)
            .await?
        {
            return Err(invalid("the access token was revoked"));
        }
        let jkt = claims.cnf.as_ref().map(|c| c.jkt.as_str());
        self.check_token_binding(t, presented, jkt, path).await?;
        Ok((claims, expired))
    }

    /// The credential endpoint: one credential (SD-JWT VC or W3C, as its type says) per key
    /// proof, each bound to its proof's key and given its own status list entry.
    pub async fn issue_credentials(
        &self,
        t: &TenantCtx,
        presented: &PresentedToken<'_>,
        body: RequestBody<'_>,
    ) -> Result<CredentialResponse, IssuerError> {
        let claims = self
            .verify_credential_token(t, presented, CREDENTIAL_PATH)
            .await?;
        let cfg = &self.config.credentials;
        let (json, envelope) = self.open_request(t, body).await?;
        let request = CredentialRequest::parse(&json, cfg.batch_size, envelope)?;
        let encrypt_to = request.response_encryption.clone();
        let (ty, credential_id) = self.requested_credential(t, &claims, &request).await?;
        let holders = self.check_proofs(t, &ty, &request.proofs).await?;
        if ty.approval_required
            && let Some(deferred) = self
                .defer_unapproved(t, &claims, &ty, &credential_id, &holders)
                .await?
        {
            return Ok(deferred.encrypted_to(encrypt_to));
        }
        let response = self
            .deliver(t, &claims.sub, &ty, &credential_id, &holders)
            .await?;
        Ok(response.encrypted_to(encrypt_to))
    }

    /// Issues credential `credential_id` of type `ty` about user `sub`, one copy per holder
    /// key.
    pub(super) async fn deliver(
        &self,
        t: &TenantCtx,
        sub: &str,
        ty: &CredentialType,
        credential_id: &str,
        holders: &[HolderKey],
    ) -> Result<CredentialResponse, IssuerError> {
        let user_id = UserId::parse(sub)
            .map_err(|_| OAuthError::invalid_token("the access token names no user"))?;
        let user = self
            .store
            .get_user(&t.id, &user_id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or_else(|| denied("the user is no longer active"))?;
        let groups = self
            .store
            .list_groups_of_users(&t.id, std::slice::from_ref(&user.id))
            .await?;
        let facts = UserFacts {
            sub: user.id.to_string(),
            username: user.username.clone(),
            name: user.name.clone(),
            // Only an address the user proved is attested.
            email: user.email.clone().filter(|_| user.email_verified),
            groups: groups.into_iter().map(|(_, g)| g.name).collect(),
            attributes: user.attributes.clone(),
        };
        let credentials = self
            .sign_copies(t, ty, credential_id, (&user.id, &facts), holders)
            .await?;
        metrics::counter!("sigil_credentials_issued_total", "format" => ty.format.as_str())
            .increment(credentials.len() as u64);
        Ok(CredentialResponse {
            encrypt_to: None,
            credentials,
            notification_id: Some(credential_id.to_owned()),
            transaction_id: None,
            interval: None,
        })
    }

    /// The credential type and credential (record) a request names, as its token grants:
    /// by `credential_identifier` when the token response gave identifiers, by
    /// `credential_configuration_id` otherwise (§8.2).
    async fn requested_credential(
        &self,
        t: &TenantCtx,
        claims: &CredentialAccessClaims,
        request: &CredentialRequest,
    ) -> Result<(CredentialType, String), IssuerError> {
        let (detail, credential_id) = match &request.requested {
            Requested::Identifier(id) => {
                let detail = claims.identifier(id).filter(|_| claims.by_identifier);
                let detail = detail.ok_or_else(|| {
                    VciError::new(
                        VciErrorCode::UnknownCredentialIdentifier,
                        "the access token grants no credential by this identifier",
                    )
                })?;
                (detail, id.clone())
            }
            Requested::Configuration(_) if claims.by_identifier => {
                return Err(VciError::new(
                    VciErrorCode::InvalidCredentialRequest,
                    "name the credential by a credential_identifier from the token response",
                )
                .into());
            }
            Requested::Configuration(id) => {
                let detail = claims.configuration(id).ok_or_else(|| {
                    VciError::new(
                        VciErrorCode::UnknownCredentialConfiguration,
                        format!("the access token does not grant {id:?}"),
                    )
                })?;
                let first = detail.credential_identifiers.first().cloned();
                (detail, first.unwrap_or_default())
            }
        };
        let id = &detail.credential_configuration_id;
        let ty = self.credential_type(t, id).await?.ok_or_else(|| {
            VciError::new(
                VciErrorCode::UnknownCredentialConfiguration,
                format!("{id:?} is no longer issued"),
            )
        })?;
        Ok((ty, credential_id))
    }

    /// Spends the proofs' `c_nonce` and verifies the key proofs, which all must carry it:
    /// every `jwt` proof (each with a key attestation when type `ty` requires them), or the
    /// one `attestation` proof. The holder keys, one credential each.
    async fn check_proofs(
        &self,
        t: &TenantCtx,
        ty: &CredentialType,
        proofs: &Proofs,
    ) -> Result<Vec<HolderKey>, IssuerError> {
        let first = match proofs {
            Proofs::None => return Err(VciError::proof("a key proof is required").into()),
            Proofs::Jwt(jwts) => jwts.first().map(String::as_str).unwrap_or_default(),
            Proofs::Attestation(jwt) => jwt.as_str(),
        };
        let nonce = unverified_nonce(first)
            .ok_or_else(|| VciError::new(VciErrorCode::InvalidNonce, "the proof has no nonce"))?;
        let now = self.now();
        let spent = self
            .store
            .consume_artifact(
                &t.id,
                ArtifactKind::CredentialNonce,
                &Digest32::of(&nonce),
                now,
            )
            .await?;
        if spent.is_none() {
            return Err(VciError::new(
                VciErrorCode::InvalidNonce,
                "the c_nonce is unknown, expired or used: fetch a new one",
            )
            .into());
        }
        let cfg = &self.config.credentials;
        let attestation = ty.key_attestation.as_ref().map(|policy| AttestationCheck {
            policy,
            nonce: &nonce,
            now: now.0,
            max_age: cfg.proof_max_age as i64,
            algs: &PROOF_ALGS,
            max_keys: cfg.batch_size,
        });
        let jwts = match (proofs, &attestation) {
            (Proofs::Attestation(jwt), Some(check)) => {
                let keys = verify_key_attestation(jwt, check, false);
                count_attestation("key", keys.is_ok());
                return Ok(keys?);
            }
            (Proofs::Attestation(_), None) => {
                return Err(VciError::proof(format!(
                    "{} takes jwt proofs, not key attestations alone",
                    ty.id
                ))
                .into());
            }
            (Proofs::Jwt(jwts), _) => jwts,
            (Proofs::None, _) => return Err(VciError::proof("a key proof is required").into()),
        };
        let check = ProofCheck {
            audience: &t.issuer,
            nonce: Some(&nonce),
            now: now.0,
            max_age: cfg.proof_max_age as i64,
            algs: &PROOF_ALGS,
        };
        Ok(jwts
            .iter()
            .map(|p| {
                let holder = verify_jwt_proof(p, &check)?;
                if let Some(attestation) = &attestation {
                    attested_proof(p, &holder, attestation)?;
                }
                Ok(holder)
            })
            .collect::<Result<Vec<_>, VciError>>()?)
    }

    async fn sign_copies(
        &self,
        t: &TenantCtx,
        ty: &CredentialType,
        credential_id: &str,
        (user, facts): (&UserId, &UserFacts),
        holders: &[HolderKey],
    ) -> Result<Vec<IssuedCopy>, IssuerError> {
        let now = self.now();
        let key = self.es256_signer(&t.id, now).await?;
        let audit = AuditEvent::new(&t.id, now, AuditKind::CredentialIssued, "wallet")
            .user(user)
            .details(json!({
                "credential_id": credential_id,
                "type": ty.id,
                "copies": holders.len(),
            }));
        let issuance = Issuance {
            credential_id,
            copies: holders.len(),
            list_size: self.config.credentials.status_list_size,
            expires_at: now.plus(Duration::from_secs(ty.lifetime_secs)),
            now,
        };
        let slots = self
            .store
            .record_issuance(&t.id, &issuance, &audit)
            .await?
            .ok_or_else(|| denied("the credential was suspended or revoked"))?;
        let values = ty.claim_values(facts);
        let x5c = self.issuer_x5c(t, &key, now).await?;
        let issuer = self.credential_issuer_id(t);
        let built = |e: sigil_sdjwt::SdJwtError| {
            IssuerError::Token(OAuthError::new(
                ErrorCode::ServerError,
                format!("the credential could not be built: {e}"),
            ))
        };
        slots
            .iter()
            .zip(holders)
            .map(|(slot, holder)| {
                let credential = match ty.format {
                    CredentialFormat::SdJwtVc => {
                        let status = StatusEntry {
                            uri: self.status_list_url(t, &slot.list_id),
                            idx: slot.idx,
                        };
                        let contents = Contents {
                            issuer: &issuer,
                            values: values.clone(),
                            holder_jwk: &holder.jwk,
                            status: &status,
                            now: now.0,
                            x5c: x5c.as_deref(),
                        };
                        issue_sd_jwt_vc(&key, ty, contents)
                            .map_err(built)?
                            .compact()
                    }
                    CredentialFormat::JwtVcJson => {
                        let status = StatusPurpose::ALL.map(|purpose| BitstringEntry {
                            purpose,
                            index: slot.idx,
                            list_credential: self.published_list_url(
                                t,
                                &slot.list_id,
                                PublishedList::Bitstring(purpose),
                            ),
                        });
                        let contents = W3cContents {
                            issuer: &issuer,
                            values: values.clone(),
                            holder: &holder.key,
                            status: &status,
                            now: now.0,
                            x5c: x5c.as_deref(),
                        };
                        issue_vc_jwt(&key, ty, contents)
                    }
                };
                Ok(IssuedCopy { credential })
            })
            .collect()
    }

    /// The notification endpoint (§11): the wallet says what became of the credentials of
    /// one response.
    pub async fn credential_notification(
        &self,
        t: &TenantCtx,
        presented: &PresentedToken<'_>,
        body: &[u8],
    ) -> Result<(), IssuerError> {
        let claims = self
            .verify_credential_token(t, presented, NOTIFICATION_PATH)
            .await?;
        let notification = Notification::parse(body)?;
        if claims.identifier(&notification.notification_id).is_none() {
            return Err(VciError::new(
                VciErrorCode::InvalidNotificationId,
                "the notification_id is not one this token received",
            )
            .into());
        }
        let mut audit = AuditEvent::new(&t.id, self.now(), AuditKind::CredentialNotified, "wallet")
            .details(json!({
                "credential_id": notification.notification_id,
                "event": notification.event,
                "description": notification.description,
            }));
        if let Ok(user) = UserId::parse(&claims.sub) {
            audit = audit.user(&user);
        }
        if notification.event == "credential_failure" {
            audit = audit.failure();
        }
        self.audit.record(audit);
        Ok(())
    }
}
