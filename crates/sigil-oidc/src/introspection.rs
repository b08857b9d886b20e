//! Token introspection (RFC 7662) and revocation (RFC 7009), for JWT access tokens and opaque
//! refresh tokens alike. Only authenticated clients may call either.

use serde_json::{Map, Value, json};
use sigil_core::model::{AuditEvent, AuditKind, Client};
use sigil_core::{Digest32, UnixTime, UserId};

use crate::error::OAuthError;
use crate::params::Params;
use crate::provider::{Provider, TenantCtx};
use crate::tokens::AccessTokenClaims;

fn inactive() -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("active".into(), Value::Bool(false));
    m
}

fn looks_like_jwt(token: &str) -> bool {
    token.bytes().filter(|b| *b == b'.').count() == 2
}

impl Provider {
    /// Introspects a token for an authenticated client.
    pub async fn introspect(
        &self,
        t: &TenantCtx,
        params: &Params,
        authorization: Option<&str>,
    ) -> Result<Map<String, Value>, OAuthError> {
        let client = self.authenticate_client(t, authorization, params).await?;
        let token = params.require("token")?;
        if looks_like_jwt(token) {
            return match self.verify_access_token(t, token).await {
                Ok(claims) => self.describe_access_token(t, claims).await,
                Err(e) if e.code == crate::error::ErrorCode::InvalidToken => Ok(inactive()),
                Err(e) => Err(e),
            };
        }
        self.describe_refresh_token(t, &client, token).await
    }

    async fn username(&self, t: &TenantCtx, sub: &str) -> Result<Option<String>, OAuthError> {
        let Ok(id) = UserId::parse(sub) else {
            return Ok(None);
        };
        Ok(self
            .store
            .get_user(&t.id, &id)
            .await?
            .filter(|u| !u.disabled)
            .map(|u| u.username))
    }

    async fn describe_access_token(
        &self,
        t: &TenantCtx,
        c: AccessTokenClaims,
    ) -> Result<Map<String, Value>, OAuthError> {
        let username = if c.is_user_token() {
            match self.username(t, &c.sub).await? {
                Some(name) => Some(name),
                None => return Ok(inactive()),
            }
        } else {
            None
        };
        let mut body = json!({
            "active": true,
            "token_type": "Bearer",
            "scope": c.scope,
            "client_id": c.client_id,
            "sub": c.sub,
            "aud": c.aud,
            "iss": c.iss,
            "exp": c.exp,
            "iat": c.iat,
            "jti": c.jti,
        });
        if let Some(name) = username {
            body["username"] = Value::String(name);
        }
        if let Some(auth_time) = c.auth_time {
            body["auth_time"] = Value::from(auth_time);
        }
        Ok(body.as_object().cloned().unwrap_or_default())
    }

    async fn describe_refresh_token(
        &self,
        t: &TenantCtx,
        client: &Client,
        token: &str,
    ) -> Result<Map<String, Value>, OAuthError> {
        let now = self.now();
        let Some((rt, family)) = self
            .store
            .find_refresh_token(&t.id, &Digest32::of(token))
            .await?
        else {
            return Ok(inactive());
        };
        let live = rt.used_at.is_none()
            && family.revoked_at.is_none()
            && rt.expires_at > now
            && family.expires_at > now;
        if !live || family.client_id != client.id {
            return Ok(inactive());
        }
        let Some(username) = self.username(t, family.user_id.as_str()).await? else {
            return Ok(inactive());
        };
        let body = json!({
            "active": true,
            "token_type": "refresh_token",
            "scope": rt.scopes.to_string(),
            "client_id": family.client_id,
            "sub": family.user_id,
            "username": username,
            "iss": t.issuer,
            "exp": rt.expires_at.0,
            "iat": rt.issued_at.0,
            "auth_time": family.auth_time.0,
        });
        Ok(body.as_object().cloned().unwrap_or_default())
    }

    /// Revokes a token for an authenticated client. Unknown and invalid tokens are not an
    /// error (RFC 7009 §2.2); a token issued to another client is.
    pub async fn revoke(
        &self,
        t: &TenantCtx,
        params: &Params,
        authorization: Option<&str>,
    ) -> Result<(), OAuthError> {
        let client = self.authenticate_client(t, authorization, params).await?;
        let token = params.require("token")?;
        let now = self.now();
        let audit = AuditEvent::new(
            &t.id,
            now,
            AuditKind::TokenRevoked,
            format!("client:{}", client.id),
        )
        .client(&client.id);
        if looks_like_jwt(token) {
            let Ok(claims) = self.verify_access_token(t, token).await else {
                return Ok(());
            };
            if claims.client_id != client.id.as_str() {
                return Err(OAuthError::invalid_request(
                    "the token was issued to another client",
                ));
            }
            let audit = audit.details(json!({"token_type": "access_token", "jti": claims.jti}));
            self.store
                .revoke_access_token(&t.id, &claims.jti, UnixTime(claims.exp), &audit)
                .await?;
            return Ok(());
        }
        let Some((_, family)) = self
            .store
            .find_refresh_token(&t.id, &Digest32::of(token))
            .await?
        else {
            return Ok(());
        };
        if family.client_id != client.id {
            return Err(OAuthError::invalid_request(
                "the token was issued to another client",
            ));
        }
        let audit = audit
            .user(&family.user_id)
            .details(json!({"token_type": "refresh_token", "grant_id": family.id}));
        self.store
            .revoke_family(&t.id, &family.id, now, &audit)
            .await?;
        Ok(())
    }
}
