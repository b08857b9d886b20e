//! The OpenID4VCI authorization code flow (§3.4, §5, §6): a wallet registered as a client asks
//! Sigil's authorization endpoint for credentials, with `authorization_details` of type
//! `openid_credential` and, when it holds an offer made by sign-in, that offer's
//! `issuer_state`, or with the `scope` a configuration advertises (§5.1.2). The user signs in
//! and approves; the code is then exchanged for a credential access token and (unless the
//! wallet asked by scope alone) the `credential_identifiers` the credential endpoint takes.
//!
//! Without `issuer_state` (the wallet starts on its own), any credential type not marked
//! `offer_required` may be asked for: the credential says what the issuer knows of the user
//! who signed in, and is issued only to a wallet that user approved.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sigil_core::model::{
    ArtifactKind, AuditEvent, AuditKind, Client, GrantType, IssuedCredential, User,
};
use sigil_core::{Digest32, ScopeSet, UserId, random};

use crate::authorize::request::AuthorizationRequest;
use sigil_vc::authorization::{CredentialAuthorization, parse_authorization_details};
use sigil_vc::types::CredentialType;

use super::offers::{CredentialTokenGrant, PendingOffer, issuer_state_key};
use crate::authorize::code::CodePayload;
use crate::authorize::request::is_credential_request;
use crate::error::{ErrorCode, OAuthError};
use crate::grants::issued_event;
use crate::grants::mint::TokenResponse;
use crate::params::Params;
use crate::provider::{Provider, TenantCtx};

/// The credentials an authorization request asks for, kept with the interaction and the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialGrant {
    /// What was asked for, one detail per credential configuration.
    pub details: Vec<CredentialAuthorization>,
    /// The offer the request continues, when it carried `issuer_state`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<OfferBinding>,
    /// Whether the wallet asked by `scope` alone: the token response then names no
    /// `credential_identifiers`, and credentials are requested by configuration id (§6.2).
    #[serde(default)]
    pub by_scope: bool,
}

/// An offer an authorization request continues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferBinding {
    /// The key of the offer's stored state (the digest of `issuer_state`), base64url.
    pub state_key: String,
    /// The user the offer was made to: only they can redeem it.
    pub user_id: UserId,
}

impl CredentialGrant {
    /// Why `user`, signed in, cannot have these credentials: the offer was made to someone else.
    pub(crate) fn refusal_for(&self, user: &User) -> Option<OAuthError> {
        let offer = self.offer.as_ref()?;
        (offer.user_id != user.id).then(|| {
            OAuthError::new(
                ErrorCode::AccessDenied,
                "this credential offer was made to another user",
            )
        })
    }
}

fn details_error(description: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidAuthorizationDetails, description.into())
}

impl Provider {
    /// Reads the credential part of an authorization request (`authorization_details`,
    /// `issuer_state`, credential scopes) against the tenant's credential `types`: `None`
    /// when it asks for no credentials.
    pub(crate) async fn credential_grant(
        &self,
        t: &TenantCtx,
        params: &Params,
        req: &AuthorizationRequest,
        types: &[CredentialType],
    ) -> Result<Option<CredentialGrant>, OAuthError> {
        let by_scope = !is_credential_request(params);
        if by_scope && req.credential_scopes.is_empty() {
            return Ok(None);
        }
        if !self.issues_credentials() {
            return Err(details_error("this server issues no credentials"));
        }
        // RFC 8707: a wallet may name the credential issuer as the resource it wants.
        if params.get("resource").is_some_and(|r| r != t.issuer) {
            return Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                "the resource of a credential request is this credential issuer",
            ));
        }
        let (asked, issuer_state) = (
            params.get("authorization_details"),
            params.get("issuer_state"),
        );
        if !req.scopes.is_empty() {
            return Err(OAuthError::invalid_request(
                "a credential request carries no scope but those of credential configurations",
            ));
        }
        let offer = match issuer_state {
            Some(state) => Some(self.offer_of_state(t, state).await?),
            None => None,
        };
        let mut details = match (asked, &offer) {
            (Some(text), _) => {
                parse_authorization_details(text, &t.issuer).map_err(details_error)?
            }
            (None, Some((_, pending))) => pending
                .configuration_ids
                .iter()
                .map(|id| CredentialAuthorization::granted(id, None, Vec::new()))
                .collect(),
            (None, None) => Vec::new(),
        };
        for id in &req.credential_scopes {
            if !details.iter().any(|d| &d.credential_configuration_id == id) {
                details.push(CredentialAuthorization::granted(id, None, Vec::new()));
            }
        }
        for detail in &details {
            let id = &detail.credential_configuration_id;
            let ty = types
                .iter()
                .find(|ty| &ty.id == id)
                .ok_or_else(|| details_error(format!("no credential configuration {id:?}")))?;
            match &offer {
                Some((_, pending)) if !pending.configuration_ids.contains(id) => {
                    return Err(details_error(format!("the offer does not include {id:?}")));
                }
                None if ty.offer_required => {
                    return Err(details_error(format!(
                        "{id:?} is issued only through a credential offer"
                    )));
                }
                _ => {}
            }
        }
        Ok(Some(CredentialGrant {
            details,
            offer: offer.map(|(key, pending)| OfferBinding {
                state_key: key.to_b64url(),
                user_id: pending.user_id,
            }),
            by_scope,
        }))
    }

    /// The offer behind an `issuer_state`, while it can be redeemed.
    async fn offer_of_state(
        &self,
        t: &TenantCtx,
        issuer_state: &str,
    ) -> Result<(Digest32, PendingOffer), OAuthError> {
        let unknown = || OAuthError::invalid_request("issuer_state is unknown, used or expired");
        if issuer_state.len() > 128 {
            return Err(unknown());
        }
        let key = issuer_state_key(issuer_state);
        let artifact = self
            .store
            .get_artifact(&t.id, ArtifactKind::CredentialOfferState, &key, self.now())
            .await?
            .filter(|a| a.consumed_at.is_none())
            .ok_or_else(unknown)?;
        let pending = serde_json::from_value(artifact.payload).map_err(|_| unknown())?;
        Ok((key, pending))
    }

    /// The display names of the credentials a grant asks for, for the consent page.
    pub(crate) async fn credential_names(
        &self,
        t: &TenantCtx,
        grant: &CredentialGrant,
    ) -> Result<Vec<String>, OAuthError> {
        let types = self.credential_types(t).await?;
        Ok(grant
            .details
            .iter()
            .map(|d| {
                types
                    .iter()
                    .find(|ty| ty.id == d.credential_configuration_id)
                    .and_then(|ty| ty.display.first())
                    .map_or_else(|| d.credential_configuration_id.clone(), |n| n.name.clone())
            })
            .collect())
    }

    /// The token endpoint's answer to a code that was issued for credentials: the code is
    /// spent (a replay revokes the token it gave), so is the offer it continues; each
    /// credential asked for gets its identifier.
    pub(crate) async fn redeem_credential_code(
        &self,
        t: &TenantCtx,
        client: &Client,
        code_key: &Digest32,
        (payload, grant): (&CodePayload, &CredentialGrant),
        dpop: Option<&str>,
    ) -> Result<TokenResponse, OAuthError> {
        let jkt = self.token_binding(t, dpop).await?;
        let now = self.now();
        let spent = self
            .store
            .consume_artifact(&t.id, ArtifactKind::AuthorizationCode, code_key, now)
            .await?;
        if spent.is_none() {
            self.revoke_code_grant(t, client, payload).await?;
            return Err(OAuthError::invalid_grant("the code was already used"));
        }
        let user = self.active_user(t, &payload.auth.user_id).await?;
        let credential_ids = match &grant.offer {
            Some(offer) => {
                let id = self.redeem_offer_state(t, offer).await?;
                vec![id; grant.details.len()]
            }
            None => self.open_credentials(t, client, &user, grant).await?,
        };
        let details = grant
            .details
            .iter()
            .zip(credential_ids)
            .map(|(d, id)| {
                CredentialAuthorization::granted(
                    &d.credential_configuration_id,
                    d.claims.clone(),
                    vec![id],
                )
            })
            .collect();
        let audit = issued_event(
            t,
            now,
            client,
            Some(&user),
            GrantType::AuthorizationCode,
            &ScopeSet::default(),
        );
        self.audit.record(audit);
        let token = CredentialTokenGrant {
            details,
            jti: payload.access_jti.clone(),
            by_identifier: !grant.by_scope,
            jkt,
        };
        self.credential_access_token(t, &user.id, token).await
    }

    /// Spends the offer an authorization request continued: its credential's id.
    async fn redeem_offer_state(
        &self,
        t: &TenantCtx,
        offer: &OfferBinding,
    ) -> Result<String, OAuthError> {
        let lapsed =
            || OAuthError::invalid_grant("the credential offer was already redeemed or has lapsed");
        let key = Digest32::from_b64url(&offer.state_key).ok_or_else(lapsed)?;
        let artifact = self
            .store
            .consume_artifact(&t.id, ArtifactKind::CredentialOfferState, &key, self.now())
            .await?
            .ok_or_else(lapsed)?;
        let pending: PendingOffer =
            serde_json::from_value(artifact.payload).map_err(|_| lapsed())?;
        Ok(pending.credential_id)
    }

    /// Records a credential (offered, not yet issued) per configuration a wallet asked for on
    /// its own: their ids.
    async fn open_credentials(
        &self,
        t: &TenantCtx,
        client: &Client,
        user: &User,
        grant: &CredentialGrant,
    ) -> Result<Vec<String>, OAuthError> {
        let now = self.now();
        let mut ids = Vec::with_capacity(grant.details.len());
        for detail in &grant.details {
            let credential = IssuedCredential::offered(
                &t.id,
                random::identifier(),
                &user.id,
                &detail.credential_configuration_id,
                now,
            );
            let audit = AuditEvent::new(&t.id, now, AuditKind::CredentialOffered, "wallet")
                .user(&user.id)
                .client(&client.id)
                .details(json!({
                    "credential_id": credential.id,
                    "type": credential.type_id,
                    "grant_type": "authorization_code",
                }));
            self.store.create_credential(&credential, &audit).await?;
            ids.push(credential.id);
        }
        Ok(ids)
    }
}
