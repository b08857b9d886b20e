//! The token endpoint: one module per grant type. Each grant checks its own parameters,
//! mints its tokens, and stores what must survive in one transaction.

pub mod authorization_code;
pub mod client_credentials;
pub mod device_code;
pub mod mint;
pub mod refresh_token;

use std::time::Duration;

use serde_json::json;
use sigil_core::model::{
    AuditEvent, AuditKind, Authentication, Client, GrantType, RefreshToken, TokenFamily, User,
};
use sigil_core::{Digest32, ScopeSet, SessionId, UnixTime, UserId};
use sigil_store::{Issue, SessionClient};
use sigil_vc::wallet_attestation::PresentedAttestation;

use self::mint::{AccessGrant, IdGrant, TokenResponse, access_token, id_token};
use crate::error::{ErrorCode, OAuthError};
use crate::params::Params;
use crate::provider::{Provider, TenantCtx};

/// The headers of a token request that carry credentials and proofs.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokenHeaders<'a> {
    /// `Authorization`: HTTP Basic client authentication.
    pub authorization: Option<&'a str>,
    /// `DPoP` (RFC 9449), which binds the credential access tokens of wallets.
    pub dpop: Option<&'a str>,
    /// A wallet's attestation and its proof of possession (`attest_jwt_client_auth`).
    pub client_attestation: Option<PresentedAttestation<'a>>,
}

impl Provider {
    /// Handles a token request.
    pub async fn token(
        &self,
        t: &TenantCtx,
        params: &Params,
        sent: TokenHeaders<'_>,
    ) -> Result<TokenResponse, OAuthError> {
        let TokenHeaders {
            authorization,
            dpop,
            client_attestation,
        } = sent;
        let grant_name = params.require("grant_type")?;
        if grant_name == sigil_vc::offer::PRE_AUTHORIZED_GRANT && self.issues_credentials() {
            // Wallets redeem credential offers anonymously or with a wallet attestation.
            let wallet = self
                .attested_wallet(t, client_attestation, params.get("client_id"))
                .await?;
            let response = self
                .pre_authorized_code_grant(t, params, dpop, wallet.as_ref())
                .await?;
            metrics::counter!("sigil_tokens_issued_total", "grant_type" => "pre-authorized_code")
                .increment(1);
            return Ok(response);
        }
        let grant = GrantType::parse(grant_name).ok_or_else(|| {
            OAuthError::new(ErrorCode::UnsupportedGrantType, "unsupported grant_type")
        })?;
        let client = self.authenticate_client(t, authorization, params).await?;
        let attested = self.attested_client(t, client_attestation, &client).await?;
        if !client.allows_grant(grant) {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "the client may not use this grant type",
            ));
        }
        let response = match grant {
            GrantType::AuthorizationCode => {
                self.authorization_code_grant(t, &client, params, (dpop, attested))
                    .await
            }
            GrantType::RefreshToken => self.refresh_token_grant(t, &client, params).await,
            GrantType::ClientCredentials => self.client_credentials_grant(t, &client, params).await,
            GrantType::DeviceCode => self.device_code_grant(t, &client, params).await,
        }?;
        metrics::counter!("sigil_tokens_issued_total", "grant_type" => grant.as_str()).increment(1);
        Ok(response)
    }

    /// A grant's code or refresh token was presented again: revoke every token it produced.
    pub(crate) async fn revoke_replayed_grant(
        &self,
        t: &TenantCtx,
        client: &Client,
        grant_id: &str,
        access_jti: &str,
    ) -> Result<(), OAuthError> {
        let access_ttl = self.config.tokens.access_token_ttl;
        self.revoke_replayed_grant_lasting(t, client, (grant_id, access_jti), access_ttl)
            .await
    }

    /// [`Self::revoke_replayed_grant`], for an access token usable for `access_ttl` seconds
    /// after it was issued (the revocation is kept that long).
    pub(crate) async fn revoke_replayed_grant_lasting(
        &self,
        t: &TenantCtx,
        client: &Client,
        (grant_id, access_jti): (&str, &str),
        access_ttl: u64,
    ) -> Result<(), OAuthError> {
        let now = self.now();
        tracing::warn!(tenant = %t.id, client_id = %client.id, "replay of a used code or refresh token; revoking its grant");
        let audit = AuditEvent::new(
            &t.id,
            now,
            AuditKind::ReplayDetected,
            format!("client:{}", client.id),
        )
        .client(&client.id)
        .failure()
        .details(json!({"grant_id": grant_id}));
        self.store
            .revoke_family(&t.id, grant_id, now, &audit)
            .await?;
        // The first access token of the grant may have no refresh token to find it by.
        let access_exp = now.plus(Duration::from_secs(access_ttl));
        let revoked = AuditEvent::new(&t.id, now, AuditKind::TokenRevoked, "system")
            .client(&client.id)
            .details(json!({"grant_id": grant_id, "token_type": "access_token"}));
        self.store
            .revoke_access_token(&t.id, access_jti, access_exp, &revoked)
            .await?;
        Ok(())
    }

    /// The user a grant is for, if they still exist and may sign in.
    pub(crate) async fn active_user(&self, t: &TenantCtx, id: &UserId) -> Result<User, OAuthError> {
        self.store
            .get_user(&t.id, id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or_else(|| OAuthError::invalid_grant("the user is no longer active"))
    }

    /// Idle lifetime of a client's refresh tokens.
    pub(crate) fn refresh_idle_ttl(&self, client: &Client) -> Duration {
        Duration::from_secs(if client.is_public() {
            self.config.tokens.public_refresh_token_idle_ttl
        } else {
            self.config.tokens.refresh_token_idle_ttl
        })
    }

    /// Whether a grant of `scopes` to `client` comes with a refresh token: the client must
    /// use the refresh grant, and OpenID Connect requests must ask for `offline_access`.
    pub(crate) fn issues_refresh_token(client: &Client, scopes: &ScopeSet) -> bool {
        client.allows_grant(GrantType::RefreshToken)
            && (scopes.contains("offline_access") || !scopes.contains("openid"))
    }

    /// Mints the tokens of a user grant's first issuance (a code or a device code): access
    /// token, ID token for OpenID Connect, and a new refresh-token family when one is due.
    /// Returns the response and what must be stored with the redemption.
    pub(crate) async fn mint_user_grant(
        &self,
        t: &TenantCtx,
        client: &Client,
        user: &User,
        grant: UserGrant<'_>,
    ) -> Result<(TokenResponse, Issue), OAuthError> {
        let now = self.now();
        let ring = self.keyring(&t.id).await?;
        let ttl = self.config.tokens.access_token_ttl;
        let (access, access_exp) = access_token(
            t,
            &ring,
            AccessGrant {
                sub: user.id.as_str(),
                client_id: client.id.as_str(),
                audience: grant.audience.clone(),
                scopes: grant.scopes,
                jti: grant.access_jti.to_owned(),
                auth: Some(grant.auth),
            },
            now,
            ttl,
        )?;
        let id_token = if grant.scopes.contains("openid") {
            let id = IdGrant {
                client,
                user,
                auth: grant.auth,
                scopes: grant.scopes,
                nonce: grant.nonce,
                sid: Some(grant.session_id),
                access_token: &access,
            };
            Some(id_token(
                t,
                &ring,
                id,
                now,
                self.config.tokens.id_token_ttl,
            )?)
        } else {
            None
        };
        let mut issue = Issue::default();
        let mut refresh_token = None;
        if Self::issues_refresh_token(client, grant.scopes) {
            let family = TokenFamily {
                tenant: t.id.clone(),
                id: grant.grant_id.to_owned(),
                client_id: client.id.clone(),
                user_id: user.id.clone(),
                session_id: Some(grant.session_id.clone()),
                scopes: grant.scopes.clone(),
                auth_time: grant.auth.auth_time,
                amr: grant.auth.amr.clone(),
                acr: grant.auth.acr.clone(),
                audience: grant.audience,
                created_at: now,
                expires_at: now.plus(Duration::from_secs(
                    self.config.tokens.refresh_token_absolute_ttl,
                )),
                revoked_at: None,
            };
            let secret = sigil_core::random::secret_token();
            let token = RefreshToken {
                tenant: t.id.clone(),
                digest: Digest32::of(&secret),
                family_id: family.id.clone(),
                scopes: family.scopes.clone(),
                issued_at: now,
                expires_at: now
                    .plus(self.refresh_idle_ttl(client))
                    .min(family.expires_at),
                used_at: None,
                access_jti: grant.access_jti.to_owned(),
                access_expires_at: access_exp,
            };
            issue.family = Some(family);
            issue.refresh = Some(token);
            refresh_token = Some(secret);
        }
        if id_token.is_some() {
            issue.session_client = Some(SessionClient {
                tenant: t.id.clone(),
                session_id: grant.session_id.clone(),
                client_id: client.id.clone(),
                joined_at: now,
            });
        }
        let response = TokenResponse {
            access_token: access,
            token_type: "Bearer",
            expires_in: ttl,
            scope: grant.scopes.to_string(),
            refresh_token,
            id_token,
            authorization_details: None,
        };
        Ok((response, issue))
    }
}

/// The first issuance of a user grant.
pub(crate) struct UserGrant<'a> {
    pub auth: &'a Authentication,
    pub scopes: &'a ScopeSet,
    pub nonce: Option<String>,
    pub session_id: &'a SessionId,
    pub grant_id: &'a str,
    pub access_jti: &'a str,
    pub audience: Vec<String>,
}

/// The audit event of an issuance.
pub(crate) fn issued_event(
    t: &TenantCtx,
    now: UnixTime,
    client: &Client,
    user: Option<&User>,
    grant: GrantType,
    scopes: &ScopeSet,
) -> AuditEvent {
    let mut e = AuditEvent::new(
        &t.id,
        now,
        AuditKind::TokenIssued,
        format!("client:{}", client.id),
    )
    .client(&client.id)
    .details(json!({"grant_type": grant.as_str(), "scope": scopes.to_string()}));
    if let Some(u) = user {
        e = e.user(&u.id);
    }
    e
}
