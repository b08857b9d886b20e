//! Deferred issuance (OpenID4VCI 1.0 §9): a credential whose type needs an administrator's
//! approval is not issued at the credential endpoint. The wallet's request (its proven holder
//! keys) is kept under a `transaction_id`, the credential becomes `pending`, and the wallet
//! asks the deferred credential endpoint every `interval` seconds until an administrator
//! approves (it is then issued to those keys) or revokes it (the request is denied).
//!
//! Approval can take longer than an access token lives, and Sigil gives wallets no refresh
//! tokens: the token that started a transaction still collects that transaction (and nothing
//! else) after it expires, while the transaction lasts. What it collects is bound to the keys
//! the wallet proved when it asked, so the token alone is of no use to anyone else.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sigil_core::model::{
    Artifact, ArtifactKind, AuditEvent, AuditKind, CredentialState, CredentialStatus,
    IssuedCredential,
};
use sigil_core::{Digest32, TenantId, random};
use sigil_keys::PublicKey;
use sigil_vc::VciError;
use sigil_vc::proof::HolderKey;
use sigil_vc::request::{DeferredRequest, VciErrorCode};
use sigil_vc::types::CredentialType;

use super::IssuerError;
use super::encryption::RequestBody;
use super::issuance::{CredentialResponse, denied};
use super::offers::CredentialAccessClaims;
use crate::admin::AdminError;
use crate::dpop::PresentedToken;
use crate::error::{ErrorCode, OAuthError};
use crate::provider::{Provider, TenantCtx};
use sigil_vc::metadata::DEFERRED_PATH;

/// What a deferred transaction keeps until the wallet collects it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct DeferredIssuance {
    credential_id: String,
    type_id: String,
    /// The user (the token's `sub`).
    sub: String,
    /// The `jti` of the token that asked.
    jti: String,
    /// The public JWKs of the holder keys the wallet proved.
    holders: Vec<Map<String, Value>>,
}

fn unknown_transaction() -> VciError {
    VciError::new(
        VciErrorCode::InvalidTransactionId,
        "the transaction is unknown, collected or expired",
    )
}

impl Provider {
    /// Defers a request for a credential of an approval-requiring type that is not approved
    /// yet: the deferred response, or `None` when it may be issued now.
    pub(super) async fn defer_unapproved(
        &self,
        t: &TenantCtx,
        claims: &CredentialAccessClaims,
        ty: &CredentialType,
        credential_id: &str,
        holders: &[HolderKey],
    ) -> Result<Option<CredentialResponse>, IssuerError> {
        let record = self
            .store
            .get_credential(&t.id, credential_id)
            .await?
            .filter(|c| c.status == CredentialStatus::Valid)
            .ok_or_else(|| denied("the credential was suspended or revoked"))?;
        let now = self.now();
        match record.state {
            CredentialState::Approved | CredentialState::Issued => return Ok(None),
            CredentialState::Pending => {}
            CredentialState::Offered => {
                let audit =
                    AuditEvent::new(&t.id, now, AuditKind::CredentialApprovalRequested, "wallet")
                        .user(&record.user_id)
                        .details(json!({"credential_id": credential_id, "type": ty.id}));
                // A concurrent request may have made it pending already: pending either way.
                self.store
                    .set_credential_state(
                        &t.id,
                        credential_id,
                        CredentialState::Offered,
                        CredentialState::Pending,
                        now,
                        &audit,
                    )
                    .await?;
            }
        }
        let transaction_id = random::secret_token();
        let pending = DeferredIssuance {
            credential_id: credential_id.to_owned(),
            type_id: ty.id.clone(),
            sub: claims.sub.clone(),
            jti: claims.jti.clone(),
            holders: holders.iter().map(|h| h.jwk.clone()).collect(),
        };
        let cfg = &self.config.credentials;
        let artifact = Artifact {
            tenant: t.id.clone(),
            kind: ArtifactKind::DeferredIssuance,
            key: Digest32::of(&transaction_id),
            payload: serde_json::to_value(&pending).unwrap_or_default(),
            expires_at: now.plus(Duration::from_secs(cfg.deferred_ttl)),
            consumed_at: None,
        };
        self.store.put_artifact(&artifact, now).await?;
        Ok(Some(CredentialResponse::deferred(
            transaction_id,
            cfg.deferred_interval,
        )))
    }

    /// The deferred credential endpoint (§9): the credentials once approved, the same
    /// transaction again while pending, `credential_request_denied` once revoked.
    pub async fn deferred_credential(
        &self,
        t: &TenantCtx,
        presented: &PresentedToken<'_>,
        body: RequestBody<'_>,
    ) -> Result<CredentialResponse, IssuerError> {
        let (claims, expired) = self
            .decode_credential_token(t, presented, DEFERRED_PATH)
            .await?;
        let (json, envelope) = self.open_request(t, body).await?;
        let request = DeferredRequest::parse(&json, envelope)?;
        let response = self
            .collect_deferred(t, (&claims, expired), request.transaction_id)
            .await?;
        Ok(response.encrypted_to(request.response_encryption))
    }

    /// The deferred transaction `transaction_id`, collected with the token of `claims`.
    async fn collect_deferred(
        &self,
        t: &TenantCtx,
        (claims, expired): (&CredentialAccessClaims, bool),
        transaction_id: String,
    ) -> Result<CredentialResponse, IssuerError> {
        let key = Digest32::of(&transaction_id);
        let now = self.now();
        let kind = ArtifactKind::DeferredIssuance;
        let artifact = self
            .store
            .get_artifact(&t.id, kind, &key, now)
            .await?
            .filter(|a| a.consumed_at.is_none())
            .ok_or_else(unknown_transaction)?;
        let pending: DeferredIssuance =
            serde_json::from_value(artifact.payload).map_err(|_| unknown_transaction())?;
        if pending.jti != claims.jti {
            if expired {
                return Err(OAuthError::invalid_token("the access token has expired").into());
            }
            if claims.identifier(&pending.credential_id).is_none() {
                return Err(VciError::new(
                    VciErrorCode::InvalidTransactionId,
                    "the transaction is not one this token may collect",
                )
                .into());
            }
        }
        let record = self
            .store
            .get_credential(&t.id, &pending.credential_id)
            .await?
            .filter(|c| c.status == CredentialStatus::Valid);
        let Some(record) = record else {
            self.store.consume_artifact(&t.id, kind, &key, now).await?;
            return Err(denied("the credential was suspended or revoked").into());
        };
        if matches!(
            record.state,
            CredentialState::Offered | CredentialState::Pending
        ) {
            let interval = self.config.credentials.deferred_interval;
            return Ok(CredentialResponse::deferred(transaction_id, interval));
        }
        if self
            .store
            .consume_artifact(&t.id, kind, &key, now)
            .await?
            .is_none()
        {
            return Err(unknown_transaction().into());
        }
        let ty = self
            .credential_type(t, &pending.type_id)
            .await?
            .ok_or_else(|| denied("the credential's type is no longer issued"))?;
        let holders = pending
            .holders
            .into_iter()
            .map(|jwk| PublicKey::from_jwk(&jwk).map(|key| HolderKey { key, jwk }))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| {
                OAuthError::new(
                    ErrorCode::ServerError,
                    "a deferred holder key is unreadable",
                )
            })?;
        self.deliver(t, &pending.sub, &ty, &pending.credential_id, &holders)
            .await
    }

    /// Approves a credential that waits for it (or is still only offered, approving it
    /// ahead); returns it as it now is.
    pub async fn approve_credential(
        &self,
        tenant: &TenantId,
        actor: &str,
        id: &str,
    ) -> Result<IssuedCredential, AdminError> {
        let current = self
            .store
            .get_credential(tenant, id)
            .await?
            .ok_or(AdminError::NotFound("credential"))?;
        let now = self.now();
        let audit = AuditEvent::new(tenant, now, AuditKind::CredentialApproved, actor)
            .user(&current.user_id)
            .details(json!({"credential_id": id, "from": current.state.as_str()}));
        let waiting = matches!(
            current.state,
            CredentialState::Offered | CredentialState::Pending
        );
        if current.status != CredentialStatus::Valid || !waiting {
            return Err(AdminError::Invalid {
                field: "action",
                message: format!(
                    "only a valid credential not yet issued can be approved; this one is {} and {}",
                    current.status.as_str(),
                    current.state.as_str()
                ),
            });
        }
        let approved = CredentialState::Approved;
        if !self
            .store
            .set_credential_state(tenant, id, current.state, approved, now, &audit)
            .await?
        {
            return Err(AdminError::Stale("credential"));
        }
        Ok(IssuedCredential {
            state: approved,
            updated_at: now,
            ..current
        })
    }
}
