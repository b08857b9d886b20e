//! `grant_type=client_credentials` (RFC 6749 §4.4): a confidential client gets a token for
//! itself. Nothing is written in the request; the audit event is batched.

use sigil_core::ScopeSet;
use sigil_core::model::{Client, GrantType};

use super::issued_event;
use super::mint::{AccessGrant, TokenResponse, access_token};
use crate::error::{ErrorCode, OAuthError};
use crate::params::Params;
use crate::provider::{Provider, TenantCtx};

/// Scopes that only make sense with a user; never granted to a client for itself.
const USER_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

fn granted_scopes(client: &Client, asked: Option<&str>) -> Result<ScopeSet, OAuthError> {
    match asked {
        None => Ok(ScopeSet::from_tokens(
            client.scopes.iter().filter(|s| !USER_SCOPES.contains(s)),
        )),
        Some(text) => {
            let asked = ScopeSet::parse(text).map_err(|e| OAuthError::invalid_scope(e.0))?;
            if asked
                .iter()
                .any(|s| USER_SCOPES.contains(&s) || !client.scopes.contains(s))
            {
                return Err(OAuthError::invalid_scope(
                    "a requested scope is not allowed for this client",
                ));
            }
            Ok(asked)
        }
    }
}

fn audience(
    t: &TenantCtx,
    client: &Client,
    asked: Option<&str>,
) -> Result<Vec<String>, OAuthError> {
    match asked {
        Some(r) if client.resources.iter().any(|x| x == r) => Ok(vec![r.to_owned()]),
        Some(_) => Err(OAuthError::new(
            ErrorCode::InvalidTarget,
            "resource is not allowed for this client",
        )),
        None => Ok(vec![
            client
                .resources
                .first()
                .cloned()
                .unwrap_or_else(|| t.issuer.clone()),
        ]),
    }
}

impl Provider {
    pub(crate) async fn client_credentials_grant(
        &self,
        t: &TenantCtx,
        client: &Client,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        if client.is_public() {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "public clients cannot use client_credentials",
            ));
        }
        let scopes = granted_scopes(client, params.get("scope"))?;
        let aud = audience(t, client, params.get("resource"))?;
        let now = self.now();
        let ring = self.keyring(&t.id).await?;
        let ttl = self.config.tokens.access_token_ttl;
        let (access, _) = access_token(
            t,
            &ring,
            AccessGrant {
                sub: client.id.as_str(),
                client_id: client.id.as_str(),
                audience: aud,
                scopes: &scopes,
                jti: sigil_core::random::identifier(),
                auth: None,
            },
            now,
            ttl,
        )?;
        self.audit.record(issued_event(
            t,
            now,
            client,
            None,
            GrantType::ClientCredentials,
            &scopes,
        ));
        Ok(TokenResponse {
            access_token: access,
            token_type: "Bearer",
            expires_in: ttl,
            scope: scopes.to_string(),
            refresh_token: None,
            id_token: None,
            authorization_details: None,
        })
    }
}
