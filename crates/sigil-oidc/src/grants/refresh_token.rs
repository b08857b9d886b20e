//! `grant_type=refresh_token` (RFC 6749 §6, OAuth 2.1 §4.3, RFC 9700 §4.14): every use rotates
//! the token; presenting a rotated token again revokes its whole family, and only that family.

use sigil_core::model::{Client, GrantType, RefreshToken};
use sigil_core::{Digest32, ScopeSet};
use sigil_store::Redemption;

use super::issued_event;
use super::mint::{AccessGrant, IdGrant, TokenResponse, access_token, id_token};
use crate::error::OAuthError;
use crate::params::Params;
use crate::provider::{Provider, TenantCtx};
use sigil_core::model::Authentication;

impl Provider {
    pub(crate) async fn refresh_token_grant(
        &self,
        t: &TenantCtx,
        client: &Client,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        let presented = params.require("refresh_token")?;
        let digest = Digest32::of(presented);
        let now = self.now();
        let invalid =
            || OAuthError::invalid_grant("the refresh token is invalid, expired or revoked");
        let (token, family) = self
            .store
            .find_refresh_token(&t.id, &digest)
            .await?
            .ok_or_else(invalid)?;
        if family.client_id != client.id {
            return Err(invalid());
        }
        if token.used_at.is_some() {
            if family.revoked_at.is_none() {
                self.revoke_replayed_grant(t, client, &family.id, &token.access_jti)
                    .await?;
            }
            return Err(OAuthError::invalid_grant(
                "the refresh token was already used; its grant is revoked",
            ));
        }
        if family.revoked_at.is_some() || token.expires_at <= now || family.expires_at <= now {
            return Err(invalid());
        }
        let user = self.active_user(t, &family.user_id).await?;
        let scopes = match params.get("scope") {
            Some(s) => {
                let asked = ScopeSet::parse(s).map_err(|e| OAuthError::invalid_scope(e.0))?;
                if !asked.is_subset(&token.scopes) {
                    return Err(OAuthError::invalid_scope("scope exceeds what was granted"));
                }
                asked
            }
            None => token.scopes.clone(),
        };
        let auth = Authentication {
            user_id: user.id.clone(),
            auth_time: family.auth_time,
            amr: family.amr.clone(),
            acr: family.acr.clone(),
        };
        let ring = self.keyring(&t.id).await?;
        let ttl = self.config.tokens.access_token_ttl;
        let jti = sigil_core::random::identifier();
        let (access, access_exp) = access_token(
            t,
            &ring,
            AccessGrant {
                sub: user.id.as_str(),
                client_id: client.id.as_str(),
                audience: family.audience.clone(),
                scopes: &scopes,
                jti: jti.clone(),
                auth: Some(&auth),
            },
            now,
            ttl,
        )?;
        let id_token = if scopes.contains("openid") {
            Some(id_token(
                t,
                &ring,
                IdGrant {
                    client,
                    user: &user,
                    auth: &auth,
                    scopes: &scopes,
                    nonce: None,
                    sid: family.session_id.as_ref(),
                    access_token: &access,
                },
                now,
                self.config.tokens.id_token_ttl,
            )?)
        } else {
            None
        };
        let secret = sigil_core::random::secret_token();
        let next = RefreshToken {
            tenant: t.id.clone(),
            digest: Digest32::of(&secret),
            family_id: family.id.clone(),
            scopes: token.scopes.clone(),
            issued_at: now,
            expires_at: now
                .plus(self.refresh_idle_ttl(client))
                .min(family.expires_at),
            used_at: None,
            access_jti: jti,
            access_expires_at: access_exp,
        };
        let audit = issued_event(
            t,
            now,
            client,
            Some(&user),
            GrantType::RefreshToken,
            &scopes,
        );
        if self
            .store
            .rotate_refresh_token(&t.id, &digest, &next, &audit)
            .await?
            == Redemption::AlreadyUsed
        {
            self.revoke_replayed_grant(t, client, &family.id, &token.access_jti)
                .await?;
            return Err(OAuthError::invalid_grant(
                "the refresh token was already used; its grant is revoked",
            ));
        }
        Ok(TokenResponse {
            access_token: access,
            token_type: "Bearer",
            expires_in: ttl,
            scope: scopes.to_string(),
            refresh_token: Some(secret),
            id_token,
            authorization_details: None,
        })
    }
}
