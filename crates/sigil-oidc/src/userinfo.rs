//! Access token validation for Sigil's own resources, and the UserInfo endpoint (OpenID
//! Connect Core §5.3, RFC 6750 errors).

use serde_json::{Map, Value};
use sigil_core::{ClientId, ScopeSet, UserId};
use sigil_keys::DecodedJws;

use crate::error::{ErrorCode, OAuthError};
use crate::provider::{Provider, TenantCtx};
use crate::tokens::{ACCESS_TOKEN_TYP, AccessTokenClaims, user_claims};

/// Longest token accepted.
const MAX_TOKEN_LEN: usize = 8 * 1024;

impl Provider {
    /// Verifies an access token Sigil issued: signature by a published key, `typ: at+jwt`
    /// (an ID token is not an access token), issuer, expiry and the revocation list.
    pub async fn verify_access_token(
        &self,
        t: &TenantCtx,
        token: &str,
    ) -> Result<AccessTokenClaims, OAuthError> {
        let invalid = |why: &'static str| OAuthError::invalid_token(why);
        let jws = DecodedJws::decode(token, MAX_TOKEN_LEN)
            .map_err(|_| invalid("the access token is malformed"))?;
        if !jws.has_typ(ACCESS_TOKEN_TYP) {
            return Err(invalid("the token is not an access token"));
        }
        let now = self.now();
        self.verify_own(&t.id, &jws)
            .await
            .map_err(|_| invalid("the access token signature is invalid"))?;
        let claims: AccessTokenClaims = jws
            .claims()
            .map_err(|_| invalid("the access token claims are malformed"))?;
        if claims.iss != t.issuer {
            return Err(invalid("the access token is from another issuer"));
        }
        if claims.exp <= now.0 {
            return Err(invalid("the access token has expired"));
        }
        if self
            .store
            .is_access_token_revoked(&t.id, &claims.jti)
            .await?
        {
            return Err(invalid("the access token was revoked"));
        }
        // A disabled or deleted client's tokens stop working at once.
        let client_active = match ClientId::parse(&claims.client_id) {
            Ok(id) => self.client(&t.id, &id).await?.is_some_and(|c| !c.disabled),
            Err(_) => false,
        };
        if !client_active {
            return Err(invalid("the client is no longer active"));
        }
        Ok(claims)
    }

    /// The UserInfo response for a bearer token.
    pub async fn userinfo(
        &self,
        t: &TenantCtx,
        token: &str,
    ) -> Result<Map<String, Value>, OAuthError> {
        let claims = self.verify_access_token(t, token).await?;
        if !claims.aud.contains(&t.issuer) {
            return Err(OAuthError::invalid_token(
                "the access token is not meant for the UserInfo endpoint",
            ));
        }
        let scopes = ScopeSet::parse(&claims.scope).unwrap_or_default();
        if !claims.is_user_token() || !scopes.contains("openid") {
            return Err(OAuthError::new(
                ErrorCode::InsufficientScope,
                "the openid scope is required",
            ));
        }
        let user_id =
            UserId::parse(&claims.sub).map_err(|_| OAuthError::invalid_token("unknown subject"))?;
        let user = self
            .store
            .get_user(&t.id, &user_id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or_else(|| OAuthError::invalid_token("the user is no longer active"))?;
        let mut body = Map::new();
        body.insert("sub".into(), Value::String(user.id.to_string()));
        body.extend(user_claims(&user, &scopes));
        Ok(body)
    }
}
